// Plan-time graph optimisation: passes over a session's private copy of the IR, run before
// the kernels are chosen. The stored model is never changed. Each pass is one file with its own
// tests (tests/plan) and records what it did, so `ingot inspect --plan` can list it.
//
// A pass may only remove values no caller can ask for: a value that is a graph output, or
// that has a consumer other than the node being fused, is never removed. When a producer takes
// over a removed node, it takes over that node's output name, so every value a consumer or
// caller sees keeps its name.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"
#include "ir/passes.h"
#include "kernels/kernel.h"

namespace ingot::plan {

struct PlanGraph {
  ir::Graph graph;
  // Activations fused into their producer: node name -> clamp its kernel applies.
  std::map<std::string, kernels::Clamp> clamps;
  // One line per rewrite: "fold_batch_norm: 'bn1' into 'conv1'".
  std::vector<std::string> log;
  // The library the Conv2D / Dense kernels will come from: what they can fuse depends on it.
  kernels::ConvLibrary conv_library = kernels::ConvLibrary::onednn;
};

struct PassOptions {
  // Passes that remove values (every pass but none) are skipped when all values must stay
  // readable (--dump-all).
  bool keep_all_values = false;
};

// The passes in the order they run; names are what `ingot inspect --plan` prints.
struct Pass {
  const char* name;
  const char* doc;
  Status (*run)(PlanGraph& plan, const OpRegistry& registry);
};
const std::vector<Pass>& passes();

// Runs every pass (none when options.keep_all_values), then verifies the graph they produced.
Status optimize(PlanGraph& plan, const OpRegistry& registry, const PassOptions& options);

// The passes, one file each.
Status nhwc_layout(PlanGraph& plan, const OpRegistry& registry);
Status drop_identity(PlanGraph& plan, const OpRegistry& registry);
Status fold_batch_norm(PlanGraph& plan, const OpRegistry& registry);
Status fold_pad(PlanGraph& plan, const OpRegistry& registry);
Status fuse_residual_add(PlanGraph& plan, const OpRegistry& registry);
Status fuse_activation(PlanGraph& plan, const OpRegistry& registry);

// A BatchNorm, Scale or Affine as y = x * mul[c] + add[c] per channel c, if node `n` (bound as
// `b`) acts on axis `channel_axis` of its rank-`rank` input with `channels` channels
// (fold_batch_norm.cpp; `ingot compile` folds with it too).
struct ChannelAffine {
  std::vector<float> mul, add;
};
std::optional<ChannelAffine> channel_affine(const ir::Node& n, const ir::BoundNode& b, std::size_t rank,
                                            std::size_t channel_axis, std::size_t channels);

// A Pad's amounts (begins, then ends, rank 4) as a Conv2D's (top, left, bottom, right), or
// nullopt when the pad touches the batch or channel axis of `layout` (fold_pad.cpp).
std::optional<std::array<std::int64_t, 4>> spatial_pads(const std::vector<std::int64_t>& pads, const std::string& layout);

// -- helpers the passes share (graph_edit.cpp)

// Nodes reading `value` (indices into graph.nodes).
std::vector<std::size_t> consumers(const ir::Graph& graph, const std::string& value);
bool is_graph_output(const ir::Graph& graph, const std::string& value);
// `value` is read by exactly one node and is not a graph output: it may be fused away.
bool fusible(const ir::Graph& graph, const std::string& value);
// Removes node `index` whose single output `value` is replaced by its (single) producer's:
// the producer `producer` now writes the removed node's output name, and the producer's old
// output value is dropped from the graph.
void absorb(ir::Graph& graph, std::size_t producer, std::size_t index);
// Binds a node's parameters (its op's parameter struct, ops/params.h).
Result<ir::BoundNode> bind(const ir::Graph& graph, const ir::Node& node, const OpRegistry& registry);
// A fresh constant name derived from `base` ("<base>/folded", "<base>/folded.1", ...).
std::string fresh_constant_name(const ir::Graph& graph, const std::string& base);

}  // namespace ingot::plan
