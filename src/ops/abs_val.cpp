// AbsVal (Caffe 'AbsVal'): y = |x|.
#include <cmath>

#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {

OpDef make_AbsVal_op() {
  return ops::make_unary_op({.name = "AbsVal", .doc = "Absolute value: |x|."},
                            [](float x) { return std::fabs(x); });
}

}  // namespace ingot
