// fuse_residual_add: Add(conv, other), two operands of one shape, where `conv` is the output of
// a Conv2D read by nothing else and not a graph output, becomes that Conv2D with `other` as its
// second input (y = conv + bias + other, see ops/conv2d.cpp), when its kernel adds a summand
// inside (oneDNN's binary post-op). A ReLU after the Add then fuses into the same kernel
// (fuse_activation runs next), so a ResNet block's tail is one kernel instead of three passes
// over the activation. Exact: float addition commutes, so conv + other is the Add's result.
#include "plan/plan_graph.h"

namespace ingot::plan {
namespace {

// The index of the Conv2D the Add at `index` can take over, with the operand left for it.
std::optional<std::pair<std::size_t, std::string>> fusible_conv(const PlanGraph& plan, const OpRegistry& registry,
                                                               std::size_t index) {
  const ir::Graph& g = plan.graph;
  const ir::Node& add = g.nodes[index];
  if (add.op != "Add" || add.inputs.size() != 2 || add.inputs[0] == add.inputs[1]) return std::nullopt;
  const ir::Value* a = g.find_value(add.inputs[0]);
  const ir::Value* b = g.find_value(add.inputs[1]);
  if (a == nullptr || b == nullptr || a->info != b->info) return std::nullopt;  // no broadcasting
  for (int k = 0; k < 2; ++k) {
    const std::string& mine = add.inputs[k];
    const auto producer = fusible(g, mine) ? g.producer_of(mine) : std::nullopt;
    if (!producer) continue;
    const ir::Node& conv = g.nodes[*producer];
    // One input (not fused already), one output, and no clamp of its own: relu(conv) + other
    // is not conv + other.
    if (conv.op != "Conv2D" || conv.inputs.size() != 1 || conv.outputs.size() != 1 || plan.clamps.count(conv.name))
      continue;
    const auto bound = bind(g, conv, registry);
    if (!bound.ok() || !kernels::accepts_residual(conv.op, bound->params.get(), plan.conv_library)) continue;
    return std::make_pair(*producer, add.inputs[1 - k]);
  }
  return std::nullopt;
}

}  // namespace

Status fuse_residual_add(PlanGraph& plan, const OpRegistry& registry) {
  ir::Graph& g = plan.graph;
  for (std::size_t i = 0; i < g.nodes.size();) {
    const auto found = fusible_conv(plan, registry, i);
    if (!found) {
      ++i;
      continue;
    }
    const auto [conv, other] = *found;
    plan.log.push_back("fuse_residual_add: Add " + quote(g.nodes[i].name) + " into Conv2D " + quote(g.nodes[conv].name) +
                       " (summand " + quote(other) + ")");
    g.nodes[conv].inputs.push_back(other);
    absorb(g, conv, i);
  }
  return {};
}

}  // namespace ingot::plan
