// Device numerics emulation: a compiled model (ingot compile) runs on the CPU with the numerics
// its target's device has, so `ingot run` predicts what the device outputs.
//
// Emulated, for a target whose activations are f16:
//   - every value a device run writes for a reader outside the run (another run, a host op,
//     or the caller) is rounded to binary16, as the device stores it;
//   - every value a device run reads from the host or from the caller is rounded to binary16
//     on its way in (the host's own readers keep the f32 value);
//   - weights are what their storage decodes to (f16, codebook8 entries), as always.
// Not emulated: rounding inside a run (a fused convolution's sums and its batch norm, scale,
// activation and pooling are computed in f32; the device keeps them in its own formats, and a
// target's `accumulation: f16` is not applied), the device's order of summation over tiles, and
// its activation-function approximations.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace ingot::runtime {

// Inserts RoundToF16 nodes into `graph` (a session's private copy, still named as the record
// names it) at the boundaries above; does nothing when the activations are f32. One line per
// rounding goes to `log`.
Status emulate_device_numerics(ir::Graph& graph, const ir::Compilation& compilation, std::vector<std::string>& log);

}  // namespace ingot::runtime
