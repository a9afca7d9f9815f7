// Mean: elementwise average of two or more f32 tensors with numpy broadcasting, as Keras'
// Average layer computes it: (((x0 + x1) + x2) + ...) / n, summed in input order, then divided.
#include "ops/broadcast.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct MeanParams {};

Result<std::vector<TensorInfo>> infer_mean(const MeanParams&, std::span<const TensorInfo> in) {
  return ops::infer_broadcast("Mean", in, 2, std::nullopt);
}

void mean_kernel(const MeanParams&, const KernelArgs& args) {
  ops::broadcast_fold(args, [](float a, float b) { return a + b; });
  const auto n = static_cast<float>(args.inputs.size());
  for (float& y : args.outputs[0]->mutable_data<float>()) y /= n;
}

}  // namespace

OpDef make_Mean_op() {
  static const auto params = ParamList<MeanParams>();
  return make_op<MeanParams>(
      {.name = "Mean",
       .doc = "Elementwise average of 2 or more f32 tensors with numpy broadcasting.",
       .min_inputs = 2,
       .max_inputs = kVariadic},
      params, infer_mean, mean_kernel);
}

}  // namespace ingot
