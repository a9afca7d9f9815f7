// Concat: joins tensors of the same dtype and rank along one axis (Keras Concatenate, Caffe
// Concat). Every other dim must match; the output's axis dim is the sum of the inputs'.
// A negative axis counts from the last (-1 is the last axis). Any dtype: the kernel copies
// bytes, one contiguous run per input per outer index.
#include <cassert>
#include <cstring>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::ConcatParams;  // declared in ops/params.h

// The axis in [0, rank); the caller checked that it is in range.
std::size_t normalized_axis(const ConcatParams& p, std::size_t rank) {
  return static_cast<std::size_t>(p.axis < 0 ? p.axis + static_cast<std::int64_t>(rank) : p.axis);
}

Result<std::vector<TensorInfo>> infer_concat(const ConcatParams& p,
                                             std::span<const TensorInfo> in) {
  if (in.empty()) return bad_input("op 'Concat' must have at least 1 input, got 0");
  const TensorInfo& first = in[0];
  const auto rank = static_cast<std::int64_t>(first.shape.rank());
  if (rank == 0) return bad_input("input 0 must have rank >= 1, got shape []");
  if (p.axis < -rank || p.axis >= rank) {
    return bad_input("parameter 'axis' must be in [" + std::to_string(-rank) + ", " +
                     std::to_string(rank - 1) + "] for input shape " + first.shape.to_string() +
                     ", got " + std::to_string(p.axis));
  }
  const std::size_t axis = normalized_axis(p, first.shape.rank());
  std::vector<std::int64_t> out = first.shape.dims();
  for (std::size_t i = 0; i < in.size(); ++i) {
    INGOT_TRY(ops::expect_dims_bounded(in, i));
    if (in[i].dtype != first.dtype) {
      return bad_input("input " + std::to_string(i) + " must have input 0's dtype " +
                       dtype_name(first.dtype) + ", got " + dtype_name(in[i].dtype));
    }
    if (i == 0) continue;
    const Shape& s = in[i].shape;
    bool match = s.rank() == first.shape.rank();
    for (std::size_t k = 0; match && k < s.rank(); ++k) match = k == axis || s[k] == first.shape[k];
    if (!match) {
      return bad_input("input " + std::to_string(i) + " must match input 0's shape " +
                       first.shape.to_string() + " except on axis " + std::to_string(axis) +
                       ", got " + s.to_string());
    }
    out[axis] += s[axis];  // each term <= 2^40: no overflow before the element-count check
  }
  Shape shape(std::move(out));
  INGOT_TRY(ops::check_output_shape(shape));
  return ops::single({shape, first.dtype});
}

void concat_kernel(const ConcatParams& p, const KernelArgs& args) {
  // Nothing to write; returning also keeps stride products finite for shapes like [0, 2^30, 2^30].
  if (args.outputs[0]->num_elements() == 0) return;
  Tensor& out = *args.outputs[0];
  const Shape& os = out.shape();
  const std::size_t axis = normalized_axis(p, os.rank());
  const std::size_t elem = dtype_size(out.dtype());
  std::int64_t outer = 1, inner = 1;  // elements before and after the axis
  for (std::size_t k = 0; k < axis; ++k) outer *= os[k];
  for (std::size_t k = axis + 1; k < os.rank(); ++k) inner *= os[k];

  std::byte* y = out.mutable_bytes();
  for (std::int64_t o = 0; o < outer; ++o) {
    for (const Tensor* t : args.inputs) {
      assert(t->dtype() == out.dtype() && t->shape().rank() == os.rank());
      const auto run = static_cast<std::size_t>(t->shape()[axis] * inner) * elem;
      std::memcpy(y, t->bytes() + static_cast<std::size_t>(o) * run, run);
      y += run;
    }
  }
}

}  // namespace

OpDef make_Concat_op() {
  static const auto params = ParamList<ConcatParams>()
                                 .optional("axis", &ConcatParams::axis, -1,
                                           "axis to join along; negative counts from the last")
                                 .range(-static_cast<double>(kMaxRank), kMaxRank - 1);
  return make_op<ConcatParams>({.name = "Concat",
                                .doc = "Joins 1 or more tensors along one axis.",
                                .min_inputs = 1,
                                .max_inputs = kVariadic},
                               params, infer_concat, concat_kernel);
}

}  // namespace ingot
