// Mul: elementwise product of two or more f32 tensors with numpy broadcasting (Keras Multiply),
// in input order: ((x0 * x1) * x2) * ...
#include "ops/broadcast.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct MulParams {};

Result<std::vector<TensorInfo>> infer_mul(const MulParams&, std::span<const TensorInfo> in) {
  return ops::infer_broadcast("Mul", in, 2, std::nullopt);
}

void mul_kernel(const MulParams&, const KernelArgs& args) {
  ops::broadcast_fold(args, [](float a, float b) { return a * b; });
}

}  // namespace

OpDef make_Mul_op() {
  static const auto params = ParamList<MulParams>();
  return make_op<MulParams>(
      {.name = "Mul",
       .doc = "Elementwise product of 2 or more f32 tensors with numpy broadcasting.",
       .min_inputs = 2,
       .max_inputs = kVariadic},
      params, infer_mul, mul_kernel);
}

}  // namespace ingot
