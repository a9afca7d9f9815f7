#include "target/partition.h"

#include <algorithm>
#include <map>

#include "ir/passes.h"

namespace ingot::target {
namespace {

class Partitioner {
 public:
  Partitioner(const ir::Graph& graph, const Target& target, const PartitionOptions& options)
      : graph_(graph), target_(target), options_(options) {
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      for (const auto& in : graph.nodes[i].inputs) readers_[in].push_back(i);
    }
  }

  Result<Partition> run() {
    for (const auto& name : options_.host_layers) {
      if (graph_.find_node(name) == nullptr) {
        return bad_input("--host names layer " + quote(name) + ", which the model does not have");
      }
    }
    INGOT_ASSIGN_OR_RETURN(const auto order, ir::topological_order(graph_));
    result_.run_of.assign(graph_.nodes.size(), std::nullopt);
    for (std::size_t index : order) {
      const ir::Node& node = graph_.nodes[index];
      if (node.op == "Input" || result_.run_of[index]) continue;
      Run run;
      run.on_device = on_device(index);
      if (run.on_device) run.nodes = longest_chain(index, run.fusion);
      // A lone fused-only op (a Pad no convolution follows) is a host op.
      if (run.on_device && run.nodes.size() == 1 && target_.device_op(node.op)->fused_only) {
        run.on_device = false;
        run.fusion.clear();
        run.host_reason = "the target runs " + node.op + " only fused with the ops after it, and none here fuse with it";
      }
      if (!run.on_device && run.host_reason.empty()) {
        run.nodes = {index};
        run.host_reason = host_reason(node);
      }
      for (std::size_t n : run.nodes) result_.run_of[n] = result_.runs.size();
      result_.runs.push_back(std::move(run));
    }
    return std::move(result_);
  }

 private:
  bool on_device(std::size_t index) const {
    const ir::Node& node = graph_.nodes[index];
    return options_.host_layers.count(node.name) == 0 && target_.device_op(node.op) != nullptr;
  }

  std::string host_reason(const ir::Node& node) const {
    if (options_.host_layers.count(node.name) != 0) return "--host";
    const auto it = target_.host_ops.find(node.op);
    if (it != target_.host_ops.end()) return it->second;
    return "the target does not execute " + node.op;
  }

  // The one node that reads `index`'s output, if the output can stay inside a run: the node
  // has one output, exactly one reader reads it once, and callers do not ask for it.
  std::optional<std::size_t> sole_reader(std::size_t index) const {
    const ir::Node& node = graph_.nodes[index];
    if (node.outputs.size() != 1) return std::nullopt;
    const std::string& value = node.outputs[0];
    if (std::find(graph_.outputs.begin(), graph_.outputs.end(), value) != graph_.outputs.end()) return std::nullopt;
    const auto it = readers_.find(value);
    if (it == readers_.end() || it->second.size() != 1) return std::nullopt;
    const std::size_t reader = it->second[0];
    const auto& in = graph_.nodes[reader].inputs;
    if (std::count(in.begin(), in.end(), value) != 1) return std::nullopt;
    return reader;
  }

  bool available(std::size_t index) const { return !result_.run_of[index] && on_device(index); }

  // Every input of `node` but `from`'s output is computed before the run starts: a graph input
  // or the output of a node already in a run (runs are formed in topological order). A
  // residual Add whose other operand comes later cannot join the run.
  bool other_inputs_ready(std::size_t node, std::size_t from) const {
    for (const std::string& in : graph_.nodes[node].inputs) {
      if (in == graph_.nodes[from].outputs[0]) continue;
      const auto producer = graph_.producer_of(in);
      if (!producer) return false;
      if (graph_.nodes[*producer].op != "Input" && !result_.run_of[*producer]) return false;
    }
    return true;
  }

  // The chain `fusion` matches from `head`, or nothing when a required step is missing.
  std::vector<std::size_t> match(const Fusion& fusion, std::size_t head) const {
    const auto step_has = [&](const FusionStep& step, std::size_t n) {
      return std::find(step.ops.begin(), step.ops.end(), graph_.nodes[n].op) != step.ops.end();
    };
    if (!step_has(fusion.steps[0], head)) return {};
    std::vector<std::size_t> chain{head};
    for (std::size_t s = 1; s < fusion.steps.size(); ++s) {
      const auto next = sole_reader(chain.back());
      if (next && available(*next) && step_has(fusion.steps[s], *next) && other_inputs_ready(*next, chain.back())) {
        chain.push_back(*next);
      } else if (!fusion.steps[s].optional) {
        return {};
      }
    }
    return chain;
  }

  // The longest chain any fusion matches from `head` (the first listed wins a tie); a lone
  // node when none matches.
  std::vector<std::size_t> longest_chain(std::size_t head, std::string& fusion_name) const {
    std::vector<std::size_t> best{head};
    for (const Fusion& fusion : target_.fusions) {
      auto chain = match(fusion, head);
      const bool longer = chain.size() > best.size();
      const bool first_match = fusion_name.empty() && !chain.empty();
      if (!longer && !first_match) continue;
      best = std::move(chain);
      fusion_name = fusion.name;
    }
    return best;
  }

  const ir::Graph& graph_;
  const Target& target_;
  const PartitionOptions& options_;
  std::map<std::string, std::vector<std::size_t>> readers_;
  Partition result_;
};

}  // namespace

std::size_t Partition::device_runs() const {
  return static_cast<std::size_t>(std::count_if(runs.begin(), runs.end(), [](const Run& r) { return r.on_device; }));
}

Result<Partition> partition(const ir::Graph& graph, const Target& target, const PartitionOptions& options) {
  return Partitioner(graph, target, options).run();
}

}  // namespace ingot::target
