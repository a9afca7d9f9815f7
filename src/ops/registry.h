// Internal view of the built-in ops: one factory per entry of ops.def.
#pragma once

#include <stdexcept>

#include "ingot/op.h"

namespace ingot {

#define INGOT_OP(Name) OpDef make_##Name##_op();
#include "ops/ops.def"
#undef INGOT_OP

// A fresh registry holding exactly the built-in ops (tests use it to stay isolated from
// user ops added to default_registry()).
OpRegistry builtin_registry();

}  // namespace ingot
