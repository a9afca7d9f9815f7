// Maximum: elementwise maximum of two or more f32 tensors with numpy broadcasting (Keras
// Maximum). A NaN in either operand wins, as in numpy and TF; of two equal values (0 and -0)
// the earlier input's is kept.
#include "ops/broadcast.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct MaximumParams {};

Result<std::vector<TensorInfo>> infer_maximum(const MaximumParams&,
                                              std::span<const TensorInfo> in) {
  return ops::infer_broadcast("Maximum", in, 2, std::nullopt);
}

void maximum_kernel(const MaximumParams&, const KernelArgs& args) {
  ops::broadcast_fold(args, [](float a, float b) { return a >= b || a != a ? a : b; });
}

}  // namespace

OpDef make_Maximum_op() {
  static const auto params = ParamList<MaximumParams>();
  return make_op<MaximumParams>(
      {.name = "Maximum",
       .doc = "Elementwise maximum of 2 or more f32 tensors with numpy broadcasting; NaN wins.",
       .min_inputs = 2,
       .max_inputs = kVariadic},
      params, infer_maximum, maximum_kernel);
}

}  // namespace ingot
