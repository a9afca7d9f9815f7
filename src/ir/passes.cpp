#include "ir/passes.h"

#include <functional>
#include <queue>
#include <set>
#include <unordered_map>

namespace ingot::ir {
namespace {

std::string node_label(const Node& node) { return "node " + quote(node.name) + " (" + node.op + ")"; }

// value name -> index of its producing node (the first one, when verify will reject duplicates).
std::unordered_map<std::string, std::size_t> producers(const Graph& graph) {
  std::unordered_map<std::string, std::size_t> map;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& out : graph.nodes[i].outputs) map.emplace(out, i);
  }
  return map;
}

template <class Items, class NameOf>
Status check_unique(const Items& items, NameOf name_of, const std::string& kind) {
  std::set<std::string, std::less<>> seen;
  for (const auto& item : items) {
    const std::string& name = name_of(item);
    if (name.empty()) return verification_error(kind + " names must be non-empty, got \"\"");
    if (!seen.insert(name).second) {
      return verification_error(kind + " names must be unique, got " + quote(name) + " twice");
    }
  }
  return {};
}

Status check_names(const Graph& graph) {
  INGOT_TRY(check_unique(graph.nodes, [](const Node& n) -> const std::string& { return n.name; }, "node"));
  INGOT_TRY(check_unique(graph.values, [](const Value& v) -> const std::string& { return v.name; }, "value"));
  INGOT_TRY(check_unique(graph.constants, [](const Constant& c) -> const std::string& { return c.name; }, "constant"));
  std::set<std::string, std::less<>> produced;
  for (const auto& node : graph.nodes) {
    for (const auto& out : node.outputs) {
      if (!produced.insert(out).second) {
        return verification_error("value " + quote(out) + " must have one producer, got a second one in " +
                                  node_label(node));
      }
      if (graph.find_value(out) == nullptr) {
        return verification_error(node_label(node) + ": output " + quote(out) + " must be in the value table, got nothing");
      }
    }
  }
  for (const auto& value : graph.values) {
    if (!produced.count(value.name)) {
      return verification_error("value " + quote(value.name) + " must be produced by a node, got none");
    }
  }
  return {};
}

Status check_inputs_outputs(const Graph& graph) {
  const auto prod = producers(graph);
  std::set<std::string, std::less<>> listed(graph.inputs.begin(), graph.inputs.end());
  if (listed.size() != graph.inputs.size()) return verification_error("graph inputs must be unique");
  for (const auto& name : graph.inputs) {
    auto it = prod.find(name);
    if (it == prod.end() || graph.nodes[it->second].op != "Input") {
      return verification_error("graph input " + quote(name) + " must be produced by an Input node, got " +
                                (it == prod.end() ? std::string("no producer") : node_label(graph.nodes[it->second])));
    }
  }
  for (const auto& node : graph.nodes) {
    if (node.op == "Input" && !node.outputs.empty() && !listed.count(node.outputs[0])) {
      return verification_error(node_label(node) + ": its value must be listed in the graph inputs, got it unlisted");
    }
  }
  if (graph.outputs.empty()) return verification_error("graph outputs must not be empty, got none");
  for (const auto& name : graph.outputs) {
    if (!prod.count(name)) return verification_error("graph output " + quote(name) + " must be a produced value, got no producer");
  }
  return {};
}

Status check_constants(const Graph& graph) {
  for (const auto& c : graph.constants) {
    if (c.storage == Storage::codebook8) {
      if (!has_codebook(c)) {
        return verification_error("constant " + quote(c.name) +
                                  ": codebook8 storage needs f32 values as u8 indices and f16 [256] entries");
      }
      continue;
    }
    const DType stored = c.storage == Storage::f16 ? DType::f16 : c.dtype;
    if (c.payload.empty() || c.payload.dtype() != stored || (c.storage == Storage::f16 && c.dtype != DType::f32)) {
      return verification_error("constant " + quote(c.name) + ": payload must match its dtype and storage");
    }
  }
  for (const auto& node : graph.nodes) {
    for (const auto& [key, value] : node.attrs) {
      if (const auto* ref = std::get_if<TensorRef>(&value); ref && !graph.find_constant(ref->name)) {
        return verification_error(node_label(node) + ": parameter " + quote(key) + " must name a constant, got " +
                                  quote(ref->name) + " which does not exist");
      }
    }
  }
  for (const auto& [key, value] : graph.metadata) {
    if (attr_type(value) == AttrType::tensor) {
      return verification_error("metadata " + quote(key) + " must not be a tensor, got " + attr_to_string(value));
    }
  }
  return {};
}

// Runs the shape rules in order; `on_result` receives each node and its inferred outputs.
// `adjust` (optional) may rewrite node `index`'s attributes from its input infos before it is bound.
Status run_shape_rules(const Graph& graph, const OpRegistry& registry,
                       const std::function<Status(const Node&, std::vector<TensorInfo>)>& on_result,
                       const ShapeAdjust* adjust = nullptr) {
  INGOT_ASSIGN_OR_RETURN(const auto order, topological_order(graph));
  ConstantCache constants(graph);
  std::unordered_map<std::string, TensorInfo> infos;
  for (std::size_t index : order) {
    const Node& node = graph.nodes[index];
    std::vector<TensorInfo> in;
    for (const auto& name : node.inputs) in.push_back(infos.at(name));
    if (adjust != nullptr) INGOT_TRY_CTX((*adjust)(index, in), "infer shapes of " + node_label(node));
    INGOT_ASSIGN_OR_RETURN(BoundNode bound, bind_node(node, registry, constants));
    INGOT_ASSIGN_OR_RETURN_CTX(auto out, bound.op->infer(bound.params.get(), in),
                               "infer shapes of " + node_label(node));
    if (out.size() != node.outputs.size()) {
      return verification_error("infer shapes of " + node_label(node) + ": it must have " +
                                std::to_string(out.size()) + " outputs, got " + std::to_string(node.outputs.size()));
    }
    for (std::size_t i = 0; i < out.size(); ++i) infos[node.outputs[i]] = out[i];
    INGOT_TRY(on_result(node, std::move(out)));
  }
  return {};
}

}  // namespace

Result<std::vector<std::size_t>> topological_order(const Graph& graph) {
  const auto prod = producers(graph);
  const std::size_t n = graph.nodes.size();
  std::vector<std::size_t> pending(n, 0);
  std::vector<std::vector<std::size_t>> consumers(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& in : graph.nodes[i].inputs) {
      auto it = prod.find(in);
      if (it == prod.end()) {
        return verification_error(node_label(graph.nodes[i]) + ": input " + quote(in) +
                                  " must be produced by a node, got no producer");
      }
      ++pending[i];
      consumers[it->second].push_back(i);
    }
  }
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<std::size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    const std::size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (std::size_t c : consumers[i]) {
      if (--pending[c] == 0) ready.push(c);
    }
  }
  if (order.size() != n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (pending[i] != 0) {
        return verification_error(node_label(graph.nodes[i]) + ": the graph must be acyclic, got a cycle through it");
      }
    }
  }
  return order;
}

const Tensor* ConstantCache::find(std::string_view name) {
  if (auto it = decoded_.find(name); it != decoded_.end()) return &it->second;
  const Constant* c = graph_.find_constant(name);
  if (c == nullptr) return nullptr;
  Result<Tensor> t = decode_constant(*c);
  if (!t.ok()) return nullptr;
  return &decoded_.emplace(std::string(name), std::move(t).value()).first->second;
}

Result<BoundNode> bind_node(const Node& node, const OpRegistry& registry, ConstantCache& constants) {
  const std::string what = "check " + node_label(node);
  const OpDef* op = registry.find(node.op);
  // Unsupported rather than invalid: the op may exist in a newer build or in a user's plugin.
  if (op == nullptr) {
    return unsupported(what + ": op " + quote(node.op) + " must be registered, got an unknown op (a user op: load the " +
                       "library that registers it with --plugin)");
  }
  const OpSchema& s = op->schema;
  if (node.version < s.min_version || node.version > s.version) {
    return unsupported(what + ": op version must be in [" + std::to_string(s.min_version) + ", " +
                       std::to_string(s.version) + "], got " + std::to_string(node.version));
  }
  const auto n_in = static_cast<int>(node.inputs.size());
  if (n_in < s.min_inputs || (s.max_inputs != kVariadic && n_in > s.max_inputs)) {
    const std::string want = s.max_inputs == kVariadic ? "at least " + std::to_string(s.min_inputs)
                             : s.min_inputs == s.max_inputs ? std::to_string(s.min_inputs)
                                 : std::to_string(s.min_inputs) + " to " + std::to_string(s.max_inputs);
    return verification_error(what + ": it must have " + want + " inputs, got " + std::to_string(n_in));
  }
  if (static_cast<int>(node.outputs.size()) != s.num_outputs) {
    return verification_error(what + ": it must have " + std::to_string(s.num_outputs) + " outputs, got " +
                              std::to_string(node.outputs.size()));
  }
  auto params = op->bind(node.attrs, constants.lookup());
  if (!params.ok()) {
    Status st = std::move(params).status();
    return Status(ErrorKind::verification, st.message()).with_context(what);
  }
  return BoundNode{op, std::move(params).value()};
}

Status infer_shapes(Graph& graph, const OpRegistry& registry, const ShapeAdjust& adjust) {
  return run_shape_rules(graph, registry, [&graph](const Node& node, std::vector<TensorInfo> out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      Value* value = graph.find_value(node.outputs[i]);
      if (value == nullptr) {
        return verification_error(node_label(node) + ": output " + quote(node.outputs[i]) + " must be in the value table");
      }
      value->info = std::move(out[i]);
    }
    return Status();
  }, adjust ? &adjust : nullptr);
}

// The compilation record names this graph's nodes: each node but the Inputs in exactly one
// run, in an order the graph can compute (a run's nodes after those of the runs it reads).
static Status check_compilation(const Graph& graph) {
  if (!graph.compilation) return {};
  const Compilation& c = *graph.compilation;
  const auto fail = [](const std::string& m) { return verification_error("compilation record: " + m); };
  if (c.target.empty()) return fail("the target name is empty");
  if ((c.activations != DType::f32 && c.activations != DType::f16) ||
      (c.accumulation != DType::f32 && c.accumulation != DType::f16)) {
    return fail("activation and accumulation types must be f32 or f16, got " + std::string(dtype_name(c.activations)) +
                " and " + dtype_name(c.accumulation));
  }
  std::map<std::string, std::size_t, std::less<>> run_of;
  for (std::size_t r = 0; r < c.runs.size(); ++r) {
    if (c.runs[r].nodes.empty()) return fail("run " + std::to_string(r) + " has no nodes");
    if (c.runs[r].tiles < 0) return fail("run " + std::to_string(r) + " has a negative tile count");
    for (const std::string& name : c.runs[r].nodes) {
      const Node* node = graph.find_node(name);
      if (node == nullptr) return fail("run " + std::to_string(r) + " names node " + quote(name) + ", which the graph does not have");
      if (node->op == "Input") return fail("run " + std::to_string(r) + " holds Input node " + quote(name));
      if (!run_of.emplace(name, r).second) {
        return fail("node " + quote(name) + " is in runs " + std::to_string(run_of[name]) + " and " + std::to_string(r));
      }
    }
  }
  for (const Node& node : graph.nodes) {
    if (node.op != "Input" && run_of.count(node.name) == 0) return fail("node " + quote(node.name) + " is in no run");
  }
  // A node may only read what an earlier run, or its own run before it, computed.
  std::map<std::string, std::pair<std::size_t, std::size_t>, std::less<>> computed;  // value -> (run, position)
  for (std::size_t r = 0; r < c.runs.size(); ++r) {
    for (std::size_t k = 0; k < c.runs[r].nodes.size(); ++k) {
      const Node* node = graph.find_node(c.runs[r].nodes[k]);
      for (const std::string& in : node->inputs) {
        const auto producer = graph.producer_of(in);
        if (!producer || graph.nodes[*producer].op == "Input") continue;
        const auto it = computed.find(in);
        if (it == computed.end()) {
          return fail("run " + std::to_string(r) + " node " + quote(node->name) + " reads " + quote(in) +
                      " before any run computes it");
        }
      }
      for (const std::string& out : node->outputs) computed[out] = {r, k};
    }
  }
  return {};
}

Status verify(const Graph& graph, const OpRegistry& registry) {
  INGOT_TRY(check_names(graph));
  INGOT_TRY(check_inputs_outputs(graph));
  INGOT_TRY(check_constants(graph));
  INGOT_TRY(check_compilation(graph));
  return run_shape_rules(graph, registry, [&graph](const Node& node, std::vector<TensorInfo> out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      const Value* value = graph.find_value(node.outputs[i]);
      if (!(value->info == out[i])) {
        return verification_error(node_label(node) + ": output " + quote(value->name) + " must be " +
                                  dtype_name(out[i].dtype) + " " + out[i].shape.to_string() + " by the shape rule, got " +
                                  dtype_name(value->info.dtype) + " " + value->info.shape.to_string());
      }
    }
    return Status();
  });
}

}  // namespace ingot::ir
