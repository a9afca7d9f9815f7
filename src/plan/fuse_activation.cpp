// fuse_activation: a ReLU that is a clamp (ReLU, ReLU6, a capped ReLU; not leaky, no
// threshold) runs inside the kernel that produces its input (Conv2D, Dense, pooling, or a
// residual Add), when that kernel accepts a clamp and the unclamped value has no other reader
// and is not a graph output. Exact: the kernel clamps each result before storing it.
#include "kernels/ops.h"
#include "plan/plan_graph.h"

namespace ingot::plan {

Status fuse_activation(PlanGraph& plan, const OpRegistry& registry) {
  ir::Graph& g = plan.graph;
  for (std::size_t i = 0; i < g.nodes.size();) {
    const ir::Node& act = g.nodes[i];
    const auto producer = act.op == "ReLU" && act.inputs.size() == 1 && fusible(g, act.inputs[0])
                              ? g.producer_of(act.inputs[0])
                              : std::nullopt;
    if (!producer || g.nodes[*producer].outputs.size() != 1 || plan.clamps.count(g.nodes[*producer].name) != 0) {
      ++i;
      continue;
    }
    INGOT_ASSIGN_OR_RETURN(const ir::BoundNode act_bound, bind(g, act, registry));
    const auto& relu = *static_cast<const ops::ReLUParams*>(act_bound.params.get());
    const ir::Node& layer = g.nodes[*producer];
    INGOT_ASSIGN_OR_RETURN(const ir::BoundNode layer_bound, bind(g, layer, registry));
    std::vector<TensorInfo> inputs;
    for (const auto& name : layer.inputs) inputs.push_back(g.find_value(name)->info);
    if (!kernels::relu_is_clamp(relu) || !kernels::accepts_clamp(layer.op, layer_bound.params.get(), inputs)) {
      ++i;
      continue;
    }
    const kernels::Clamp clamp = kernels::relu_clamp(relu);
    plan.clamps[layer.name] = clamp;
    plan.log.push_back("fuse_activation: ReLU " + quote(act.name) + " (" + kernels::describe(clamp) + ") into " +
                       layer.op + " " + quote(layer.name));
    absorb(g, *producer, i);
  }
  return {};
}

}  // namespace ingot::plan
