// ThresholdedReLU (Keras 'ThresholdedReLU'): y = x if x > theta, else 0. x == theta gives 0.
// Keras computes x * (x > theta), so NaN stays NaN; so it does here.
#include <cmath>

#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {
namespace {

struct ThresholdedReLUParams {
  double theta = 1.0;
};

float thresholded_relu(const ThresholdedReLUParams& p, float x) {
  return x > static_cast<float>(p.theta) || std::isnan(x) ? x : 0.0f;
}

}  // namespace

OpDef make_ThresholdedReLU_op() {
  static const auto params = ParamList<ThresholdedReLUParams>()
      .optional("theta", &ThresholdedReLUParams::theta, 1.0, "values at or below it become 0")
      .range(0, 1e6);
  return ops::make_unary_op(
      {.name = "ThresholdedReLU", .doc = "Thresholded rectifier: x if x > theta, else 0."},
      params, thresholded_relu);
}

}  // namespace ingot
