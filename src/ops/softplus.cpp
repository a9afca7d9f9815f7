// Softplus (Keras 'softplus'; also Caffe's BNLL, which the Caffe importer maps here):
//   y = log(1 + e^x) = max(x, 0) + log(1 + e^-|x|)
// The second form never overflows: e^-|x| <= 1. It is also how Caffe's BNLL computes it.
#include <cmath>

#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {
namespace {

float softplus(float x) {
  return x > 0.0f ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));  // NaN: 2nd branch
}

}  // namespace

OpDef make_Softplus_op() {
  return ops::make_unary_op(
      {.name = "Softplus",
       .doc = "Softplus: log(1 + exp(x)), computed without overflow. Caffe's BNLL."},
      softplus);
}

}  // namespace ingot
