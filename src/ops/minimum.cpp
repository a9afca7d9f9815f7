// Minimum: elementwise minimum of two or more f32 tensors with numpy broadcasting (Keras
// Minimum). A NaN in either operand wins, as in numpy and TF; of two equal values (0 and -0)
// the earlier input's is kept.
#include "ops/broadcast.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct MinimumParams {};

Result<std::vector<TensorInfo>> infer_minimum(const MinimumParams&,
                                              std::span<const TensorInfo> in) {
  return ops::infer_broadcast("Minimum", in, 2, std::nullopt);
}

void minimum_kernel(const MinimumParams&, const KernelArgs& args) {
  ops::broadcast_fold(args, [](float a, float b) { return a <= b || a != a ? a : b; });
}

}  // namespace

OpDef make_Minimum_op() {
  static const auto params = ParamList<MinimumParams>();
  return make_op<MinimumParams>(
      {.name = "Minimum",
       .doc = "Elementwise minimum of 2 or more f32 tensors with numpy broadcasting; NaN wins.",
       .min_inputs = 2,
       .max_inputs = kVariadic},
      params, infer_minimum, minimum_kernel);
}

}  // namespace ingot
