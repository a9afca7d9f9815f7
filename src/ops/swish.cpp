// Swish (Keras 'swish', also called SiLU): y = x * sigmoid(x).
#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {

OpDef make_Swish_op() {
  return ops::make_unary_op({.name = "Swish", .doc = "Swish (SiLU): x * sigmoid(x)."},
                            [](float x) { return x * ops::stable_sigmoid(x); });
}

}  // namespace ingot
