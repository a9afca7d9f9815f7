// Splits a graph into what a target's device executes and what stays on the host: device
// runs (chains of ops the device executes in one pass, matched against the target's fusion
// patterns) and host ops. Input nodes belong to no run.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "target/target.h"

namespace ingot::target {

struct Run {
  bool on_device = false;
  std::string fusion;               // the fusion pattern matched; empty for a single op
  std::vector<std::size_t> nodes;   // indices into graph.nodes, in the order they compute
  std::string host_reason;          // why a host run is on the host
};

struct Partition {
  std::vector<Run> runs;                             // in a topological order of the graph
  std::vector<std::optional<std::size_t>> run_of;    // per node: its run (nullopt for Input)
  std::size_t device_runs() const;
};

struct PartitionOptions {
  std::set<std::string> host_layers;  // node names forced onto the host (--host)
};

// Fails when a forced host layer names no node, or the graph has a cycle.
Result<Partition> partition(const ir::Graph& graph, const Target& target, const PartitionOptions& options = {});

}  // namespace ingot::target
