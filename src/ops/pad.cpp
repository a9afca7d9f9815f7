// Pad: constant padding of an f32 tensor of any rank (Keras ZeroPadding1D/2D/3D and the like).
// `pads` lists the amounts added before each axis, then after each axis:
//   [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}]    (ONNX's order)
// so output dim i is begin_i + dim_i + end_i and y[index + begin] = x[index]; every other
// element is `value`.
#include <algorithm>
#include <cassert>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::PadParams;  // declared in ops/params.h

Result<std::vector<TensorInfo>> infer_pad(const PadParams& p, std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  INGOT_TRY(ops::expect_dims_bounded(in, 0));
  const Shape& x = in[0].shape;
  const std::size_t rank = x.rank();
  if (p.pads.size() != 2 * rank) {
    return bad_input("parameter 'pads' must have 2 * rank = " + std::to_string(2 * rank) +
                     " elements (begins, then ends) for input shape " + x.to_string() + ", got " +
                     attr_to_string(p.pads));
  }
  std::vector<std::int64_t> out(rank);
  for (std::size_t i = 0; i < rank; ++i) out[i] = p.pads[i] + x[i] + p.pads[rank + i];
  Shape shape(std::move(out));
  INGOT_TRY(ops::check_output_shape(shape));
  return ops::single({shape, DType::f32});
}

void pad_kernel(const PadParams& p, const KernelArgs& args) {
  // Nothing to write; returning also keeps stride products finite for shapes like [0, 2^30, 2^30].
  if (args.outputs[0]->num_elements() == 0) return;
  const Tensor& in = *args.inputs[0];
  Tensor& out = *args.outputs[0];
  const auto x = in.data<float>();
  auto y = out.mutable_data<float>();
  const std::vector<std::int64_t>& dims = in.shape().dims();
  const std::size_t rank = dims.size();
  assert(out.shape().rank() == rank && p.pads.size() == 2 * rank);

  std::fill(y.begin(), y.end(), p.value);
  // Output element strides, and the offset of input element 0 in the output.
  std::vector<std::int64_t> stride(rank, 1);
  for (std::size_t i = rank; i-- > 1;) stride[i - 1] = stride[i] * out.shape()[i];
  std::int64_t base = 0;
  for (std::size_t i = 0; i < rank; ++i) base += p.pads[i] * stride[i];

  std::vector<std::int64_t> index(rank, 0);
  for (const float v : x) {
    std::int64_t offset = base;
    for (std::size_t i = 0; i < rank; ++i) offset += index[i] * stride[i];
    y[static_cast<std::size_t>(offset)] = v;
    for (std::size_t i = rank; i-- > 0;) {  // advance the input index, last axis fastest
      if (++index[i] < dims[i]) break;
      index[i] = 0;
    }
  }
}

}  // namespace

OpDef make_Pad_op() {
  static const auto params =
      ParamList<PadParams>()
          .required("pads", &PadParams::pads,
                    "amounts added before each axis, then after each axis: 2 * rank values")
          .range(0, 65536)
          .size(2, 2 * kMaxRank)
          .optional("value", &PadParams::value, 0.0f, "the value of every added element")
          .range(-std::numeric_limits<float>::max(), std::numeric_limits<float>::max());
  return make_op<PadParams>({.name = "Pad", .doc = "Constant padding of a tensor of any rank."},
                            params, infer_pad, pad_kernel);
}

}  // namespace ingot
