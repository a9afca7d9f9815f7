// BatchNorm in inference form, along one channel axis c (Keras BatchNormalization, Caffe
// BatchNorm + Scale), computed as TF does, in float32:
//   inv = scale[c] / sqrt(variance[c] + epsilon)
//   y   = x * inv + (offset[c] - mean[c] * inv)
// An unset scale is 1 and an unset offset is 0.
#include <cmath>
#include <vector>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::BatchNormParams;  // declared in ops/params.h

// A zero or negative variance + epsilon would turn whole channels into inf or NaN.
Status check_variance(const BatchNormParams& p) {
  const auto v = p.variance.data<float>();
  const auto eps = static_cast<float>(p.epsilon);
  auto text = [](double d) { return attr_to_string(AttrValue(d)); };
  for (std::size_t c = 0; c < v.size(); ++c) {
    if (!(v[c] >= 0.0f)) {  // NaN fails too
      return bad_input("parameter 'variance' values must be >= 0, got " + text(v[c]) +
                       " at index " + std::to_string(c));
    }
    if (!(v[c] + eps > 0.0f)) {
      return bad_input("parameter 'variance' values plus 'epsilon' must be > 0 in float32, got " +
                       text(v[c]) + " + " + text(p.epsilon) + " at index " + std::to_string(c));
    }
  }
  return {};
}

Result<std::vector<TensorInfo>> infer_batch_norm(const BatchNormParams& p,
                                                 std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  INGOT_TRY(ops::expect_min_rank(in, 0, 1));
  const Shape& x = in[0].shape;
  INGOT_ASSIGN_OR_RETURN(const std::size_t axis, ops::resolve_axis("axis", p.axis, x.rank()));
  const Shape channels{x[axis]};
  const std::string why = "input 0 " + x.to_string() + " along axis " + std::to_string(p.axis);
  INGOT_TRY(ops::expect_param_shape("mean", p.mean, channels, why));
  INGOT_TRY(ops::expect_param_shape("variance", p.variance, channels, why));
  if (p.scale) INGOT_TRY(ops::expect_param_shape("scale", *p.scale, channels, why));
  if (p.offset) INGOT_TRY(ops::expect_param_shape("offset", *p.offset, channels, why));
  INGOT_TRY(check_variance(p));
  return ops::single(in[0]);
}

void batch_norm_kernel(const BatchNormParams& p, const KernelArgs& args) {
  const Tensor& input = *args.inputs[0];
  if (input.num_elements() == 0) return;
  const std::size_t axis = ops::resolve_axis("axis", p.axis, input.shape().rank()).value();
  const ops::AxisSplit s = ops::split_at_axis(input.shape(), axis);
  const auto mean = p.mean.data<float>();
  const auto variance = p.variance.data<float>();
  const auto eps = static_cast<float>(p.epsilon);

  std::vector<float> mul(static_cast<std::size_t>(s.n)), add(mul.size());
  for (std::size_t c = 0; c < mul.size(); ++c) {
    const float scale = p.scale ? p.scale->data<float>()[c] : 1.0f;
    const float offset = p.offset ? p.offset->data<float>()[c] : 0.0f;
    mul[c] = scale / std::sqrt(variance[c] + eps);
    add[c] = offset - mean[c] * mul[c];
  }

  const float* x = input.data<float>().data();
  float* y = args.outputs[0]->mutable_data<float>().data();
  for (std::int64_t o = 0; o < s.outer; ++o) {
    for (std::int64_t c = 0; c < s.n; ++c) {
      const float m = mul[static_cast<std::size_t>(c)], a = add[static_cast<std::size_t>(c)];
      for (std::int64_t k = 0; k < s.inner; ++k, ++x, ++y) *y = *x * m + a;
    }
  }
}

}  // namespace

OpDef make_BatchNorm_op() {
  static const auto params =
      ParamList<BatchNormParams>()
          .required("mean", &BatchNormParams::mean, "f32 [C] moving mean")
          .required("variance", &BatchNormParams::variance, "f32 [C] moving variance, each >= 0")
          .optional("scale", &BatchNormParams::scale, "f32 [C] gamma (unset: 1)")
          .optional("offset", &BatchNormParams::offset, "f32 [C] beta (unset: 0)")
          .optional("epsilon", &BatchNormParams::epsilon, 0.001, "added to the variance")
          .range(0, 1)
          .optional("axis", &BatchNormParams::axis, -1,
                    "channel axis C, negative counts from the end (NHWC: -1, NCHW: 1)")
          .range(ops::kMinAxis, ops::kMaxAxis);
  return make_op<BatchNormParams>(
      {.name = "BatchNorm", .doc = "Batch normalization in inference form along one channel axis."},
      params, infer_batch_norm, batch_norm_kernel);
}

}  // namespace ingot
