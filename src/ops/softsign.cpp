// Softsign (Keras 'softsign'): y = x / (1 + |x|), in (-1, 1). As in TF, +-inf gives NaN.
#include <cmath>

#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {

OpDef make_Softsign_op() {
  return ops::make_unary_op({.name = "Softsign", .doc = "Softsign: x / (1 + |x|)."},
                            [](float x) { return x / (1.0f + std::fabs(x)); });
}

}  // namespace ingot
