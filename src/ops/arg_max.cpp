// ArgMax: Caffe's ArgMaxLayer. The top_k largest values of each slice and their indices, as
// float32 (Caffe's blobs are float; indices up to 2^24 are exact).
//   axis given: along that axis; the output is the input with dim[axis] = top_k, holding the
//     indices, or the values when out_max_val.
//   axis unset: per sample (axis 0) over everything after it, flattened in row-major order; the
//     output is [N, 1, top_k] (or [N, 2, top_k] when out_max_val: the top_k indices, then the
//     top_k values), padded with trailing 1s to the input's rank, as Caffe shapes it.
// Order: by value, largest first; among equal values the larger index first, because Caffe
// sorts (value, index) pairs with std::greater. A NaN ranks above every number (numpy's argmax
// picks it too; Caffe's comparison leaves its place undefined).
#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct ArgMaxParams {
  std::optional<std::int64_t> axis;
  std::int64_t top_k = 1;
  bool out_max_val = false;
};

// Elements per slice (the reduced extent), slices, and the stride between a slice's elements.
struct Slices {
  std::int64_t dim = 1, count = 1, stride = 1;
};

Slices slices_of(const ArgMaxParams& p, const Shape& x) {
  Slices s;
  const std::int64_t total = x.num_elements();
  if (p.axis) {
    const std::size_t axis = ops::resolve_axis("axis", *p.axis, x.rank()).value();
    s.dim = x[axis];
    s.stride = 1;
    for (std::size_t k = axis + 1; k < x.rank(); ++k) s.stride *= x[k];
  } else {
    s.dim = x[0] == 0 ? 0 : total / x[0];
  }
  s.count = s.dim == 0 ? 0 : total / s.dim;
  return s;
}

Result<std::vector<TensorInfo>> infer_arg_max(const ArgMaxParams& p, std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  INGOT_TRY(ops::expect_min_rank(in, 0, 1));
  INGOT_TRY(ops::expect_dims_bounded(in, 0));
  const Shape& x = in[0].shape;
  std::vector<std::int64_t> out;
  std::int64_t extent = 0;
  if (p.axis) {
    INGOT_ASSIGN_OR_RETURN(const std::size_t axis, ops::resolve_axis("axis", *p.axis, x.rank()));
    extent = x[axis];
    out = x.dims();
    out[axis] = p.top_k;
  } else {
    extent = 1;
    for (std::size_t k = 1; k < x.rank(); ++k) extent *= x[k];
    out.assign(std::max<std::size_t>(x.rank(), 3), 1);
    out[0] = x[0];
    out[1] = p.out_max_val ? 2 : 1;
    out[2] = p.top_k;
  }
  if (p.top_k > extent) {
    return bad_input("parameter 'top_k' must be at most the " + std::to_string(extent) + " elements it ranks (" +
                     (p.axis ? "dim of 'axis' " + std::to_string(*p.axis) : std::string("per sample")) + " of input " +
                     x.to_string() + "), got " + std::to_string(p.top_k));
  }
  const Shape shape(std::move(out));
  INGOT_TRY(ops::check_output_shape(shape));
  return ops::single({shape, DType::f32});
}

// Caffe's std::greater on (value, index), with NaN above every number.
bool ranks_before(const std::pair<float, std::int64_t>& a, const std::pair<float, std::int64_t>& b) {
  const bool a_nan = std::isnan(a.first), b_nan = std::isnan(b.first);
  if (a_nan != b_nan) return a_nan;
  if (!a_nan && a.first != b.first) return a.first > b.first;
  return a.second > b.second;
}

void arg_max_kernel(const ArgMaxParams& p, const KernelArgs& args) {
  const Tensor& input = *args.inputs[0];
  const Slices s = slices_of(p, input.shape());
  if (s.count == 0) return;
  const auto x = input.data<float>();
  auto y = args.outputs[0]->mutable_data<float>();
  const std::int64_t k = p.top_k;
  std::vector<std::pair<float, std::int64_t>> v(static_cast<std::size_t>(s.dim));
  for (std::int64_t i = 0; i < s.count; ++i) {
    // Slice i starts at (i / stride) * dim * stride + i % stride; its elements are `stride` apart.
    const std::int64_t base = (i / s.stride) * s.dim * s.stride + i % s.stride;
    for (std::int64_t j = 0; j < s.dim; ++j) v[static_cast<std::size_t>(j)] = {x[static_cast<std::size_t>(base + j * s.stride)], j};
    std::partial_sort(v.begin(), v.begin() + k, v.end(), ranks_before);
    for (std::int64_t j = 0; j < k; ++j) {
      const auto& [value, index] = v[static_cast<std::size_t>(j)];
      if (p.axis) {
        y[static_cast<std::size_t>((i / s.stride) * k * s.stride + i % s.stride + j * s.stride)] =
            p.out_max_val ? value : static_cast<float>(index);
      } else if (p.out_max_val) {
        y[static_cast<std::size_t>(2 * i * k + j)] = static_cast<float>(index);
        y[static_cast<std::size_t>(2 * i * k + k + j)] = value;
      } else {
        y[static_cast<std::size_t>(i * k + j)] = static_cast<float>(index);
      }
    }
  }
}

}  // namespace

OpDef make_ArgMax_op() {
  static const auto params =
      ParamList<ArgMaxParams>()
          .optional("axis", &ArgMaxParams::axis,
                    "axis to rank along, negative counts from the end; unset: per sample over the "
                    "flattened remaining axes (Caffe's default)")
          .range(ops::kMinAxis, ops::kMaxAxis)
          .optional("top_k", &ArgMaxParams::top_k, 1, "how many of the largest to keep, largest first")
          .range(1, 1 << 24)
          .optional("out_max_val", &ArgMaxParams::out_max_val, false,
                    "output the values (with axis) or [indices, values] pairs (without) instead of "
                    "the indices");
  return make_op<ArgMaxParams>(
      {.name = "ArgMax",
       .doc = "Caffe's ArgMax: indices (as float) of the top_k largest values, ties to the larger "
              "index."},
      params, infer_arg_max, arg_max_kernel);
}

}  // namespace ingot
