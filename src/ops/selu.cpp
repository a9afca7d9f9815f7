// Selu (Keras 'selu'): scale * elu(x, alpha) with the fixed constants of Klambauer et al. 2017
// (the values Keras and TF use), rounded to float32.
#include <cmath>

#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {
namespace {

constexpr float kSeluAlpha = 1.6732632423543772848170429916717f;
constexpr float kSeluScale = 1.0507009873554804934193349852946f;

float selu(float x) { return kSeluScale * (x > 0.0f ? x : kSeluAlpha * std::expm1(x)); }

}  // namespace

OpDef make_Selu_op() {
  return ops::make_unary_op(
      {.name = "Selu",
       .doc = "Scaled exponential linear unit: scale * (x if x > 0, else alpha * (exp(x) - 1)), "
              "alpha = 1.6732632423543772, scale = 1.0507009873554805."},
      selu);
}

}  // namespace ingot
