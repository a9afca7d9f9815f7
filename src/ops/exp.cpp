// Exp (Keras 'exponential'): y = e^x. Overflows float32 to +inf above x = 88.72, as TF does.
#include <cmath>

#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {

OpDef make_Exp_op() {
  return ops::make_unary_op({.name = "Exp", .doc = "Natural exponential: exp(x)."},
                            [](float x) { return std::exp(x); });
}

}  // namespace ingot
