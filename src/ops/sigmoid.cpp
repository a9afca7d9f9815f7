// Sigmoid (Keras 'sigmoid'): y = 1 / (1 + e^-x), in (0, 1); sigmoid(0) = 0.5.
#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {

OpDef make_Sigmoid_op() {
  return ops::make_unary_op({.name = "Sigmoid", .doc = "Logistic sigmoid: 1 / (1 + exp(-x))."},
                            ops::stable_sigmoid);
}

}  // namespace ingot
