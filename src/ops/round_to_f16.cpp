// RoundToF16: y = x rounded to the nearest binary16 value (ties to even), returned as f32.
// Beyond the binary16 range (|x| > 65504 after rounding) the result is +-inf, NaN stays NaN:
// what a value becomes when an f16 device writes it to memory. The runtime inserts it at plan
// time to emulate a compiled model's device numerics (runtime/device_numerics.h); importers
// never write it.
#include "core/fp16.h"
#include "ops/registry.h"
#include "ops/unary.h"

namespace ingot {

OpDef make_RoundToF16_op() {
  return ops::make_unary_op(
      {.name = "RoundToF16",
       .doc = "x rounded to the nearest binary16 value (ties to even; beyond 65504: inf), as f32: an f16 device's "
              "stored activation. Inserted by the runtime to emulate a compiled model's numerics."},
      [](float x) { return half_to_float(float_to_half(x)); });
}

}  // namespace ingot
