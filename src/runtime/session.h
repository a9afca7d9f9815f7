// Running a model: load -> plan -> run.
//
// load: read the .ingot file (mmap; weights stay in the mapping).
// plan: topological order, bind every node to its op (parameters read and checked once),
//       shape inference, decode stored weights (f16 -> f32), allocate every activation.
// run:  copy the inputs in and execute the kernels; no allocation and no validation beyond
//       checking the caller's inputs.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"
#include "ir/passes.h"

namespace ingot::runtime {

class Session {
 public:
  // Reads and plans a model file. User ops must be in `registry` before this call.
  static Result<Session> load(const std::string& path, const OpRegistry& registry = default_registry());
  // Plans an in-memory graph (verified first).
  static Result<Session> plan(ir::Graph graph, const OpRegistry& registry = default_registry());

  const ir::Graph& graph() const { return graph_; }
  const std::vector<TensorInfo>& input_infos() const { return input_infos_; }
  const std::vector<TensorInfo>& output_infos() const { return output_infos_; }

  // Runs once. `inputs` follow graph().inputs; each must match input_infos() exactly.
  // Returns the outputs in graph().outputs order (copies: they outlive the next run).
  Result<std::vector<Tensor>> run(std::span<const Tensor> inputs);

  // A value computed by the last run (for --dump-all); nullptr for unknown names.
  const Tensor* value(const std::string& name) const;
  // Bytes of activation memory the plan holds.
  std::size_t activation_bytes() const;

 private:
  struct Step {
    const ir::Node* node = nullptr;
    ir::BoundNode bound;
    std::vector<const Tensor*> inputs;
    std::vector<Tensor*> outputs;
  };

  Session() = default;
  Status build_plan(const OpRegistry& registry);

  ir::Graph graph_;
  std::vector<Step> steps_;  // nodes point into graph_.nodes, whose buffer survives moves
  std::vector<std::string> value_names_;
  std::vector<std::unique_ptr<Tensor>> values_;  // stable addresses: steps point into them
  std::vector<Tensor*> inputs_;
  std::vector<const Tensor*> outputs_;
  std::vector<TensorInfo> input_infos_;
  std::vector<TensorInfo> output_infos_;
};

}  // namespace ingot::runtime
