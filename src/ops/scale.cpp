// Scale (Caffe's Scale layer with a learned [C] scale): per-channel multiply, then add, along one
// axis c:
//   y = x * scale[c] + bias[c]          (y = x * scale[c] when bias is unset)
#include <vector>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::ScaleParams;  // declared in ops/params.h

Result<std::vector<TensorInfo>> infer_scale(const ScaleParams& p, std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  INGOT_TRY(ops::expect_min_rank(in, 0, 1));
  const Shape& x = in[0].shape;
  INGOT_ASSIGN_OR_RETURN(const std::size_t axis, ops::resolve_axis("axis", p.axis, x.rank()));
  const Shape channels{x[axis]};
  const std::string why = "input 0 " + x.to_string() + " along axis " + std::to_string(p.axis);
  INGOT_TRY(ops::expect_param_shape("scale", p.scale, channels, why));
  if (p.bias) INGOT_TRY(ops::expect_param_shape("bias", *p.bias, channels, why));
  return ops::single(in[0]);
}

void scale_kernel(const ScaleParams& p, const KernelArgs& args) {
  const Tensor& input = *args.inputs[0];
  if (input.num_elements() == 0) return;
  const std::size_t axis = ops::resolve_axis("axis", p.axis, input.shape().rank()).value();
  const ops::AxisSplit s = ops::split_at_axis(input.shape(), axis);
  const float* scale = p.scale.data<float>().data();
  const float* bias = p.bias ? p.bias->data<float>().data() : nullptr;
  const float* x = input.data<float>().data();
  float* y = args.outputs[0]->mutable_data<float>().data();
  for (std::int64_t o = 0; o < s.outer; ++o) {
    for (std::int64_t c = 0; c < s.n; ++c) {
      for (std::int64_t k = 0; k < s.inner; ++k, ++x, ++y) {
        *y = bias ? *x * scale[c] + bias[c] : *x * scale[c];
      }
    }
  }
}

}  // namespace

OpDef make_Scale_op() {
  static const auto params =
      ParamList<ScaleParams>()
          .required("scale", &ScaleParams::scale, "f32 [C] per-channel factor")
          .optional("bias", &ScaleParams::bias, "f32 [C] per-channel term (unset: none)")
          .optional("axis", &ScaleParams::axis, -1,
                    "channel axis C, negative counts from the end (NCHW: 1)")
          .range(ops::kMinAxis, ops::kMaxAxis);
  return make_op<ScaleParams>(
      {.name = "Scale", .doc = "Per-channel y = x * scale + bias along one axis (Caffe Scale)."},
      params, infer_scale, scale_kernel);
}

}  // namespace ingot
