#include "ops/reduce.h"

#include <string>

#include "ops/common.h"

namespace ingot::ops {
namespace {

// Which axes `axes` names (negative ones resolved); infer_reduce checked them.
std::vector<bool> reduced_mask(std::size_t rank, std::span<const std::int64_t> axes) {
  std::vector<bool> mask(rank, false);
  for (std::int64_t a : axes) mask[resolve_axis("axes", a, rank).value()] = true;
  return mask;
}

}  // namespace

const ParamList<ReduceParams>& reduce_params() {
  static const auto params =
      ParamList<ReduceParams>()
          .required("axes", &ReduceParams::axes,
                    "axes to reduce, each once; negative counts from the end")
          .range(kMinAxis, kMaxAxis)
          .size(1, kMaxRank)
          .optional("keepdims", &ReduceParams::keepdims, false,
                    "keep reduced axes as size 1 (false: drop them)");
  return params;
}

Result<std::vector<TensorInfo>> infer_reduce(const ReduceParams& p,
                                             std::span<const TensorInfo> in) {
  INGOT_TRY(expect_f32(in, 0));
  INGOT_TRY(expect_min_rank(in, 0, 1));
  const Shape& x = in[0].shape;
  const auto rank = static_cast<std::int64_t>(x.rank());
  std::vector<bool> seen(x.rank(), false);
  for (std::int64_t a : p.axes) {
    if (a < -rank || a >= rank) {
      return bad_input("parameter 'axes' elements must be in [" + std::to_string(-rank) + ", " +
                       std::to_string(rank - 1) + "] (input 0 has rank " + std::to_string(rank) +
                       "), got " + attr_to_string(p.axes));
    }
    const auto axis = static_cast<std::size_t>(a < 0 ? a + rank : a);
    if (seen[axis]) {
      return bad_input("parameter 'axes' must name each axis once (input 0 has rank " +
                       std::to_string(rank) + "), got " + attr_to_string(p.axes) + ", axis " +
                       std::to_string(axis) + " twice");
    }
    seen[axis] = true;
    if (x[axis] == 0) {
      return bad_input("input 0 dims reduced by 'axes' " + attr_to_string(p.axes) +
                       " must be >= 1, got shape " + x.to_string());
    }
  }
  std::vector<std::int64_t> out;
  for (std::size_t k = 0; k < x.rank(); ++k) {
    if (!seen[k]) {
      out.push_back(x[k]);
    } else if (p.keepdims) {
      out.push_back(1);
    }
  }
  return single({Shape(std::move(out)), DType::f32});
}

std::vector<std::int64_t> reduced_strides(const Shape& in, std::span<const std::int64_t> axes) {
  const std::vector<bool> reduced = reduced_mask(in.rank(), axes);
  std::vector<std::int64_t> stride(in.rank(), 0);
  std::int64_t step = 1;
  for (std::size_t k = in.rank(); k-- > 0;) {
    if (reduced[k]) continue;
    stride[k] = step;
    step *= in[k];
  }
  return stride;
}

}  // namespace ingot::ops
