// Running a model: load -> plan -> run.
//
// load: read the .ingot file (mmap; weights stay in the mapping).
// plan: the plan-time passes (src/plan: folding batch norms and pads, fusing activations) on
//       the session's own copy of the graph, topological order, bind every node to its op
//       (parameters read and checked once), decode stored weights (f16 -> f32), a memory plan
//       that places every activation in one arena, sharing memory between values whose
//       lifetimes do not overlap, and one prepared optimized kernel per node (src/kernels,
//       weights packed) where one exists, the op's reference kernel otherwise.
// run:  copy the inputs in and execute the kernels; no allocation and no validation beyond
//       checking the caller's inputs (run_in_place does not even allocate the outputs).
//
// With PlanOptions::reference the session runs the stored graph on the reference kernels
// alone, unoptimized: the oracle the optimized path is tested against.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"
#include "ir/passes.h"
#include "kernels/kernel.h"

namespace ingot::runtime {

struct PlanOptions {
  // Give every value its own memory so all of them can be read after a run (--dump-all).
  // Passes that remove values are skipped then, so every value of the source model is there.
  bool keep_all_values = false;
  // No passes and reference kernels only (`ingot run --reference`).
  bool reference = false;
  // Worker threads of the session's pool; 0: the machine's cores.
  int threads = 0;
  // The library of the Conv2D and Dense kernels (--conv-kernels).
  kernels::ConvLibrary conv_library = kernels::ConvLibrary::onednn;
  // 3x3 stride-1 convolutions on oneDNN's Winograd kernel where it has one (--winograd).
  bool winograd = true;
  // A compiled model runs with its target's activation rounding (runtime/device_numerics.h);
  // off: in f32 throughout (--device-numerics off).
  bool device_numerics = true;
};

// Time spent per step over the runs since the profile was reset.
struct StepProfile {
  std::string node, op, kernel;  // kernel: "reference" or the optimized kernel's name
  double total_ms = 0;
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
  // Runs once without allocating: the outputs stay in the arena (output(i)) until the next run.
  // With `profile`, each step's time is added to profile[step] (sized by profile_template()).
  Status run_in_place(std::span<const Tensor> inputs, std::vector<StepProfile>* profile = nullptr);
  const Tensor& output(std::size_t i) const { return *outputs_[i]; }
  // One entry per step, times zero: what run_in_place fills.
  std::vector<StepProfile> profile_template() const;

  // The plan: what every pass did, then each step's node, op and kernel.
  const std::vector<std::string>& pass_log() const { return pass_log_; }
  // The compilation record of a compiled model (ingot compile), kept aside: the plan passes
  // rewrite the session's graph, which then no longer matches the record's node names.
  const std::optional<ir::Compilation>& compilation() const { return compilation_; }
  int threads() const { return pool_ ? pool_->threads() : 1; }

  // A value computed by the last run; nullptr for unknown names. Unless the plan kept all
  // values, an intermediate value may have been overwritten by a later one.
  const Tensor* value(const std::string& name) const;
  // Bytes of activation memory the plan holds (the arena).
  std::size_t activation_bytes() const { return arena_.byte_size(); }
  // Bytes of scratch memory the kernels share (NCHW layout adapters).
  std::size_t scratch_bytes() const { return scratch_.empty() ? 0 : scratch_.byte_size(); }
  // The least any placement of this plan's activations could take (see liveness_lower_bound).
  std::size_t activation_lower_bound() const { return activation_lower_bound_; }
  // What the activations would take without sharing memory.
  std::size_t unshared_activation_bytes() const;

 private:
  struct Step {
    const ir::Node* node = nullptr;
    ir::BoundNode bound;
    std::vector<const Tensor*> inputs;
    std::vector<Tensor*> outputs;
    const Tensor* folded = nullptr;  // copied to outputs[0] instead of running the kernel
    std::unique_ptr<kernels::Kernel> kernel;  // the optimized kernel, or null: the reference one
    kernels::Clamp clamp;  // fused activation the reference kernel's output still needs
  };

  Session() = default;
  Status build_plan(const OpRegistry& registry, const PlanOptions& options);
  Status prepare_kernels(const PlanOptions& options);
  void run_step(const Step& step);

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
  std::unique_ptr<kernels::ThreadPool> pool_;
  Tensor scratch_;  // shared by the kernels that need scratch memory while they run
  std::vector<std::string> pass_log_;
  std::optional<ir::Compilation> compilation_;
  std::size_t activation_lower_bound_ = 0;
  std::map<std::string, kernels::Clamp> clamps_;  // fused activations, by producing node
};

}  // namespace ingot::runtime
