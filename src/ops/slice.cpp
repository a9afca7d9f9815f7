// Slice: a contiguous box of a tensor of any rank and dtype (Keras Cropping1D/2D/3D, Caffe
// Slice/Crop). For each listed axis, keep the indices [begin, end) of that axis; other axes are
// kept whole. Negative axes, begins and ends count from the end, as in Python (-1 is the last
// axis, end -1 drops the last element). After that, 0 <= begin < end <= dim must hold: there
// is no clamping, no empty result and no step, so a bad importer value fails loudly instead of
// silently changing the output shape. In particular end 0 is index 0, never "to the end".
#include <cassert>
#include <cstring>

#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct SliceParams {
  std::vector<std::int64_t> axes;
  std::vector<std::int64_t> begin;
  std::vector<std::int64_t> end;
};

// Per-axis [start, stop) over every axis of the input, checked.
struct SliceRegion {
  std::vector<std::int64_t> start, stop;
};

Result<SliceRegion> resolve(const SliceParams& p, const Shape& x) {
  const auto rank = static_cast<std::int64_t>(x.rank());
  if (p.begin.size() != p.axes.size() || p.end.size() != p.axes.size()) {
    return bad_input("parameters 'axes', 'begin' and 'end' must have the same length, got " +
                     attr_to_string(p.axes) + ", " + attr_to_string(p.begin) + " and " +
                     attr_to_string(p.end));
  }
  SliceRegion box{std::vector<std::int64_t>(x.rank(), 0), x.dims()};
  std::vector<bool> seen(x.rank(), false);
  for (std::size_t i = 0; i < p.axes.size(); ++i) {
    const std::int64_t axis = p.axes[i] < 0 ? p.axes[i] + rank : p.axes[i];
    if (axis < 0 || axis >= rank) {
      return bad_input("parameter 'axes' must be in [-" + std::to_string(rank) + ", " +
                       std::to_string(rank - 1) + "] for input shape " + x.to_string() + ", got " +
                       attr_to_string(p.axes));
    }
    if (seen[axis]) {
      return bad_input("parameter 'axes' must name each axis at most once, got " +
                       attr_to_string(p.axes) + " (axis " + std::to_string(axis) + " twice)");
    }
    seen[axis] = true;
    const std::int64_t dim = x[axis];
    // dim >= 0 and the value < 0 here, so neither sum overflows.
    const std::int64_t b = p.begin[i] < 0 ? p.begin[i] + dim : p.begin[i];
    const std::int64_t e = p.end[i] < 0 ? p.end[i] + dim : p.end[i];
    if (!(0 <= b && b < e && e <= dim)) {
      return bad_input("slice of axis " + std::to_string(axis) + " must satisfy 0 <= begin < " +
                       "end <= dim " + std::to_string(dim) + " (negatives count from the end), " +
                       "got begin " + std::to_string(b) + ", end " + std::to_string(e) +
                       " (from begin " + std::to_string(p.begin[i]) + ", end " +
                       std::to_string(p.end[i]) + "; input shape " + x.to_string() + ")");
    }
    box.start[axis] = b;
    box.stop[axis] = e;
  }
  return box;
}

Result<std::vector<TensorInfo>> infer_slice(const SliceParams& p, std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_dims_bounded(in, 0));
  INGOT_ASSIGN_OR_RETURN(const SliceRegion box, resolve(p, in[0].shape));
  std::vector<std::int64_t> out(box.start.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = box.stop[i] - box.start[i];
  Shape shape(std::move(out));
  INGOT_TRY(ops::check_output_shape(shape));
  return ops::single({shape, in[0].dtype});
}

void slice_kernel(const SliceParams& p, const KernelArgs& args) {
  // Nothing to write; returning also keeps stride products finite for shapes like [0, 2^30, 2^30].
  if (args.outputs[0]->num_elements() == 0) return;
  const Tensor& in = *args.inputs[0];
  Tensor& out = *args.outputs[0];
  const Result<SliceRegion> box = resolve(p, in.shape());
  assert(box.ok());
  const std::size_t rank = in.shape().rank();
  const std::size_t elem = dtype_size(in.dtype());

  std::vector<std::int64_t> stride(rank, 1);  // input element strides
  for (std::size_t i = rank; i-- > 1;) stride[i - 1] = stride[i] * in.shape()[i];
  const std::byte* x = in.bytes();
  std::byte* y = out.mutable_bytes();
  const std::int64_t count = out.num_elements();
  std::vector<std::int64_t> index(rank, 0);  // over the output
  for (std::int64_t k = 0; k < count; ++k) {
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < rank; ++i) offset += (box->start[i] + index[i]) * stride[i];
    std::memcpy(y + k * elem, x + offset * elem, elem);
    for (std::size_t i = rank; i-- > 0;) {
      if (++index[i] < out.shape()[i]) break;
      index[i] = 0;
    }
  }
}

}  // namespace

OpDef make_Slice_op() {
  static const auto params =
      ParamList<SliceParams>()
          .required("axes", &SliceParams::axes, "axes to slice; negative counts from the last")
          .range(-static_cast<double>(kMaxRank), kMaxRank - 1)
          .size(1, kMaxRank)
          .required("begin", &SliceParams::begin,
                    "first index kept per listed axis; negative counts from the end")
          .size(1, kMaxRank)
          .required("end", &SliceParams::end,
                    "one past the last index kept per listed axis; negative counts from the end")
          .size(1, kMaxRank);
  return make_op<SliceParams>(
      {.name = "Slice", .doc = "A contiguous box of a tensor: [begin, end) along listed axes."},
      params, infer_slice, slice_kernel);
}

}  // namespace ingot
