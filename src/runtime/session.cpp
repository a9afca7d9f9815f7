#include "runtime/session.h"

#include "runtime/device_numerics.h"

#include <chrono>
#include <cstring>
#include <set>
#include <unordered_map>

#include "format/format.h"
#include "kernels/cpu_level.h"
#include "runtime/fold.h"
#include "plan/plan_graph.h"
#include "runtime/memory_plan.h"
#include "ir/open_dims.h"
#include <algorithm>

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

namespace {

// The nodes whose every output is read, and read only, by nodes folded to constants (or by
// other such nodes): a shape-only CaffePriorBox reads its feature map for its shape alone, and
// the NCHW copy nhwc_layout makes of that map for it is computed for nobody. Walked from the
// last node back, so a chain feeding only folded nodes goes as a whole.
std::set<std::string> read_only_by_folded(const ir::Graph& graph, const std::vector<std::size_t>& order) {
  std::unordered_map<std::string, std::vector<const ir::Node*>> readers;
  for (const ir::Node& node : graph.nodes)
    for (const auto& in : node.inputs) readers[in].push_back(&node);
  const std::set<std::string> outputs(graph.outputs.begin(), graph.outputs.end());
  std::set<std::string> unread;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const ir::Node& node = graph.nodes[*it];
    if (node.op == "Input" || folded_constant(graph, node.name) != nullptr || node.outputs.empty()) continue;
    const bool only_folded_readers = std::all_of(node.outputs.begin(), node.outputs.end(), [&](const std::string& out) {
      const auto r = readers.find(out);
      return !outputs.count(out) && r != readers.end() &&
             std::all_of(r->second.begin(), r->second.end(), [&](const ir::Node* reader) {
               return unread.count(reader->name) || folded_constant(graph, reader->name) != nullptr;
             });
    });
    if (only_folded_readers) unread.insert(node.name);
  }
  return unread;
}

// The shapes a graph's inputs have now, in feeding order.
std::vector<Shape> input_shapes_of(const ir::Graph& graph) {
  std::vector<Shape> shapes;
  for (const auto& name : graph.inputs) shapes.push_back(graph.find_value(name)->info.shape);
  return shapes;
}

}  // namespace

Result<Session> Session::load(const std::string& path, const OpRegistry& registry, const PlanOptions& options) {
  INGOT_ASSIGN_OR_RETURN(ir::Graph graph, format::read_model(path, registry));
  return plan(std::move(graph), registry, options).with_context("plan model " + quote(path));
}

Result<Session> Session::plan(ir::Graph graph, const OpRegistry& registry, const PlanOptions& options) {
  INGOT_TRY(ir::verify(graph, registry));
  if (!options.reference) {
    if (const auto level = kernels::requested_cpu_level(); !level.ok()) return level.status();
  }
  Session session;
  session.registry_ = &registry;
  session.options_ = options;
  session.options_.input_shapes.clear();
  session.compilation_ = std::move(graph.compilation);
  graph.compilation.reset();
  session.open_dims_ = ir::input_open_dims(graph);
  if (!options.reference) {
    session.pool_ = std::make_unique<kernels::ThreadPool>(
        options.threads > 0 ? options.threads : kernels::default_threads(), options.conv_library);
  }
  if (!ir::has_open_dims(graph)) {
    if (!options.input_shapes.empty()) {
      // Fixed dims only: the shapes must be the file's (with_input_shapes says which dim differs).
      INGOT_TRY(ir::with_input_shapes(graph, options.input_shapes, registry).status());
    }
    INGOT_ASSIGN_OR_RETURN(auto plan, session.make_plan(std::move(graph)));
    session.plans_.push_back(std::move(plan));
    session.active_ = session.plans_.back().get();
    return session;
  }
  session.stored_ = std::move(graph);
  const std::vector<Shape> shapes =
      options.input_shapes.empty() ? input_shapes_of(*session.stored_) : options.input_shapes;
  INGOT_TRY(session.set_input_shapes(shapes));
  return session;
}

Status Session::set_input_shapes(std::span<const Shape> shapes) {
  if (active_ != nullptr && std::equal(shapes.begin(), shapes.end(), active_->input_shapes.begin(),
                                       active_->input_shapes.end())) {
    return {};
  }
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    if (std::equal(shapes.begin(), shapes.end(), plans_[i]->input_shapes.begin(), plans_[i]->input_shapes.end())) {
      std::rotate(plans_.begin() + static_cast<std::ptrdiff_t>(i), plans_.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                  plans_.end());
      active_ = plans_.back().get();
      return {};
    }
  }
  if (!stored_) {
    // A model without open dims has one plan; with_input_shapes names the dim that differs.
    return ir::with_input_shapes(active_->graph, shapes, *registry_).status();
  }
  const std::vector<Shape> stored_shapes = input_shapes_of(*stored_);
  ir::Graph instance;
  if (std::equal(shapes.begin(), shapes.end(), stored_shapes.begin(), stored_shapes.end())) {
    instance = *stored_;  // the file's own instance: verified at load, nothing to infer again
  } else {
    INGOT_ASSIGN_OR_RETURN(instance, ir::with_input_shapes(*stored_, shapes, *registry_));
    INGOT_TRY_CTX(refold_for_new_shapes(instance, *registry_), "run model");
  }
  INGOT_ASSIGN_OR_RETURN(auto plan, make_plan(std::move(instance)));
  if (plans_.size() >= std::max<std::size_t>(options_.plan_cache, 1)) plans_.erase(plans_.begin());
  plans_.push_back(std::move(plan));
  active_ = plans_.back().get();
  return {};
}

Result<std::unique_ptr<Session::Plan>> Session::make_plan(ir::Graph graph) {
  auto plan = std::make_unique<Plan>();
  plan->input_shapes = input_shapes_of(graph);
  if (compilation_ && options_.device_numerics) {
    INGOT_TRY_CTX(emulate_device_numerics(graph, *compilation_, plan->pass_log), "emulate device numerics");
  }
  if (!options_.reference) {
    plan::PlanGraph optimized{std::move(graph), {}, {}, options_.conv_library};
    INGOT_TRY(plan::optimize(optimized, *registry_, {.keep_all_values = options_.keep_all_values}));
    graph = std::move(optimized.graph);
    plan->pass_log.insert(plan->pass_log.end(), optimized.log.begin(), optimized.log.end());
    plan->clamps = std::move(optimized.clamps);
  }
  plan->graph = std::move(graph);
  INGOT_TRY(plan->build(*registry_, options_, pool_.get()));
  return plan;
}

Status Session::Plan::build(const OpRegistry& registry, const PlanOptions& options, kernels::ThreadPool* pool) {
  INGOT_ASSIGN_OR_RETURN(const auto order, ir::topological_order(graph));
  // Bound parameters share ownership of the decoded weights, so the cache can go after planning.
  ir::ConstantCache constants(graph);
  std::unordered_map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < graph.values.size(); ++i) index_of[graph.values[i].name] = i;

  // Lifetimes in kernel steps: a value lives from the step writing it to the last step reading
  // it. Graph inputs are written before step 0, graph outputs must survive the last step.
  std::vector<BufferRequest> requests(graph.values.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const TensorInfo& info = graph.values[i].info;
    requests[i] = {static_cast<std::size_t>(info.shape.num_elements()) * dtype_size(info.dtype), -1, -1};
  }
  const std::set<std::string> unread = options.keep_all_values ? std::set<std::string>() : read_only_by_folded(graph, order);
  for (const std::string& name : unread) {
    pass_log.push_back("plan: " + graph.find_node(name)->op + " " + quote(name) +
                       " dropped (only shape-only nodes folded to constants read it)");
  }
  for (std::size_t index : order) {
    const ir::Node& node = graph.nodes[index];
    if (unread.count(node.name)) continue;  // its outputs live before step 0, unwritten, unread
    Step step;
    step.node = &node;
    INGOT_ASSIGN_OR_RETURN(step.bound, ir::bind_node(node, registry, constants));
    if (const ir::Constant* c = folded_constant(graph, node.name)) {
      INGOT_ASSIGN_OR_RETURN_CTX(Tensor value, ir::decode_constant(*c), "plan folded node " + quote(node.name));
      const ir::Value* out = node.outputs.size() == 1 ? graph.find_value(node.outputs[0]) : nullptr;
      if (out == nullptr || out->info.shape != value.shape() || out->info.dtype != value.dtype()) {
        return bad_input("plan node " + quote(node.name) + ": its folded constant must have the output's shape, got " +
                         value.shape().to_string());
      }
      folded.push_back(std::make_unique<Tensor>(std::move(value)));
      step.folded = folded.back().get();
    }
    if (!step.bound.op->kernel && node.op != "Input") {
      return unsupported("plan node " + quote(node.name) + " (" + node.op + "): op has no kernel");
    }
    if (step.bound.op->schema.variable_output) INGOT_TRY(check_variable_outputs_are_final(graph, node));
    const int k = step.bound.op->kernel ? static_cast<int>(steps.size()) : -1;  // Input: before step 0
    for (const auto& out : node.outputs) requests[index_of.at(out)].first_step = k;
    if (step.folded == nullptr) {  // a folded step copies its constant: it reads no input
      for (const auto& in : node.inputs) {
        BufferRequest& r = requests[index_of.at(in)];
        r.last_step = std::max(r.last_step, k);
      }
    }
    if (k >= 0) steps.push_back(std::move(step));
  }
  const int end = static_cast<int>(steps.size());
  for (const auto& name : graph.outputs) requests[index_of.at(name)].last_step = end;
  for (BufferRequest& r : requests) {
    r.last_step = std::max(r.last_step, r.first_step);  // written but never read: still written
    if (options.keep_all_values) r = {r.bytes, -1, end};
  }

  const MemoryPlan memory = plan_memory(requests);
  activation_lower_bound = liveness_lower_bound(requests);
  // The slack: optimized kernels may read (never write) a vector's width past a value's end.
  const std::size_t arena_bytes = memory.arena_bytes + kernels::kReadSlack;
  INGOT_ASSIGN_OR_RETURN_CTX(arena, Tensor::allocate(DType::u8, Shape{static_cast<std::int64_t>(arena_bytes)}),
                             "allocate the activation arena");
  for (std::size_t i = 0; i < graph.values.size(); ++i) {
    const TensorInfo& info = graph.values[i].info;
    values.push_back(std::make_unique<Tensor>(
        Tensor::wrap(info.dtype, info.shape, arena.mutable_bytes() + memory.offsets[i], nullptr)));
    value_names.push_back(graph.values[i].name);
  }
  auto tensor_of = [&](const std::string& name) { return values[index_of.at(name)].get(); };
  for (Step& step : steps) {
    for (const auto& in : step.node->inputs) step.inputs.push_back(tensor_of(in));
    for (const auto& out : step.node->outputs) step.outputs.push_back(tensor_of(out));
  }
  if (!options.reference) INGOT_TRY(prepare_kernels(options, pool));
  for (const auto& name : graph.inputs) {
    inputs.push_back(tensor_of(name));
    input_infos.push_back(graph.find_value(name)->info);
  }
  for (const auto& name : graph.outputs) {
    outputs.push_back(tensor_of(name));
    output_infos.push_back(graph.find_value(name)->info);
  }
  return {};
}

Status Session::Plan::prepare_kernels(const PlanOptions& options, kernels::ThreadPool* pool) {
  TensorArena weights;  // the kernels' packed weights keep its chunks alive
  std::vector<std::byte> pack_scratch;  // weights scaled for packing, one layer at a time
  auto request = [&](const Step& step) {
    return kernels::KernelRequest{.op = step.node->op,
                                  .params = step.bound.params.get(),
                                  .inputs = step.inputs,
                                  .outputs = step.outputs,
                                  .clamp = step.clamp,
                                  .pool = pool,
                                  .conv_library = options.conv_library,
                                  .winograd = options.winograd,
                                  .weights_arena = &weights,
                                  .pack_scratch = &pack_scratch};
  };
  std::size_t scratch_size = 0;
  for (Step& step : steps) {
    auto clamp = clamps.find(step.node->name);
    if (clamp != clamps.end()) step.clamp = clamp->second;
    if (step.folded == nullptr) scratch_size = std::max(scratch_size, kernels::scratch_bytes(request(step)));
  }
  if (scratch_size > 0) {
    INGOT_ASSIGN_OR_RETURN_CTX(scratch, Tensor::allocate(DType::u8, Shape{static_cast<std::int64_t>(scratch_size)}),
                               "allocate the kernels' scratch memory");
  }
  for (Step& step : steps) {
    if (step.folded != nullptr) continue;
    kernels::KernelRequest r = request(step);
    if (scratch_size > 0) r.scratch = {scratch.mutable_bytes(), scratch_size};
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

void Session::Plan::run_step(const Step& step) {
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
      const TensorInfo& info = graph.find_value(step.node->outputs[j])->info;
      *step.outputs[j] = Tensor::wrap(info.dtype, info.shape, step.outputs[j]->mutable_bytes(), nullptr);
    }
  }
  step.bound.op->kernel(step.bound.params.get(), KernelArgs{step.inputs, step.outputs});
  if (step.clamp.active()) apply_clamp(step.clamp, *step.outputs[0]);
}

std::vector<StepProfile> Session::profile_template() const {
  std::vector<StepProfile> out;
  for (const Step& step : active_->steps) {
    out.push_back({step.node->name, step.node->op,
                   step.folded ? "folded constant" : step.kernel ? step.kernel->name() : "reference", 0.0});
    if (step.clamp.active() || (step.kernel && active_->clamps.count(step.node->name) != 0)) {
      out.back().kernel += " + " + kernels::describe(active_->clamps.at(step.node->name));
    }
  }
  return out;
}

Result<std::vector<Tensor>> Session::run(std::span<const Tensor> inputs) {
  INGOT_TRY(run_in_place(inputs));
  std::vector<Tensor> out;
  for (const Tensor* t : active_->outputs) out.push_back(t->clone());
  return out;
}

Status Session::run_in_place(std::span<const Tensor> inputs, std::vector<StepProfile>* profile) {
  if (inputs.size() != active_->inputs.size()) {
    return usage_error("run model: it needs " + std::to_string(active_->inputs.size()) + " inputs, got " +
                       std::to_string(inputs.size()));
  }
  bool same_shapes = true;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const TensorInfo& want = active_->input_infos[i];
    if (inputs[i].dtype() != want.dtype) {
      return bad_input("run model: input " + std::to_string(i) + " " + quote(active_->graph.inputs[i]) + " must be " +
                       dtype_name(want.dtype) + " " + ir::describe_input(stored_ ? *stored_ : active_->graph, i) +
                       ", got " + dtype_name(inputs[i].dtype()) + " " + inputs[i].shape().to_string());
    }
    same_shapes = same_shapes && inputs[i].shape() == want.shape;
  }
  if (!same_shapes) {
    std::vector<Shape> shapes;
    for (const Tensor& t : inputs) shapes.push_back(t.shape());
    INGOT_TRY_CTX(set_input_shapes(shapes), "run model");
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    std::memcpy(active_->inputs[i]->mutable_bytes(), inputs[i].bytes(), inputs[i].byte_size());
  }
  Plan& plan = *active_;
  if (profile == nullptr) {
    for (const Step& step : plan.steps) plan.run_step(step);
    return {};
  }
  using Clock = std::chrono::steady_clock;
  for (std::size_t k = 0; k < plan.steps.size(); ++k) {
    const auto start = Clock::now();
    plan.run_step(plan.steps[k]);
    (*profile)[k].total_ms += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  return {};
}

const Tensor* Session::value(const std::string& name) const {
  for (std::size_t i = 0; i < active_->value_names.size(); ++i) {
    if (active_->value_names[i] == name) return active_->values[i].get();
  }
  return nullptr;
}

std::size_t Session::unshared_activation_bytes() const {
  std::size_t total = 0;
  for (const auto& v : active_->values) total += v->byte_size();
  return total;
}

}  // namespace ingot::runtime
