// ReLU with Keras' optional cap, leak and threshold (keras.backend.relu):
//   pos = threshold != 0 ? (x > threshold ? x : 0) : max(x, 0)
//   pos = clip(pos, 0, max_value)                    if max_value is set
//   y   = pos - negative_slope * max(threshold - x, 0)
// So x == threshold gives 0, and a cap clips only the positive part.
#include <algorithm>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::ReLUParams;  // declared in ops/params.h

Result<std::vector<TensorInfo>> infer_relu(const ReLUParams&, std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  return ops::single(in[0]);
}

void relu_kernel(const ReLUParams& p, const KernelArgs& args) {
  const auto x = args.inputs[0]->data<float>();
  auto y = args.outputs[0]->mutable_data<float>();
  const auto slope = static_cast<float>(p.negative_slope);
  const auto threshold = static_cast<float>(p.threshold);
  const float cap = p.max_value ? static_cast<float>(*p.max_value) : 0.0f;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float v = x[i];
    // NaN propagates (v != v), as TF's relu does.
    float pos = threshold != 0.0f ? (v > threshold || v != v ? v : 0.0f) : (v > 0.0f || v != v ? v : 0.0f);
    if (p.max_value) pos = pos < 0.0f ? 0.0f : (pos > cap ? cap : pos);  // Keras clips to [0, cap]
    if (slope != 0.0f) {
      const float below = threshold - v;
      if (below > 0.0f) pos -= slope * below;
    }
    y[i] = pos;
  }
}

}  // namespace

OpDef make_ReLU_op() {
  static const auto params = ParamList<ReLUParams>()
      .optional("max_value", &ReLUParams::max_value, "upper cap (unset: no cap)").min(0)
      .optional("negative_slope", &ReLUParams::negative_slope, 0.0, "slope below the threshold").range(0, 1e6)
      .optional("threshold", &ReLUParams::threshold, 0.0, "values at or below it are leaked or zeroed").range(-1e30, 1e30);
  return make_op<ReLUParams>({.name = "ReLU", .doc = "Rectified linear unit with optional cap, leak and threshold."},
                             params, infer_relu, relu_kernel);
}

}  // namespace ingot
