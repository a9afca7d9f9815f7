// Tanh (Keras 'tanh'): y = tanh(x), in [-1, 1].
#include <cmath>

#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {

OpDef make_Tanh_op() {
  return ops::make_unary_op({.name = "Tanh", .doc = "Hyperbolic tangent: tanh(x)."},
                            [](float x) { return std::tanh(x); });
}

}  // namespace ingot
