// Writes a DV700 network as DMP's dv-sdk builds it: <name>_gen.h and <name>_gen.cpp (a class
// C<name> deriving from CDMP_Network whose Initialize() fills one command struct per layer)
// and <name>_weights.bin (weights.h). The command fields, their values and their meaning are
// those of the dv-sdk headers (dmp_network.h, dmp_dv_cmdraw_v0.h); docs/dv700.md lists them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ingot/status.h"
#include "target/dv700/network.h"

namespace ingot::dv700 {

struct SdkFiles {
  std::string header;                 // <name>_gen.h
  std::string source;                 // <name>_gen.cpp
  std::vector<std::uint8_t> weights;  // <name>_weights.bin
};

// `name` must be a C identifier: it names the class and the files.
Result<SdkFiles> emit_sdk(const Network& net, const std::string& name, bool codebook8,
                          const OpRegistry& registry);

// Writes the two sources and <name>_weights.bin (packed from `net` on `threads` threads, 0:
// the machine's cores, written as the runs are packed) into `dir` (created if missing), each
// to a temporary name first, so a failure leaves no half-written file.
Status write_sdk(const std::string& dir, const std::string& name, const SdkFiles& files,
                 const Network& net, bool codebook8, int threads = 0);

// The network's runs, memory and host/device split, as `compile --report` prints it.
std::string describe_network(const Network& net, const std::string& name, bool codebook8);

}  // namespace ingot::dv700
