#include "runtime/session.h"

#include "runtime/device_numerics.h"

#include <chrono>
#include <cstring>
#include <unordered_map>

#include "format/format.h"
#include "kernels/cpu_level.h"
#include "runtime/fold.h"
#include "plan/plan_graph.h"
#include "runtime/memory_plan.h"

namespace ingot::runtime {

namespace {

// A variable-size output (detections) has no fixed shape for a consumer to be planned against.
Status check_variable_outputs_are_final(const ir::Graph& graph, const ir::Node& producer) {
  for (const ir::Node& node : graph.nodes) {
    for (const auto& in : node.inputs) {
      for (const auto& out : producer.outputs) {
        if (in == out) {
          return unsupported("plan node " + quote(node.name) + " (" + node.op + "): its input " + quote(in) +
                             " comes from " + quote(producer.name) + " (" + producer.op +
                             "), whose output size depends on the data; it can only be a model output");
        }
      }
    }
  }
  return {};
}

}  // namespace

Result<Session> Session::load(const std::string& path, const OpRegistry& registry, const PlanOptions& options) {
  INGOT_ASSIGN_OR_RETURN(ir::Graph graph, format::read_model(path, registry));
  return plan(std::move(graph), registry, options).with_context("plan model " + quote(path));
}

Result<Session> Session::plan(ir::Graph graph, const OpRegistry& registry, const PlanOptions& options) {
  INGOT_TRY(ir::verify(graph, registry));
  Session session;
  session.compilation_ = std::move(graph.compilation);
  graph.compilation.reset();
  if (session.compilation_ && options.device_numerics) {
    INGOT_TRY_CTX(emulate_device_numerics(graph, *session.compilation_, session.pass_log_), "emulate device numerics");
  }
  if (!options.reference) {
    if (const auto level = kernels::requested_cpu_level(); !level.ok()) return level.status();
    plan::PlanGraph optimized{std::move(graph), {}, {}, options.conv_library};
    INGOT_TRY(plan::optimize(optimized, registry, {.keep_all_values = options.keep_all_values}));
    graph = std::move(optimized.graph);
    session.pass_log_.insert(session.pass_log_.end(), optimized.log.begin(), optimized.log.end());
    session.clamps_ = std::move(optimized.clamps);
  }
  session.graph_ = std::move(graph);
  INGOT_TRY(session.build_plan(registry, options));
  return session;
}

Status Session::build_plan(const OpRegistry& registry, const PlanOptions& options) {
  INGOT_ASSIGN_OR_RETURN(const auto order, ir::topological_order(graph_));
  // Bound parameters share ownership of the decoded weights, so the cache can go after planning.
  ir::ConstantCache constants(graph_);
  std::unordered_map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < graph_.values.size(); ++i) index_of[graph_.values[i].name] = i;

  // Lifetimes in kernel steps: a value lives from the step writing it to the last step reading
  // it. Graph inputs are written before step 0, graph outputs must survive the last step.
  std::vector<BufferRequest> requests(graph_.values.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const TensorInfo& info = graph_.values[i].info;
    requests[i] = {static_cast<std::size_t>(info.shape.num_elements()) * dtype_size(info.dtype), -1, -1};
  }
  std::vector<const ir::Node*> kernel_nodes;
  for (std::size_t index : order) {
    const ir::Node& node = graph_.nodes[index];
    Step step;
    step.node = &node;
    INGOT_ASSIGN_OR_RETURN(step.bound, ir::bind_node(node, registry, constants));
    if (const ir::Constant* c = folded_constant(graph_, node.name)) {
      INGOT_ASSIGN_OR_RETURN_CTX(Tensor value, ir::decode_constant(*c), "plan folded node " + quote(node.name));
      const ir::Value* out = node.outputs.size() == 1 ? graph_.find_value(node.outputs[0]) : nullptr;
      if (out == nullptr || out->info.shape != value.shape() || out->info.dtype != value.dtype()) {
        return bad_input("plan node " + quote(node.name) + ": its folded constant must have the output's shape, got " +
                         value.shape().to_string());
      }
      folded_.push_back(std::make_unique<Tensor>(std::move(value)));
      step.folded = folded_.back().get();
    }
    if (!step.bound.op->kernel && node.op != "Input") {
      return unsupported("plan node " + quote(node.name) + " (" + node.op + "): op has no kernel");
    }
    if (step.bound.op->schema.variable_output) INGOT_TRY(check_variable_outputs_are_final(graph_, node));
    const int k = step.bound.op->kernel ? static_cast<int>(steps_.size()) : -1;  // Input: before step 0
    for (const auto& out : node.outputs) requests[index_of.at(out)].first_step = k;
    for (const auto& in : node.inputs) {
      BufferRequest& r = requests[index_of.at(in)];
      r.last_step = std::max(r.last_step, k);
    }
    if (k >= 0) steps_.push_back(std::move(step));
  }
  const int end = static_cast<int>(steps_.size());
  for (const auto& name : graph_.outputs) requests[index_of.at(name)].last_step = end;
  for (BufferRequest& r : requests) {
    r.last_step = std::max(r.last_step, r.first_step);  // written but never read: still written
    if (options.keep_all_values) r = {r.bytes, -1, end};
  }

  const MemoryPlan memory = plan_memory(requests);
  activation_lower_bound_ = liveness_lower_bound(requests);
  // The slack: optimized kernels may read (never write) a vector's width past a value's end.
  const std::size_t arena_bytes = memory.arena_bytes + kernels::kReadSlack;
  INGOT_ASSIGN_OR_RETURN_CTX(arena_, Tensor::allocate(DType::u8, Shape{static_cast<std::int64_t>(arena_bytes)}),
                             "allocate the activation arena");
  for (std::size_t i = 0; i < graph_.values.size(); ++i) {
    const TensorInfo& info = graph_.values[i].info;
    values_.push_back(std::make_unique<Tensor>(
        Tensor::wrap(info.dtype, info.shape, arena_.mutable_bytes() + memory.offsets[i], nullptr)));
    value_names_.push_back(graph_.values[i].name);
  }
  auto tensor_of = [&](const std::string& name) { return values_[index_of.at(name)].get(); };
  for (Step& step : steps_) {
    for (const auto& in : step.node->inputs) step.inputs.push_back(tensor_of(in));
    for (const auto& out : step.node->outputs) step.outputs.push_back(tensor_of(out));
  }
  if (!options.reference) INGOT_TRY(prepare_kernels(options));
  for (const auto& name : graph_.inputs) {
    inputs_.push_back(tensor_of(name));
    input_infos_.push_back(graph_.find_value(name)->info);
  }
  for (const auto& name : graph_.outputs) {
    outputs_.push_back(tensor_of(name));
    output_infos_.push_back(graph_.find_value(name)->info);
  }
  return {};
}

Status Session::prepare_kernels(const PlanOptions& options) {
  pool_ = std::make_unique<kernels::ThreadPool>(options.threads > 0 ? options.threads : kernels::default_threads(),
                                                options.conv_library);
  TensorArena weights;  // the kernels' packed weights keep its chunks alive
  std::vector<std::byte> pack_scratch;  // weights scaled for packing, one layer at a time
  auto request = [&](const Step& step) {
    return kernels::KernelRequest{.op = step.node->op,
                                  .params = step.bound.params.get(),
                                  .inputs = step.inputs,
                                  .outputs = step.outputs,
                                  .clamp = step.clamp,
                                  .pool = pool_.get(),
                                  .conv_library = options.conv_library,
                                  .winograd = options.winograd,
                                  .weights_arena = &weights,
                                  .pack_scratch = &pack_scratch};
  };
  std::size_t scratch = 0;
  for (Step& step : steps_) {
    auto clamp = clamps_.find(step.node->name);
    if (clamp != clamps_.end()) step.clamp = clamp->second;
    if (step.folded == nullptr) scratch = std::max(scratch, kernels::scratch_bytes(request(step)));
  }
  if (scratch > 0) {
    INGOT_ASSIGN_OR_RETURN_CTX(scratch_, Tensor::allocate(DType::u8, Shape{static_cast<std::int64_t>(scratch)}),
                               "allocate the kernels' scratch memory");
  }
  for (Step& step : steps_) {
    if (step.folded != nullptr) continue;
    kernels::KernelRequest r = request(step);
    if (scratch > 0) r.scratch = {scratch_.mutable_bytes(), scratch};
    INGOT_ASSIGN_OR_RETURN_CTX(step.kernel, kernels::prepare(r),
                               "plan node " + quote(step.node->name) + " (" + step.node->op + ")");
    if (step.kernel) step.clamp = {};  // the kernel applies it
  }
  return {};
}

namespace {

// A fused clamp whose producer ended up on its reference kernel (XNNPACK declined the
// parameters after the pass accepted them): applied after the kernel, same result.
void apply_clamp(const kernels::Clamp& clamp, Tensor& t) {
  for (float& v : t.mutable_data<float>()) v = v < clamp.min ? clamp.min : (v > clamp.max ? clamp.max : v);
}

}  // namespace

void Session::run_step(const Step& step) {
  if (step.folded != nullptr) {
    std::memcpy(step.outputs[0]->mutable_bytes(), step.folded->bytes(), step.folded->byte_size());
    return;
  }
  if (step.kernel) {
    step.kernel->run();
    return;
  }
  if (step.bound.op->schema.variable_output) {
    // The previous run may have trimmed these outputs: give the kernel its full capacity back.
    for (std::size_t j = 0; j < step.outputs.size(); ++j) {
      const TensorInfo& info = graph_.find_value(step.node->outputs[j])->info;
      *step.outputs[j] = Tensor::wrap(info.dtype, info.shape, step.outputs[j]->mutable_bytes(), nullptr);
    }
  }
  step.bound.op->kernel(step.bound.params.get(), KernelArgs{step.inputs, step.outputs});
  if (step.clamp.active()) apply_clamp(step.clamp, *step.outputs[0]);
}

std::vector<StepProfile> Session::profile_template() const {
  std::vector<StepProfile> out;
  for (const Step& step : steps_) {
    out.push_back({step.node->name, step.node->op,
                   step.folded ? "folded constant" : step.kernel ? step.kernel->name() : "reference", 0.0});
    if (step.clamp.active() || (step.kernel && clamps_.count(step.node->name) != 0)) {
      out.back().kernel += " + " + kernels::describe(clamps_.at(step.node->name));
    }
  }
  return out;
}

Result<std::vector<Tensor>> Session::run(std::span<const Tensor> inputs) {
  INGOT_TRY(run_in_place(inputs));
  std::vector<Tensor> out;
  for (const Tensor* t : outputs_) out.push_back(t->clone());
  return out;
}

Status Session::run_in_place(std::span<const Tensor> inputs, std::vector<StepProfile>* profile) {
  if (inputs.size() != inputs_.size()) {
    return usage_error("run model: it needs " + std::to_string(inputs_.size()) + " inputs, got " +
                       std::to_string(inputs.size()));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const TensorInfo& want = input_infos_[i];
    if (inputs[i].dtype() != want.dtype || inputs[i].shape() != want.shape) {
      return bad_input("run model: input " + std::to_string(i) + " " + quote(graph_.inputs[i]) + " must be " +
                       dtype_name(want.dtype) + " " + want.shape.to_string() + ", got " +
                       dtype_name(inputs[i].dtype()) + " " + inputs[i].shape().to_string());
    }
    std::memcpy(inputs_[i]->mutable_bytes(), inputs[i].bytes(), inputs[i].byte_size());
  }
  if (profile == nullptr) {
    for (const Step& step : steps_) run_step(step);
    return {};
  }
  using Clock = std::chrono::steady_clock;
  for (std::size_t k = 0; k < steps_.size(); ++k) {
    const auto start = Clock::now();
    run_step(steps_[k]);
    (*profile)[k].total_ms += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  return {};
}

const Tensor* Session::value(const std::string& name) const {
  for (std::size_t i = 0; i < value_names_.size(); ++i) {
    if (value_names_[i] == name) return values_[i].get();
  }
  return nullptr;
}

std::size_t Session::unshared_activation_bytes() const {
  std::size_t total = 0;
  for (const auto& v : values_) total += v->byte_size();
  return total;
}

}  // namespace ingot::runtime
