// Sub: x0 - x1 with numpy broadcasting (Keras Subtract).
#include "ops/broadcast.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct SubParams {};

Result<std::vector<TensorInfo>> infer_sub(const SubParams&, std::span<const TensorInfo> in) {
  return ops::infer_broadcast("Sub", in, 2, 2);
}

void sub_kernel(const SubParams&, const KernelArgs& args) {
  ops::broadcast_fold(args, [](float a, float b) { return a - b; });
}

}  // namespace

OpDef make_Sub_op() {
  static const auto params = ParamList<SubParams>();
  return make_op<SubParams>({.name = "Sub",
                             .doc = "Elementwise x0 - x1 of f32 tensors with numpy broadcasting.",
                             .min_inputs = 2,
                             .max_inputs = 2},
                            params, infer_sub, sub_kernel);
}

}  // namespace ingot
