#include "target/compile.h"

#include "ir/open_dims.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "core/tensor_arena.h"
#include "ir/builder.h"
#include "ir/passes.h"
#include "ops/params.h"
#include "plan/plan_graph.h"

namespace ingot::target {
namespace {

DType dtype_of(NumericType t) { return t == NumericType::f16 ? DType::f16 : DType::f32; }

// A run as node names, which survive the node removals folding makes.
struct NamedRun {
  const Run* run;
  std::vector<std::string> nodes;
  std::vector<std::string> layers;
};

const Tensor* constant_tensor(ir::ConstantCache& cache, const ir::Node& node, const char* param) {
  const auto it = node.attrs.find(param);
  if (it == node.attrs.end()) return nullptr;
  const auto* ref = std::get_if<TensorRef>(&it->second);
  return ref == nullptr ? nullptr : cache.find(ref->name);
}

// Folds `norm` (BatchNorm, Scale or Affine, the only reader of `layer`'s output) into the
// weights and bias of `layer` (Conv2D or Dense): W'[o] = W[o] * m[o], b' = b[o] * m[o] + a[o].
// Returns false, changing nothing, when the norm does not act on the output channels.
Result<bool> fold_into(ir::Graph& graph, std::size_t layer_index, std::size_t norm_index, const OpRegistry& registry) {
  ir::ConstantCache cache(graph);
  const ir::Node& layer = graph.nodes[layer_index];
  const ir::Node& norm = graph.nodes[norm_index];
  INGOT_ASSIGN_OR_RETURN(const ir::BoundNode norm_bound, ir::bind_node(norm, registry, cache));
  const Tensor* weights = constant_tensor(cache, layer, "weights");
  if (weights == nullptr || layer.attrs.count("weights_scale") != 0) return false;
  const ir::Value* out = graph.find_value(layer.outputs[0]);
  const std::size_t rank = out->info.shape.rank();
  std::size_t channel_axis = rank - 1;
  if (layer.op == "Conv2D") {
    const auto it = layer.attrs.find("layout");
    if (it != layer.attrs.end() && std::get<std::string>(it->second) == "NCHW") channel_axis = 1;
  }
  const auto channels = static_cast<std::size_t>(weights->shape()[0]);
  const auto f = plan::channel_affine(norm, norm_bound, rank, channel_axis, channels);
  if (!f) return false;
  const Tensor* bias = constant_tensor(cache, layer, "bias");
  INGOT_ASSIGN_OR_RETURN(Tensor w, Tensor::allocate(DType::f32, weights->shape()));
  const std::size_t per_channel = static_cast<std::size_t>(weights->num_elements()) / channels;
  const auto src = weights->data<float>();
  auto dst = w.mutable_data<float>();
  for (std::size_t o = 0; o < channels; ++o) {
    for (std::size_t k = 0; k < per_channel; ++k) dst[o * per_channel + k] = src[o * per_channel + k] * f->mul[o];
  }
  INGOT_ASSIGN_OR_RETURN(Tensor b, Tensor::allocate(DType::f32, Shape{static_cast<std::int64_t>(channels)}));
  auto bd = b.mutable_data<float>();
  for (std::size_t o = 0; o < channels; ++o) bd[o] = (bias ? bias->data<float>()[o] : 0.0f) * f->mul[o] + f->add[o];
  const std::string w_name = plan::fresh_constant_name(graph, layer.name + "/weights");
  INGOT_TRY(graph.add_constant(w_name, w));
  const std::string b_name = plan::fresh_constant_name(graph, layer.name + "/bias");
  INGOT_TRY(graph.add_constant(b_name, b));
  graph.nodes[layer_index].attrs["weights"] = TensorRef{w_name};
  graph.nodes[layer_index].attrs["bias"] = TensorRef{b_name};
  plan::absorb(graph, layer_index, norm_index);
  return true;
}

std::size_t node_index(const ir::Graph& graph, const std::string& name) {
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (graph.nodes[i].name == name) return i;
  }
  return graph.nodes.size();
}

// A zero spatial Pad heading a run becomes the padding of the Conv2D after it, as the device
// pads inside the run. Returns false, changing nothing, for any other pad.
Result<bool> fold_pad_into(ir::Graph& graph, std::size_t pad_index, std::size_t conv_index, const OpRegistry& registry) {
  ir::ConstantCache cache(graph);
  INGOT_ASSIGN_OR_RETURN(const ir::BoundNode pad_bound, ir::bind_node(graph.nodes[pad_index], registry, cache));
  INGOT_ASSIGN_OR_RETURN(const ir::BoundNode conv_bound, ir::bind_node(graph.nodes[conv_index], registry, cache));
  const auto& pp = *static_cast<const ops::PadParams*>(pad_bound.params.get());
  const auto& cp = *static_cast<const ops::Conv2DParams*>(conv_bound.params.get());
  const auto extra = plan::spatial_pads(pp.pads, cp.layout);
  if (pp.value != 0.0f || !extra || graph.nodes[conv_index].inputs[0] != graph.nodes[pad_index].outputs[0]) return false;
  std::vector<std::int64_t> pads(4);
  for (std::size_t k = 0; k < 4; ++k) pads[k] = cp.pads[k] + (*extra)[k];
  ir::Node& conv = graph.nodes[conv_index];
  conv.attrs["pads"] = pads;
  conv.inputs[0] = graph.nodes[pad_index].inputs[0];
  const std::string padded = graph.nodes[pad_index].outputs[0];
  std::erase_if(graph.values, [&](const ir::Value& v) { return v.name == padded; });
  graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(pad_index));
  return true;
}

// Folds, inside each device run, every BatchNorm / Scale / Affine that directly follows its
// Conv2D or Dense, as the device does.
Status fold_runs(ir::Graph& graph, std::vector<NamedRun>& runs, const OpRegistry& registry, std::vector<std::string>& log) {
  for (NamedRun& run : runs) {
    if (!run.run->on_device) continue;
    if (run.nodes.size() >= 2) {
      const std::size_t pad = node_index(graph, run.nodes[0]), conv = node_index(graph, run.nodes[1]);
      if (graph.nodes[pad].op == "Pad" && graph.nodes[conv].op == "Conv2D") {
        const std::string line = "fold Pad " + quote(run.nodes[0]) + " into Conv2D " + quote(run.nodes[1]) + "'s padding";
        INGOT_ASSIGN_OR_RETURN_CTX(const bool folded, fold_pad_into(graph, pad, conv, registry), line);
        if (folded) {
          log.push_back(line);
          run.nodes.erase(run.nodes.begin());
        }
      }
    }
    for (std::size_t k = 1; k < run.nodes.size();) {
      const std::size_t layer = node_index(graph, run.nodes[k - 1]), norm = node_index(graph, run.nodes[k]);
      const std::string& lop = graph.nodes[layer].op;
      const std::string& nop = graph.nodes[norm].op;
      const bool candidate = (lop == "Conv2D" || lop == "Dense") && (nop == "BatchNorm" || nop == "Scale" || nop == "Affine") &&
                             graph.nodes[norm].inputs.size() == 1;
      if (!candidate) {
        ++k;
        continue;
      }
      const std::string line = "fold " + nop + " " + quote(run.nodes[k]) + " into " + lop + " " + quote(run.nodes[k - 1]);
      INGOT_ASSIGN_OR_RETURN_CTX(const bool folded, fold_into(graph, layer, norm, registry), line);
      if (!folded) {
        ++k;
        continue;
      }
      log.push_back(line);
      // The layer now computes the norm's output under the norm's name; the node list keeps
      // the layer's name, as the graph does.
      run.nodes.erase(run.nodes.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }
  return {};
}

std::unordered_set<std::string> referenced_constants(const ir::Graph& graph) {
  std::unordered_set<std::string> used;
  for (const auto& n : graph.nodes) {
    for (const auto& [_, v] : n.attrs) {
      if (const auto* ref = std::get_if<TensorRef>(&v)) used.insert(ref->name);
    }
  }
  return used;
}

// Drops the constants folding replaced: those nodes referred to before and no longer do.
// Constants no node ever referred to (stored test vectors) stay.
void drop_replaced_constants(ir::Graph& graph, const std::unordered_set<std::string>& before) {
  const auto after = referenced_constants(graph);
  std::erase_if(graph.constants, [&](const ir::Constant& c) { return before.count(c.name) && !after.count(c.name); });
}

// The device runs' constants in `storage` (codebook8: layer weights, the rest f16); host
// constants stay as they are, since the host computes in f32.
Status store_device_weights(ir::Graph& graph, const std::vector<NamedRun>& runs, ir::Storage storage,
                            const OpRegistry& registry, int threads) {
  std::set<std::string> device_nodes;
  for (const auto& run : runs) {
    if (run.run->on_device) device_nodes.insert(run.nodes.begin(), run.nodes.end());
  }
  std::unordered_set<std::string> device_constants, host_constants;
  for (const auto& n : graph.nodes) {
    auto& set = device_nodes.count(n.name) ? device_constants : host_constants;
    for (const auto& [_, v] : n.attrs) {
      if (const auto* ref = std::get_if<TensorRef>(&v)) set.insert(ref->name);
    }
  }
  // A constant both sides read keeps its storage: the host must not read device rounding.
  for (const auto& name : host_constants) device_constants.erase(name);
  // Re-encode from the logical values, so an f16 file compiles to codebook8 too.
  for (ir::Constant& c : graph.constants) {
    if (!device_constants.count(c.name) || c.storage == ir::Storage::raw || c.storage == storage) continue;
    INGOT_ASSIGN_OR_RETURN(Tensor logical, ir::decode_constant(c));
    INGOT_ASSIGN_OR_RETURN(c, ir::make_constant(c.name, logical, ir::Storage::raw));
  }
  return ir::convert_storage(graph, storage, registry, threads, &device_constants);
}

}  // namespace

Result<Analysis> analyse(const ir::Graph& graph, const Target& target, const PartitionOptions& options,
                         const OpRegistry& registry) {
  Analysis a;
  a.graph = graph;
  // A target runs one shape: the instance the file holds (convert --input-shape chooses another).
  a.closed_dims = ir::close_open_dims(a.graph);
  INGOT_TRY(ir::infer_shapes(a.graph, registry));
  INGOT_ASSIGN_OR_RETURN(a.partition, partition(a.graph, target, options));
  a.tiles = run_tiles(a.graph, target, a.partition, registry);
  INGOT_ASSIGN_OR_RETURN(a.violations, check_limits(a.graph, target, a.partition, registry));
  return a;
}

Status violations_status(const std::vector<Violation>& violations, const Target& target) {
  if (violations.empty()) return {};
  std::string message = std::to_string(violations.size()) + " violation" + (violations.size() == 1 ? "" : "s") +
                        " of target " + quote(target.name) + "'s limits; nothing was written:";
  for (const auto& v : violations) {
    message += "\n  layer " + quote(v.layer) + " (" + v.op + "): " + v.detail + " breaks " + v.rule + "; " + v.remedy;
  }
  return limits_error(message);
}

Result<Compiled> compile(const ir::Graph& graph, const Target& target, const CompileOptions& options,
                         const OpRegistry& registry) {
  if (graph.compilation) {
    return bad_input("the model is compiled for target " + quote(graph.compilation->target) +
                     " already; compile the uncompiled .ingot file (or convert the source model again)");
  }
  const ir::Storage storage = options.weights.value_or(target.numerics.default_weights);
  if (!target.accepts_weights(storage)) {
    std::string accepted;
    for (ir::Storage s : target.numerics.weights) accepted += (accepted.empty() ? "" : ", ") + std::string(weights_name(s));
    return usage_error(std::string("--weights ") + weights_name(storage) + ": target " + quote(target.name) +
                       " reads weights as " + accepted);
  }
  INGOT_ASSIGN_OR_RETURN(Analysis a, analyse(graph, target, options.partition, registry));
  INGOT_TRY(violations_status(a.violations, target));
  Compiled out;
  for (const auto& dim : a.closed_dims) out.log.push_back("fix open dim " + dim + " (a target runs one shape)");
  out.graph = std::move(a.graph);
  std::vector<NamedRun> runs;
  for (const Run& run : a.partition.runs) {
    NamedRun named{&run, {}, {}};
    for (std::size_t n : run.nodes) named.nodes.push_back(out.graph.nodes[n].name);
    named.layers = named.nodes;
    runs.push_back(std::move(named));
  }
  const auto referenced = referenced_constants(out.graph);
  INGOT_TRY(fold_runs(out.graph, runs, registry, out.log));
  drop_replaced_constants(out.graph, referenced);
  INGOT_TRY(store_device_weights(out.graph, runs, storage, registry, options.threads));
  ir::Compilation record;
  record.target = target.name;
  record.target_text = target.text;
  record.activations = dtype_of(target.numerics.activations);
  record.accumulation = dtype_of(target.numerics.accumulation);
  record.weights = storage;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& tiles = a.tiles[r];
    record.runs.push_back(ir::CompiledRun{runs[r].run->on_device, runs[r].run->fusion, runs[r].nodes, runs[r].layers,
                                          tiles ? tiles->tiles : 0});
  }
  out.graph.compilation = std::move(record);
  INGOT_TRY_CTX(ir::verify(out.graph, registry), "verify the compiled graph");
  return out;
}

}  // namespace ingot::target
