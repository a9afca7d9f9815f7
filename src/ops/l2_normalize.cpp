#include "ops/l2_normalize.h"

#include <algorithm>
#include <cmath>

#include "ops/common.h"

namespace ingot::ops {

Result<std::vector<TensorInfo>> infer_l2_normalize(const Tensor& gamma,
                                                   std::span<const TensorInfo> in) {
  INGOT_TRY(expect_f32(in, 0));
  INGOT_TRY(expect_rank(in, 0, 4));
  const Shape& x = in[0].shape;
  INGOT_TRY(expect_param_shape(
      "gamma", gamma, Shape{x[3]},
      "input 0 " + x.to_string() + " has " + std::to_string(x[3]) + " channels, NHWC"));
  return single(in[0]);
}

void l2_normalize_kernel(const Tensor& gamma, const KernelArgs& args) {
  const Tensor& input = *args.inputs[0];
  if (input.num_elements() == 0) return;
  const auto channels = static_cast<std::size_t>(input.shape()[3]);
  const std::size_t pixels = static_cast<std::size_t>(input.num_elements()) / channels;
  // tf.nn.l2_normalize's default epsilon, as the float32 constant TF compares with.
  const double epsilon = static_cast<double>(1e-12f);
  const float* g = gamma.data<float>().data();
  const float* x = input.data<float>().data();
  float* y = args.outputs[0]->mutable_data<float>().data();
  for (std::size_t i = 0; i < pixels; ++i, x += channels, y += channels) {
    double sum = 0.0;
    for (std::size_t c = 0; c < channels; ++c) sum += static_cast<double>(x[c]) * x[c];
    const auto inv_norm = static_cast<float>(1.0 / std::sqrt(std::max(sum, epsilon)));
    for (std::size_t c = 0; c < channels; ++c) y[c] = x[c] * inv_norm * g[c];
  }
}

}  // namespace ingot::ops
