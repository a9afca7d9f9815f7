// Shared by the reductions (ReduceMean, ReduceMax): one parameter list, one shape rule, and a
// walk that pairs every input element with the output element it reduces into.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ingot/op.h"

namespace ingot::ops {

struct ReduceParams {
  std::vector<std::int64_t> axes;
  bool keepdims = false;
};

const ParamList<ReduceParams>& reduce_params();

// Input f32 of rank >= 1; axes within the rank and unique once resolved; every reduced dim
// >= 1 (a reduction over nothing has no value). The output drops the reduced axes, or keeps
// them as 1 with keepdims.
Result<std::vector<TensorInfo>> infer_reduce(const ReduceParams& p, std::span<const TensorInfo> in);

// For each input axis, the step of the output's flat index along it; 0 on reduced axes.
std::vector<std::int64_t> reduced_strides(const Shape& in, std::span<const std::int64_t> axes);

// Calls visit(input_index, output_index) for every input element, in row-major order, so each
// output element sees its inputs in order. `axes` passed infer_reduce.
template <class Visit>
void walk_reduction(const Shape& in, std::span<const std::int64_t> axes, Visit visit) {
  const std::int64_t count = in.num_elements();
  if (count == 0) return;  // and the strides of a shape like [0, 2^62] would overflow
  const std::vector<std::int64_t> stride = reduced_strides(in, axes);
  std::vector<std::int64_t> index(in.rank(), 0);
  std::int64_t out = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    visit(static_cast<std::size_t>(i), static_cast<std::size_t>(out));
    for (std::size_t axis = in.rank(); axis-- > 0;) {
      if (++index[axis] < in[axis]) {
        out += stride[axis];
        break;
      }
      out -= stride[axis] * (in[axis] - 1);
      index[axis] = 0;
    }
  }
}

}  // namespace ingot::ops
