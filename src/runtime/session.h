// Running a model: load -> plan -> run.
//
// load: read the .ingot file (mmap; weights stay in the mapping).
// plan: topological order, bind every node to its op (parameters read and checked once),
//       shape inference, decode stored weights (f16 -> f32), and a memory plan that places
//       every activation in one arena, sharing memory between values whose lifetimes do not
//       overlap.
// run:  copy the inputs in and execute the kernels; no allocation and no validation beyond
//       checking the caller's inputs.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"
#include "ir/passes.h"

namespace ingot::runtime {

struct PlanOptions {
  // Give every value its own memory so all of them can be read after a run (--dump-all).
  bool keep_all_values = false;
};

class Session {
 public:
  // Reads and plans a model file. User ops must be in `registry` before this call.
  static Result<Session> load(const std::string& path, const OpRegistry& registry = default_registry(),
                              const PlanOptions& options = {});
  // Plans an in-memory graph (verified first).
  static Result<Session> plan(ir::Graph graph, const OpRegistry& registry = default_registry(),
                              const PlanOptions& options = {});

  const ir::Graph& graph() const { return graph_; }
  const std::vector<TensorInfo>& input_infos() const { return input_infos_; }
  const std::vector<TensorInfo>& output_infos() const { return output_infos_; }

  // Runs once. `inputs` follow graph().inputs; each must match input_infos() exactly.
  // Returns the outputs in graph().outputs order (copies: they outlive the next run).
  Result<std::vector<Tensor>> run(std::span<const Tensor> inputs);

  // A value computed by the last run; nullptr for unknown names. Unless the plan kept all
  // values, an intermediate value may have been overwritten by a later one.
  const Tensor* value(const std::string& name) const;
  // Bytes of activation memory the plan holds (the arena).
  std::size_t activation_bytes() const { return arena_.byte_size(); }
  // What the activations would take without sharing memory.
  std::size_t unshared_activation_bytes() const;

 private:
  struct Step {
    const ir::Node* node = nullptr;
    ir::BoundNode bound;
    std::vector<const Tensor*> inputs;
    std::vector<Tensor*> outputs;
    const Tensor* folded = nullptr;  // copied to outputs[0] instead of running the kernel
  };

  Session() = default;
  Status build_plan(const OpRegistry& registry, const PlanOptions& options);

  ir::Graph graph_;
  std::vector<Step> steps_;  // nodes point into graph_.nodes, whose buffer survives moves
  std::vector<std::string> value_names_;
  Tensor arena_;                                 // every activation lives in here
  std::vector<std::unique_ptr<Tensor>> values_;  // views into arena_; steps point at them
  std::vector<std::unique_ptr<Tensor>> folded_;  // decoded folded constants; steps point at them
  std::vector<Tensor*> inputs_;
  std::vector<const Tensor*> outputs_;
  std::vector<TensorInfo> input_infos_;
  std::vector<TensorInfo> output_infos_;
};

}  // namespace ingot::runtime
