// Input: a value the caller feeds. The runtime binds it; there is no kernel.
#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct InputParams {
  std::vector<std::int64_t> shape;
  std::string dtype;
};

Result<std::vector<TensorInfo>> infer_input(const InputParams& p, std::span<const TensorInfo>) {
  Shape shape(p.shape);
  INGOT_TRY_CTX(validate_shape(shape), "parameter 'shape'");
  return ops::single({shape, *dtype_from_name(p.dtype)});
}

}  // namespace

OpDef make_Input_op() {
  static const auto params = ParamList<InputParams>()
      .required("shape", &InputParams::shape, "dimensions of the fed tensor, in the source framework's layout")
      .min(0).size(0, kMaxRank)
      .optional("dtype", &InputParams::dtype, "f32", "element type")
      .choices({"f32", "f16", "i32", "i64", "u8", "bool"});
  return make_op<InputParams>(
      {.name = "Input", .doc = "A graph input, fed by the caller.", .min_inputs = 0, .max_inputs = 0},
      params, infer_input, nullptr);
}

}  // namespace ingot
