// Log (Caffe 'Log' with base e, scale 1, shift 0; the importer adds the rest as Affine): y = ln(x).
// As std::log: ln(0) is -inf, a negative x gives NaN, NaN stays NaN.
#include <cmath>

#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {

OpDef make_Log_op() {
  return ops::make_unary_op({.name = "Log", .doc = "Natural logarithm: ln(x) (0 gives -inf, x < 0 NaN)."},
                            [](float x) { return std::log(x); });
}

}  // namespace ingot
