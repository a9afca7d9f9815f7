// Elu (Keras 'elu'): y = x for x > 0, alpha * (e^x - 1) otherwise. e^x - 1 is computed with
// expm1, which keeps its relative precision for x near 0.
#include <cmath>

#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {
namespace {

struct EluParams {
  double alpha = 1.0;
};

float elu(const EluParams& p, float x) {
  return x > 0.0f ? x : static_cast<float>(p.alpha) * std::expm1(x);
}

}  // namespace

OpDef make_Elu_op() {
  static const auto params = ParamList<EluParams>()
      .optional("alpha", &EluParams::alpha, 1.0, "scale of the negative part").range(-1e6, 1e6);
  return ops::make_unary_op(
      {.name = "Elu", .doc = "Exponential linear unit: x if x > 0, else alpha * (exp(x) - 1)."},
      params, elu);
}

}  // namespace ingot
