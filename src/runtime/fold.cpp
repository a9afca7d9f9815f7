#include "runtime/fold.h"

#include <cmath>

#include "ir/passes.h"

namespace ingot::runtime {
namespace {

std::string metadata_key(const std::string& node) { return "folded." + node; }

// Runs a shape-only node once on zero inputs of the right shapes (their values are never read).
Result<Tensor> compute(const ir::Graph& graph, const ir::Node& node, const OpRegistry& registry) {
  ir::ConstantCache constants(graph);
  INGOT_ASSIGN_OR_RETURN(ir::BoundNode bound, ir::bind_node(node, registry, constants));
  std::vector<TensorInfo> infos;
  std::vector<Tensor> inputs;
  for (const auto& in : node.inputs) {
    const ir::Value* v = graph.find_value(in);
    if (v == nullptr) return bad_input("fold node " + quote(node.name) + ": input " + quote(in) + " is unknown");
    infos.push_back(v->info);
    INGOT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(v->info.dtype, v->info.shape));
    inputs.push_back(std::move(t));
  }
  INGOT_ASSIGN_OR_RETURN(auto out_infos, bound.op->infer(bound.params.get(), infos));
  INGOT_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(out_infos.at(0).dtype, out_infos.at(0).shape));
  std::vector<const Tensor*> in_ptrs;
  for (const Tensor& t : inputs) in_ptrs.push_back(&t);
  Tensor* out_ptr = &out;
  bound.op->kernel(bound.params.get(), KernelArgs{in_ptrs, std::span<Tensor* const>(&out_ptr, 1)});
  return out;
}

}  // namespace

const ir::Constant* folded_constant(const ir::Graph& graph, const std::string& node) {
  auto it = graph.metadata.find(metadata_key(node));
  if (it == graph.metadata.end()) return nullptr;
  const auto* name = std::get_if<std::string>(&it->second);
  return name ? graph.find_constant(*name) : nullptr;
}

Result<std::vector<std::string>> fold_shape_only_nodes(ir::Graph& graph, const OpRegistry& registry) {
  std::vector<std::string> folded;
  for (const ir::Node& node : graph.nodes) {
    const OpDef* def = registry.find(node.op);
    if (def == nullptr || !def->schema.shape_only || !def->kernel || node.outputs.size() != 1) continue;
    INGOT_ASSIGN_OR_RETURN_CTX(Tensor value, compute(graph, node, registry), "fold node " + quote(node.name));
    const std::string name = "folded/" + node.name;
    INGOT_TRY(graph.add_constant(name, value, ir::Storage::raw));
    folded.push_back(node.name);
  }
  for (const std::string& n : folded) graph.metadata[metadata_key(n)] = "folded/" + n;
  return folded;
}

Status refold_for_new_shapes(ir::Graph& graph, const OpRegistry& registry) {
  for (const ir::Node& node : graph.nodes) {
    const ir::Constant* c = folded_constant(graph, node.name);
    const ir::Value* out = node.outputs.size() == 1 ? graph.find_value(node.outputs[0]) : nullptr;
    if (c == nullptr || out == nullptr || c->shape() == out->info.shape) continue;
    INGOT_ASSIGN_OR_RETURN_CTX(Tensor value, compute(graph, node, registry), "fold node " + quote(node.name));
    INGOT_ASSIGN_OR_RETURN(ir::Constant fresh, ir::make_constant(c->name, value, ir::Storage::raw));
    for (ir::Constant& k : graph.constants) {
      if (k.name == fresh.name) k = std::move(fresh);
    }
  }
  return {};
}

Result<std::vector<FoldCheck>> check_folded_nodes(const ir::Graph& graph, const OpRegistry& registry) {
  std::vector<FoldCheck> checks;
  for (const ir::Node& node : graph.nodes) {
    const ir::Constant* c = folded_constant(graph, node.name);
    if (c == nullptr) continue;
    INGOT_ASSIGN_OR_RETURN(Tensor stored, ir::decode_constant(*c));
    INGOT_ASSIGN_OR_RETURN_CTX(Tensor fresh, compute(graph, node, registry), "recompute folded node " + quote(node.name));
    FoldCheck check{node.name, node.op};
    if (stored.shape() != fresh.shape()) {
      check.max_abs = INFINITY;
    } else {
      for (std::size_t i = 0; i < stored.data<float>().size(); ++i) {
        const double d = std::fabs(double(stored.data<float>()[i]) - fresh.data<float>()[i]);
        if (!(d <= check.max_abs)) check.max_abs = d;  // NaN sticks
      }
    }
    checks.push_back(check);
  }
  return checks;
}

}  // namespace ingot::runtime
