#include "runtime/graph_stats.h"

#include <set>

namespace ingot::runtime {
namespace {

const Shape* weight_shape(const ir::Graph& g, const ir::Node& n) {
  auto it = n.attrs.find("weights");
  if (it == n.attrs.end()) return nullptr;
  const auto* ref = std::get_if<TensorRef>(&it->second);
  const ir::Constant* c = ref ? g.find_constant(ref->name) : nullptr;
  return c ? &c->shape() : nullptr;
}

std::int64_t elements(const ir::Graph& g, const std::string& value) {
  const ir::Value* v = g.find_value(value);
  return v ? v->info.shape.element_count().value_or(0) : 0;
}

}  // namespace

std::uint64_t count_macs(const ir::Graph& graph) {
  std::uint64_t macs = 0;
  for (const ir::Node& n : graph.nodes) {
    const Shape* w = weight_shape(graph, n);
    if (w == nullptr || n.inputs.empty() || n.outputs.empty()) continue;
    if (n.op == "Conv2D" && w->rank() == 4) {
      macs += static_cast<std::uint64_t>(elements(graph, n.outputs[0])) * static_cast<std::uint64_t>((*w)[1] * (*w)[2] * (*w)[3]);
    } else if (n.op == "Dense" && w->rank() == 2) {
      macs += static_cast<std::uint64_t>(elements(graph, n.outputs[0])) * static_cast<std::uint64_t>((*w)[1]);
    } else if (n.op == "ConvTranspose2D" && w->rank() == 4) {
      // Weights [in, out/groups, kh, kw]: each input element meets every tap of its group's outputs.
      macs += static_cast<std::uint64_t>(elements(graph, n.inputs[0])) * static_cast<std::uint64_t>((*w)[1] * (*w)[2] * (*w)[3]);
    }
  }
  return macs;
}

std::uint64_t weight_bytes(const ir::Graph& graph) {
  std::set<std::string> referenced;
  for (const ir::Node& n : graph.nodes)
    for (const auto& [key, value] : n.attrs)
      if (const auto* ref = std::get_if<TensorRef>(&value)) referenced.insert(ref->name);
  std::uint64_t bytes = 0;
  for (const ir::Constant& c : graph.constants)
    if (referenced.count(c.name) != 0) bytes += c.stored_bytes();
  return bytes;
}

}  // namespace ingot::runtime
