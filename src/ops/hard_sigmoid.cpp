// HardSigmoid (Keras 2 'hard_sigmoid'): y = clip(alpha * x + beta, 0, 1), with Keras 2's fixed
// alpha 0.2 and beta 0.5 as defaults. Keras 3 changed the function to relu6(x + 3) / 6, which
// an importer expresses as alpha = 1/6, beta = 0.5.
#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {
namespace {

struct HardSigmoidParams {
  double alpha = 0.2;
  double beta = 0.5;
};

float hard_sigmoid(const HardSigmoidParams& p, float x) {
  const float v = static_cast<float>(p.alpha) * x + static_cast<float>(p.beta);
  // Comparisons rather than std::clamp, so that NaN falls through unchanged.
  return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

}  // namespace

OpDef make_HardSigmoid_op() {
  static const auto params = ParamList<HardSigmoidParams>()
      .optional("alpha", &HardSigmoidParams::alpha, 0.2, "slope").range(-1e6, 1e6)
      .optional("beta", &HardSigmoidParams::beta, 0.5, "offset").range(-1e6, 1e6);
  return ops::make_unary_op(
      {.name = "HardSigmoid", .doc = "Piecewise-linear sigmoid: clip(alpha * x + beta, 0, 1)."},
      params, hard_sigmoid);
}

}  // namespace ingot
