#include <algorithm>

#include "plan/plan_graph.h"

namespace ingot::plan {

std::vector<std::size_t> consumers(const ir::Graph& graph, const std::string& value) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const auto& in = graph.nodes[i].inputs;
    if (std::find(in.begin(), in.end(), value) != in.end()) out.push_back(i);
  }
  return out;
}

bool is_graph_output(const ir::Graph& graph, const std::string& value) {
  return std::find(graph.outputs.begin(), graph.outputs.end(), value) != graph.outputs.end();
}

bool fusible(const ir::Graph& graph, const std::string& value) {
  if (is_graph_output(graph, value)) return false;
  const auto readers = consumers(graph, value);
  if (readers.size() != 1) return false;
  const auto& in = graph.nodes[readers[0]].inputs;
  return std::count(in.begin(), in.end(), value) == 1;  // Add(x, x) reads it twice
}

void absorb(ir::Graph& graph, std::size_t producer, std::size_t index) {
  const std::string old_value = graph.nodes[producer].outputs[0];
  graph.nodes[producer].outputs[0] = graph.nodes[index].outputs[0];
  graph.values.erase(std::remove_if(graph.values.begin(), graph.values.end(),
                                    [&](const ir::Value& v) { return v.name == old_value; }),
                     graph.values.end());
  graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(index));
}

Result<ir::BoundNode> bind(const ir::Graph& graph, const ir::Node& node, const OpRegistry& registry) {
  ir::ConstantCache constants(graph);
  return ir::bind_node(node, registry, constants);
}

std::string fresh_constant_name(const ir::Graph& graph, const std::string& base) {
  std::string name = base + "/folded";
  for (int i = 1; graph.find_constant(name) != nullptr; ++i) name = base + "/folded." + std::to_string(i);
  return name;
}

}  // namespace ingot::plan
