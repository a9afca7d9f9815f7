// Add: elementwise sum of two or more f32 tensors with numpy-style broadcasting (shapes are
// aligned on their last axis; each dim must equal the others or be 1). The sum runs in input
// order, ((x0 + x1) + x2) + ..., so results match a framework that chains binary adds.
#include "ops/broadcast.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct AddParams {};

Result<std::vector<TensorInfo>> infer_add(const AddParams&, std::span<const TensorInfo> in) {
  return ops::infer_broadcast("Add", in, 2, std::nullopt);
}

void add_kernel(const AddParams&, const KernelArgs& args) {
  ops::broadcast_fold(args, [](float a, float b) { return a + b; });
}

}  // namespace

OpDef make_Add_op() {
  static const auto params = ParamList<AddParams>();
  return make_op<AddParams>(
      {.name = "Add",
       .doc = "Elementwise sum of 2 or more f32 tensors with numpy broadcasting.",
       .min_inputs = 2,
       .max_inputs = kVariadic},
      params, infer_add, add_kernel);
}

}  // namespace ingot
