// Compiling a graph for a target: partition into device runs and host ops, the limit check,
// folding of batch norm / scale into the convolutions of device runs (so the stored weights
// are the fused ones the device reads), the device runs' weights in the target's storage, and
// the compilation record (ir::Compilation) the file keeps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "target/limits.h"
#include "target/partition.h"
#include "target/target.h"

namespace ingot::target {

// What the check finds, without changing the graph.
struct Analysis {
  ir::Graph graph;  // the input with shapes inferred and open dims fixed (ir::close_open_dims)
  std::vector<std::string> closed_dims;  // the open dims fixed, "input:name=size"
  Partition partition;
  std::vector<std::optional<TileFit>> tiles;  // per run
  std::vector<Violation> violations;
};
Result<Analysis> analyse(const ir::Graph& graph, const Target& target, const PartitionOptions& options,
                         const OpRegistry& registry);

// "N violations of target T's limits: <one line each>"; ok when there are none.
Status violations_status(const std::vector<Violation>& violations, const Target& target);

struct CompileOptions {
  std::optional<ir::Storage> weights;  // default: the target's default_weights
  PartitionOptions partition;
  int threads = 0;  // for codebook fitting; 0: the machine's cores
};

struct Compiled {
  ir::Graph graph;               // compiled, with graph.compilation set
  std::vector<std::string> log;  // one line per fold: "fold BatchNorm 'bn1' into Conv2D 'conv1'"
};

// Fails with ErrorKind::limits (every violation listed) before changing anything, with usage
// for a weight storage the target does not read, and with bad_input for a graph compiled
// already.
Result<Compiled> compile(const ir::Graph& graph, const Target& target, const CompileOptions& options,
                         const OpRegistry& registry);

}  // namespace ingot::target
