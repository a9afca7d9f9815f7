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
  // Plan first for these input shapes (open dims only may differ from the file's); empty: the
  // file's own.
  std::vector<Shape> input_shapes;
  // Plans kept for models with open dims, one per input shape, the least recently used evicted
  // first (each holds its own activations and packed weights; an MTCNN image pyramid wants
  // one per scale).
  std::size_t plan_cache = 4;
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
  // Reads and plans a model file. User ops must be in `registry` before this call; a model with
  // open dims keeps a pointer to `registry` to re-plan, so it must outlive the session.
  static Result<Session> load(const std::string& path, const OpRegistry& registry = default_registry(),
                              const PlanOptions& options = {});
  // Plans an in-memory graph (verified first).
  static Result<Session> plan(ir::Graph graph, const OpRegistry& registry = default_registry(),
                              const PlanOptions& options = {});

  // The planned graph of the current input shapes, and its inputs and outputs.
  const ir::Graph& graph() const { return active_->graph; }
  const std::vector<TensorInfo>& input_infos() const { return active_->input_infos; }
  const std::vector<TensorInfo>& output_infos() const { return active_->output_infos; }
  // Per input, the names of the dims the model leaves open ("" for fixed ones; an empty list
  // when all are fixed): the sizes run() may change.
  const std::vector<std::vector<std::string>>& open_dims() const { return open_dims_; }

  // Makes `shapes` the current input shapes: plans for them (every op's shape rule checked, a
  // clear error naming the input dim or the node that refuses them) or takes the plan made for
  // them before. Only open dims may change. Plans are cached per shape (PlanOptions::plan_cache).
  Status set_input_shapes(std::span<const Shape> shapes);

  // Runs once. `inputs` follow graph().inputs; their dtypes must match input_infos(), their
  // shapes too except in open dims (a new shape is planned for first, see set_input_shapes).
  // Returns the outputs in graph().outputs order (copies: they outlive the next run).
  Result<std::vector<Tensor>> run(std::span<const Tensor> inputs);
  // Runs once without allocating (unless the input shapes change): the outputs stay in the
  // arena (output(i)) until the next run. With `profile`, each step's time is added to
  // profile[step] (sized by profile_template()).
  Status run_in_place(std::span<const Tensor> inputs, std::vector<StepProfile>* profile = nullptr);
  const Tensor& output(std::size_t i) const { return *active_->outputs[i]; }
  // One entry per step, times zero: what run_in_place fills.
  std::vector<StepProfile> profile_template() const;

  // The plan: what every pass did, then each step's node, op and kernel.
  const std::vector<std::string>& pass_log() const { return active_->pass_log; }
  // The compilation record of a compiled model (ingot compile), kept aside: the plan passes
  // rewrite the session's graph, which then no longer matches the record's node names.
  const std::optional<ir::Compilation>& compilation() const { return compilation_; }
  int threads() const { return pool_ ? pool_->threads() : 1; }

  // A value computed by the last run; nullptr for unknown names. Unless the plan kept all
  // values, an intermediate value may have been overwritten by a later one.
  const Tensor* value(const std::string& name) const;
  // Bytes of activation memory the plan holds (the arena).
  std::size_t activation_bytes() const { return active_->arena.byte_size(); }
  // Bytes of scratch memory the kernels share (NCHW layout adapters).
  std::size_t scratch_bytes() const { return active_->scratch.empty() ? 0 : active_->scratch.byte_size(); }
  // The least any placement of this plan's activations could take (see liveness_lower_bound).
  std::size_t activation_lower_bound() const { return active_->activation_lower_bound; }
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

  // Everything planned for one set of input shapes.
  struct Plan {
    std::vector<Shape> input_shapes;
    ir::Graph graph;
    std::vector<Step> steps;  // nodes point into graph.nodes, whose buffer survives moves
    std::vector<std::string> value_names;
    Tensor arena;                                 // every activation lives in here
    std::vector<std::unique_ptr<Tensor>> values;  // views into arena; steps point at them
    std::vector<std::unique_ptr<Tensor>> folded;  // decoded folded constants; steps point at them
    std::vector<Tensor*> inputs;
    std::vector<const Tensor*> outputs;
    std::vector<TensorInfo> input_infos;
    std::vector<TensorInfo> output_infos;
    Tensor scratch;  // shared by the kernels that need scratch memory while they run
    std::vector<std::string> pass_log;
    std::size_t activation_lower_bound = 0;
    std::map<std::string, kernels::Clamp> clamps;  // fused activations, by producing node

    Status build(const OpRegistry& registry, const PlanOptions& options, kernels::ThreadPool* pool);
    Status prepare_kernels(const PlanOptions& options, kernels::ThreadPool* pool);
    void run_step(const Step& step);
  };

  Session() = default;
  // Plans `graph` (an instance of the model's shapes, without its compilation record).
  Result<std::unique_ptr<Plan>> make_plan(ir::Graph graph);

  const OpRegistry* registry_ = nullptr;
  PlanOptions options_;
  std::optional<ir::Graph> stored_;  // the verified model, kept to re-plan when it has open dims
  std::vector<std::vector<std::string>> open_dims_;
  std::vector<std::unique_ptr<Plan>> plans_;  // most recently used last
  Plan* active_ = nullptr;
  std::unique_ptr<kernels::ThreadPool> pool_;  // one per session, shared by its plans
  std::optional<ir::Compilation> compilation_;
};

}  // namespace ingot::runtime
