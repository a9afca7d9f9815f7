#include "runtime/session.h"

#include <cstring>
#include <unordered_map>

#include "format/format.h"

namespace ingot::runtime {

Result<Session> Session::load(const std::string& path, const OpRegistry& registry) {
  INGOT_ASSIGN_OR_RETURN(ir::Graph graph, format::read_model(path, registry));
  return plan(std::move(graph), registry).with_context("plan model " + quoted(path));
}

Result<Session> Session::plan(ir::Graph graph, const OpRegistry& registry) {
  INGOT_TRY(ir::verify(graph, registry));
  Session session;
  session.graph_ = std::move(graph);
  INGOT_TRY(session.build_plan(registry));
  return session;
}

Status Session::build_plan(const OpRegistry& registry) {
  INGOT_ASSIGN_OR_RETURN(const auto order, ir::topological_order(graph_));
  // Bound parameters share ownership of the decoded weights, so the cache can go after planning.
  ir::ConstantCache constants(graph_);
  std::unordered_map<std::string, Tensor*> by_name;
  for (const auto& value : graph_.values) {
    INGOT_ASSIGN_OR_RETURN_CTX(Tensor t, Tensor::allocate(value.info.dtype, value.info.shape),
                               "allocate value " + quoted(value.name));
    values_.push_back(std::make_unique<Tensor>(std::move(t)));
    value_names_.push_back(value.name);
    by_name[value.name] = values_.back().get();
  }
  for (std::size_t index : order) {
    const ir::Node& node = graph_.nodes[index];
    Step step;
    step.node = &node;
    INGOT_ASSIGN_OR_RETURN(step.bound, ir::bind_node(node, registry, constants));
    for (const auto& in : node.inputs) step.inputs.push_back(by_name.at(in));
    for (const auto& out : node.outputs) step.outputs.push_back(by_name.at(out));
    if (!step.bound.op->kernel) {
      if (node.op == "Input") continue;  // filled by run() from the caller's tensors
      return unsupported("plan node " + quoted(node.name) + " (" + node.op + "): op has no kernel");
    }
    steps_.push_back(std::move(step));
  }
  for (const auto& name : graph_.inputs) {
    inputs_.push_back(by_name.at(name));
    input_infos_.push_back(graph_.find_value(name)->info);
  }
  for (const auto& name : graph_.outputs) {
    outputs_.push_back(by_name.at(name));
    output_infos_.push_back(graph_.find_value(name)->info);
  }
  return {};
}

Result<std::vector<Tensor>> Session::run(std::span<const Tensor> inputs) {
  if (inputs.size() != inputs_.size()) {
    return usage_error("run model: it needs " + std::to_string(inputs_.size()) + " inputs, got " +
                       std::to_string(inputs.size()));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const TensorInfo& want = input_infos_[i];
    if (inputs[i].dtype() != want.dtype || inputs[i].shape() != want.shape) {
      return bad_input("run model: input " + std::to_string(i) + " " + quoted(graph_.inputs[i]) + " must be " +
                       dtype_name(want.dtype) + " " + want.shape.to_string() + ", got " +
                       dtype_name(inputs[i].dtype()) + " " + inputs[i].shape().to_string());
    }
    std::memcpy(inputs_[i]->mutable_bytes(), inputs[i].bytes(), inputs[i].byte_size());
  }
  for (const Step& step : steps_) {
    step.bound.op->kernel(step.bound.params.get(), KernelArgs{step.inputs, step.outputs});
  }
  std::vector<Tensor> out;
  for (const Tensor* t : outputs_) out.push_back(t->clone());
  return out;
}

const Tensor* Session::value(const std::string& name) const {
  for (std::size_t i = 0; i < value_names_.size(); ++i) {
    if (value_names_[i] == name) return values_[i].get();
  }
  return nullptr;
}

std::size_t Session::activation_bytes() const {
  std::size_t total = 0;
  for (const auto& v : values_) total += v->byte_size();
  return total;
}

}  // namespace ingot::runtime
