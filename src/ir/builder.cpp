#include "ir/builder.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>
#include <unordered_set>

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

std::unordered_set<std::string> layer_weight_constants(const Graph& graph, const OpRegistry& registry) {
  std::unordered_set<std::string> weights, other;
  for (const Node& node : graph.nodes) {
    const OpDef* def = registry.find(node.op);
    for (const auto& [key, value] : node.attrs) {
      const auto* ref = std::get_if<TensorRef>(&value);
      if (ref == nullptr) continue;
      const ParamSpec* spec = def ? def->schema.find_param(key) : nullptr;
      (spec && spec->layer_weights ? weights : other).insert(ref->name);
    }
  }
  for (const auto& name : other) weights.erase(name);
  return weights;
}

namespace {

// Runs job(i) for i in [0, n) on up to `threads` threads; the first failure (lowest i) wins.
Status run_parallel(std::size_t n, int threads, const std::function<Status(std::size_t)>& job) {
  std::vector<Status> status(n);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < n; i = next++) status[i] = job(i);
  };
  const unsigned wanted = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::min<std::size_t>(wanted, n); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (auto& st : status) {
    if (!st.ok()) return st;
  }
  return {};
}

}  // namespace

Status convert_storage(Graph& graph, Storage storage, const OpRegistry& registry, int threads,
                       const std::unordered_set<std::string>* only) {
  if (storage == Storage::raw) return {};
  const auto weights = storage == Storage::codebook8 ? layer_weight_constants(graph, registry)
                                                     : std::unordered_set<std::string>{};
  std::vector<Constant*> todo;
  for (Constant& c : graph.constants) {
    if (c.storage == Storage::raw && c.dtype == DType::f32 && (only == nullptr || only->count(c.name))) todo.push_back(&c);
  }
  // Largest first, so that the threads finish together.
  std::stable_sort(todo.begin(), todo.end(), [](const Constant* a, const Constant* b) {
    return a->payload.num_elements() > b->payload.num_elements();
  });
  return run_parallel(todo.size(), threads, [&](std::size_t i) -> Status {
    Constant& c = *todo[i];
    const Storage target = weights.count(c.name) ? Storage::codebook8 : Storage::f16;
    INGOT_ASSIGN_OR_RETURN(c, make_constant(c.name, c.payload, target));
    return {};
  });
}

}  // namespace ingot::ir
