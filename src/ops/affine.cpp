// Affine: y = x * scale + offset with scalar scale and offset, in float32. What Lambda layers
// that normalise pixels compute (x / 127.5 - 1, x - 127.5); the parameter file maps them to it.
#include "ops/params.h"
#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {
namespace {

using ops::AffineParams;  // declared in ops/params.h

}  // namespace

OpDef make_Affine_op() {
  static const auto params = ParamList<AffineParams>()
      .optional("scale", &AffineParams::scale, 1.0, "multiplier of x (x / d is scale 1/d)").range(-1e30, 1e30)
      .optional("offset", &AffineParams::offset, 0.0, "added after scaling").range(-1e30, 1e30);
  return ops::make_unary_op(
      {.name = "Affine", .doc = "x * scale + offset, scalars (float32 multiply, then add)."}, params,
      [](const AffineParams& p, float x) { return x * static_cast<float>(p.scale) + static_cast<float>(p.offset); });
}

}  // namespace ingot
