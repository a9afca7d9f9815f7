// Power (Caffe 'Power'): y = (shift + scale * x) ^ power, in float32 like Caffe's PowerLayer:
// the product, then the sum, then pow. A negative base with a non-integer power gives NaN, a
// zero base with a negative power gives inf, as pow does.
//
// Caffe ignores the input when power * scale == 0 and fills the output with 1 (power == 0) or
// shift ^ power (scale == 0). pow(x, 0) is 1 for every x, NaN included, so power == 0 needs no
// special case; scale == 0 does, or NaN and inf inputs would give NaN (0 * inf) where Caffe
// gives shift ^ power.
#include <cmath>

#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {
namespace {

struct PowerParams {
  double power = 1.0;
  double scale = 1.0;
  double shift = 0.0;
};

float power(const PowerParams& p, float x) {
  const auto exponent = static_cast<float>(p.power);
  const auto shift = static_cast<float>(p.shift);
  if (p.scale == 0.0) return std::pow(shift, exponent);
  float base = static_cast<float>(p.scale) * x;
  if (p.shift != 0.0) base += shift;  // as Caffe: adding +0 would turn -0 into +0
  return std::pow(base, exponent);
}

}  // namespace

OpDef make_Power_op() {
  static const auto params = ParamList<PowerParams>()
      .optional("power", &PowerParams::power, 1.0, "exponent").range(-1e6, 1e6)
      .optional("scale", &PowerParams::scale, 1.0, "multiplier of x").range(-1e6, 1e6)
      .optional("shift", &PowerParams::shift, 0.0, "added after scaling").range(-1e6, 1e6);
  return ops::make_unary_op(
      {.name = "Power", .doc = "Caffe's power: (shift + scale * x) ^ power."}, params, power);
}

}  // namespace ingot
