#include "ir/builder.h"

namespace ingot::ir {

std::string GraphBuilder::unique(const std::string& wanted, bool constant) {
  // Nodes and values share one namespace (a node's first output carries its name); constants
  // have their own.
  const std::string prefix = constant ? "c:" : "n:";
  std::string name = wanted;
  for (int i = 1; taken_.count(prefix + name); ++i) name = wanted + "_" + std::to_string(i);
  taken_.insert(prefix + name);
  return name;
}

Result<std::string> GraphBuilder::input(const std::string& name, const Shape& shape, DType dtype) {
  INGOT_TRY_CTX(validate_shape(shape), "add input " + quote(name));
  const std::string unique_name = unique(name, false);
  graph_.add_input(unique_name, shape, dtype);
  infos_[unique_name] = {shape, dtype};
  return unique_name;
}

Result<std::vector<std::string>> GraphBuilder::add(const std::string& name, const std::string& op,
                                                   std::vector<std::string> inputs, AttrMap attrs,
                                                   int num_outputs) {
  const std::string node_name = unique(name, false);
  for (int i = 1; i < num_outputs; ++i) taken_.insert("n:" + output_name(node_name, i));
  std::vector<TensorInfo> in;
  for (const auto& v : inputs) {
    auto it = infos_.find(v);
    if (it == infos_.end()) return internal_error("add node " + quote(node_name) + ": input " + quote(v) + " is unknown");
    in.push_back(it->second);
  }
  const std::size_t index = graph_.add_node(node_name, op, std::move(inputs), std::move(attrs), num_outputs);
  Node& node = graph_.nodes[index];
  auto fail = [&](Status st) {
    graph_.nodes.pop_back();
    graph_.values.resize(graph_.values.size() - static_cast<std::size_t>(num_outputs));
    return st;
  };
  auto bound = bind_node(node, registry_, constants_);
  if (!bound.ok()) return fail(std::move(bound).status());
  auto out = bound->op->infer(bound->params.get(), in);
  if (!out.ok()) return fail(std::move(out).status().with_context("infer shapes of node " + quote(node_name) + " (" + op + ")"));
  if (out->size() != node.outputs.size()) {
    return fail(internal_error("add node " + quote(node_name) + ": shape rule gave " + std::to_string(out->size()) + " outputs"));
  }
  for (std::size_t i = 0; i < out->size(); ++i) {
    graph_.find_value(node.outputs[i])->info = (*out)[i];
    infos_[node.outputs[i]] = (*out)[i];
  }
  return node.outputs;
}

Result<std::string> GraphBuilder::add1(const std::string& name, const std::string& op,
                                       std::vector<std::string> inputs, AttrMap attrs) {
  INGOT_ASSIGN_OR_RETURN(auto outs, add(name, op, std::move(inputs), std::move(attrs), 1));
  return outs[0];
}

Result<TensorRef> GraphBuilder::constant(const std::string& name, const Tensor& value) {
  const std::string unique_name = unique(name, true);
  INGOT_TRY(graph_.add_constant(unique_name, value, Storage::raw));
  return TensorRef{unique_name};
}

const TensorInfo& GraphBuilder::info(const std::string& value) const { return infos_.at(value); }

Graph GraphBuilder::release() {
  Graph out = std::move(graph_);
  graph_ = Graph();
  infos_.clear();
  taken_.clear();
  return out;
}

Status convert_storage(Graph& graph, Storage storage) {
  for (Constant& c : graph.constants) {
    if (c.storage != Storage::raw || c.dtype != DType::f32 || storage == Storage::raw) continue;
    INGOT_ASSIGN_OR_RETURN(c, make_constant(c.name, c.payload, storage));
  }
  return {};
}

}  // namespace ingot::ir
