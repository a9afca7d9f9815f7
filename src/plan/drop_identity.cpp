// drop_identity: nodes that return their input unchanged (Affine with scale 1 and offset 0,
// as importers write for Keras Dropout-style or unit Rescaling layers; Reshape to the same
// shape) are removed, their readers reading the input instead. Never a node whose output is a
// graph output (the output must keep its name) or whose input is a graph input that is also an
// output.
#include <algorithm>

#include "ops/params.h"
#include "plan/plan_graph.h"

namespace ingot::plan {

Status drop_identity(PlanGraph& plan, const OpRegistry& registry) {
  ir::Graph& g = plan.graph;
  for (std::size_t i = 0; i < g.nodes.size();) {
    const ir::Node& n = g.nodes[i];
    bool identity = false;
    if (n.inputs.size() == 1 && n.outputs.size() == 1 && !is_graph_output(g, n.outputs[0])) {
      if (n.op == "Affine") {
        INGOT_ASSIGN_OR_RETURN(const ir::BoundNode b, bind(g, n, registry));
        const auto& p = *static_cast<const ops::AffineParams*>(b.params.get());
        identity = p.scale == 1.0 && p.offset == 0.0;
      } else if (n.op == "Reshape") {
        identity = g.find_value(n.inputs[0])->info == g.find_value(n.outputs[0])->info;
      }
    }
    if (!identity) {
      ++i;
      continue;
    }
    const std::string from = n.inputs[0], to = n.outputs[0];
    plan.log.push_back("drop_identity: " + n.op + " " + quote(n.name));
    for (ir::Node& reader : g.nodes) std::replace(reader.inputs.begin(), reader.inputs.end(), to, from);
    g.values.erase(std::remove_if(g.values.begin(), g.values.end(), [&](const ir::Value& v) { return v.name == to; }),
                   g.values.end());
    g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return {};
}

}  // namespace ingot::plan
