// Input: a value the caller feeds. The runtime binds it; there is no kernel.
//
// `open_dims` names the dims the source left open (Keras' None): one name per dim, "" for a
// fixed one. `shape` then holds the instance the file's value shapes were inferred for (batch
// 1, say); the runtime re-plans for the sizes it is fed (ir/open_dims.h). Dims sharing a name
// must be fed equal sizes.
#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct InputParams {
  std::vector<std::int64_t> shape;
  std::string dtype;
  std::vector<std::string> open_dims;
};

Result<std::vector<TensorInfo>> infer_input(const InputParams& p, std::span<const TensorInfo>) {
  Shape shape(p.shape);
  INGOT_TRY_CTX(validate_shape(shape), "parameter 'shape'");
  if (!p.open_dims.empty() && p.open_dims.size() != p.shape.size()) {
    return bad_input("parameter 'open_dims' must name each of the " + std::to_string(p.shape.size()) +
                     " dims (\"\" for a fixed one), got " + std::to_string(p.open_dims.size()) + " names");
  }
  return ops::single({shape, *dtype_from_name(p.dtype)});
}

}  // namespace

OpDef make_Input_op() {
  static const auto params = ParamList<InputParams>()
      .required("shape", &InputParams::shape, "dimensions of the fed tensor, in the source framework's layout")
      .min(0).size(0, kMaxRank)
      .optional("dtype", &InputParams::dtype, "f32", "element type")
      .choices({"f32", "f16", "i32", "i64", "u8", "bool"})
      .optional("open_dims", &InputParams::open_dims, {},
                "per dim, the name of a dim the source left open (\"\" for a fixed one); empty: all fixed");
  return make_op<InputParams>(
      {.name = "Input", .doc = "A graph input, fed by the caller.", .min_inputs = 0, .max_inputs = 0},
      params, infer_input, nullptr);
}

}  // namespace ingot
