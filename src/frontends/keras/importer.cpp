#include "frontends/keras/importer.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "frontends/keras/custom_layers.h"
#include "frontends/keras/hdf5.h"
#include "frontends/keras/layer_context.h"
#include "frontends/keras/model_config.h"
#include "frontends/keras/weights.h"
#include "ir/passes.h"

namespace ingot::keras {
namespace {

std::string value_key(const std::string& layer, int node, int tensor) {
  return layer + '\x1f' + std::to_string(node) + '\x1f' + std::to_string(tensor);
}

// Walks a model's layers in dependency order and builds IR for each call; nested models are
// expanded in place, so the graph is flat.
class Expander {
 public:
  Expander(ir::GraphBuilder& graph, const WeightStore& weights, const ImportSettings& settings,
           const std::map<const Layer*, LayerReport*>& reviews)
      : graph_(graph), weights_(weights), settings_(settings), reviews_(reviews) {}

  Result<std::vector<std::string>> expand(const Model& m, const std::vector<std::string>& inputs, const std::string& top);

 private:
  Result<std::vector<std::string>> call_layer(const Layer& layer, std::vector<std::string> inputs, const std::string& top);

  ir::GraphBuilder& graph_;
  const WeightStore& weights_;
  const ImportSettings& settings_;
  const std::map<const Layer*, LayerReport*>& reviews_;
};

Result<std::vector<std::string>> Expander::call_layer(const Layer& layer, std::vector<std::string> inputs,
                                                      const std::string& top) {
  const std::string what = "import layer " + quote(layer.name) + " (" + layer.class_name + ")";
  const std::string group = top.empty() ? layer.name : top;
  if (layer.submodel) return expand(*layer.submodel, inputs, group).with_context("import nested model " + quote(layer.name));
  INGOT_ASSIGN_OR_RETURN_CTX(auto weights, weights_.weights(group, layer.name), what);
  LayerContext ctx(layer, std::move(inputs), std::move(weights), graph_, settings_);
  auto review = reviews_.find(&layer);
  if (review == reviews_.end()) return internal_error(what + ": the layer was never reviewed");
  LayerReport& report = *review->second;
  if (const ImportFn fn = find_import_fn(layer.class_name)) {
    INGOT_ASSIGN_OR_RETURN_CTX(auto outputs, fn(ctx), what);
    // Every call reads the same keys: the first one is reviewed.
    if (!report.keys.reviewed) review_keys(layer, ctx.config.use(), report);
    return outputs;
  }
  return import_reviewed(ctx, report).with_context(what);
}

Result<std::vector<std::string>> Expander::expand(const Model& m, const std::vector<std::string>& inputs,
                                                  const std::string& top) {
  std::map<std::string, std::string> values;  // (layer, node, tensor) -> IR value
  if (inputs.size() != m.inputs.size()) {
    return bad_input("model " + quote(m.name) + " must be called with " + std::to_string(m.inputs.size()) +
                     " inputs, got " + std::to_string(inputs.size()));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const TensorRef3& ref = m.inputs[i];
    const Layer* layer = m.find(ref.layer);
    if (layer == nullptr) return bad_input("input_layers of model " + quote(m.name) + " name layer " + quote(ref.layer) + ", which does not exist");
    values[value_key(ref.layer, 0, 0)] = inputs[i];
  }
  struct Pending {
    const Layer* layer;
    int call;
  };
  std::vector<Pending> pending;
  for (const Layer& layer : m.layers) {
    if (is_input_layer(layer.class_name)) continue;
    for (std::size_t c = 0; c < layer.calls.size(); ++c) pending.push_back({&layer, static_cast<int>(c)});
  }
  while (!pending.empty()) {
    std::vector<Pending> waiting;
    for (const Pending& p : pending) {
      std::vector<std::string> in;
      for (const TensorRef3& ref : p.layer->calls[static_cast<std::size_t>(p.call)]) {
        auto it = values.find(value_key(ref.layer, ref.node, ref.tensor));
        if (it == values.end()) break;
        in.push_back(it->second);
      }
      if (in.size() != p.layer->calls[static_cast<std::size_t>(p.call)].size()) {
        waiting.push_back(p);
        continue;
      }
      INGOT_ASSIGN_OR_RETURN(auto outs, call_layer(*p.layer, std::move(in), top));
      for (std::size_t k = 0; k < outs.size(); ++k) values[value_key(p.layer->name, p.call, static_cast<int>(k))] = outs[k];
    }
    if (waiting.size() == pending.size()) {
      const Pending& p = waiting.front();
      for (const TensorRef3& ref : p.layer->calls[static_cast<std::size_t>(p.call)]) {
        if (!values.count(value_key(ref.layer, ref.node, ref.tensor))) {
          return bad_input("import layer " + quote(p.layer->name) + " (" + p.layer->class_name + "): its input " +
                           quote(ref.layer) + " (node " + std::to_string(ref.node) + ", tensor " + std::to_string(ref.tensor) +
                           ") must be computed by the model, got " +
                           (m.find(ref.layer) ? "a cycle or a missing call through it" : "no such layer") +
                           " (dangling or cyclic inbound_nodes)");
        }
      }
    }
    pending = std::move(waiting);
  }
  std::vector<std::string> outputs;
  for (const TensorRef3& ref : m.outputs) {
    auto it = values.find(value_key(ref.layer, ref.node, ref.tensor));
    if (it == values.end()) {
      return bad_input("output_layers of model " + quote(m.name) + " name " + quote(ref.layer) + " (node " +
                       std::to_string(ref.node) + ", tensor " + std::to_string(ref.tensor) + "), which the model never computes");
    }
    outputs.push_back(it->second);
  }
  return outputs;
}

// Size given to open image dims in the stored instance (the runtime re-plans for others).
constexpr std::int64_t kOpenSizeInstance = 224;

struct InputShape {
  Shape shape;                          // the stored instance
  std::vector<std::string> open_dims;   // per dim: a name where Keras saved None, else ""
};

// The batch of every input is one dim ("batch"); other open dims are the input's own.
std::string open_dim_name(const std::string& input, std::size_t axis) {
  return axis == 0 ? "batch" : input + ".d" + std::to_string(axis);
}

Result<InputShape> input_shape(const Layer& layer, const ImportOptions& options, std::size_t index) {
  const std::string what = "import input layer " + quote(layer.name);
  if (index < options.input_shapes.size()) return InputShape{options.input_shapes[index], {}};
  const json* stored = nullptr;
  for (const char* key : {"batch_input_shape", "batch_shape"}) {
    if (layer.config.is_object() && layer.config.contains(key)) stored = &layer.config[key];
  }
  if (stored == nullptr || !stored->is_array() || stored->empty()) {
    return bad_input(what + ": key 'batch_input_shape' is required, got " + (stored ? stored->dump() : "nothing") +
                     "; give the shape with --input-shape");
  }
  std::vector<std::int64_t> dims;
  std::vector<std::string> open(stored->size());
  for (std::size_t i = 0; i < stored->size(); ++i) {
    const json& d = (*stored)[i];
    if (d.is_null()) {
      dims.push_back(i == 0 ? 1 : kOpenSizeInstance);
      open[i] = open_dim_name(layer.name, i);
    } else if (d.is_number_integer() && d.get<std::int64_t>() >= 1) {
      dims.push_back(d.get<std::int64_t>());
    } else {
      return bad_input(what + ": 'batch_input_shape' has invalid dims (each must be None or >= 1), got " +
                       stored->dump() + "; give the full shape with --input-shape (e.g. 1,224,224,3)");
    }
  }
  Shape shape(std::move(dims));
  INGOT_TRY_CTX(validate_shape(shape), what);
  return InputShape{std::move(shape), std::move(open)};
}

// "2.2.4-tf" -> {2, 2}; unknown -> {2, 0}.
std::pair<int, int> major_minor(const std::string& version) {
  int major = 2, minor = 0;
  std::sscanf(version.c_str(), "%d.%d", &major, &minor);
  return {major, minor};
}

ImportSettings settings_for(const std::string& keras_version, const std::string& backend,
                            const std::string& bilinear_centers) {
  ImportSettings s;
  s.theano = backend == "theano";
  if (!bilinear_centers.empty()) {
    s.half_pixel_resize = bilinear_centers == "half-pixel";
    s.resize_reason = "bilinear resize with " + bilinear_centers + " centers, as --bilinear-centers says";
    return s;
  }
  const auto [major, minor] = major_minor(keras_version);
  // tf.keras resizes with half-pixel centers since TF 1.15 (resize_images_v2); standalone Keras
  // <= 2.3.1 and tf.keras of TF <= 1.14 used the asymmetric grid (dst * in / out). "2.2.4-tf"
  // spans TF 1.13 to 2.1: half-pixel is taken, as TF 1.15 and 2.x wrote most such files
  // (prismanet-hair-seg, pinned to TF 1.15, matches only with it).
  const bool tf_suffix = keras_version.find("-tf") != std::string::npos;
  s.half_pixel_resize = major > 2 || tf_suffix || (major == 2 && minor >= 4);
  const std::string version = keras_version.empty() ? "no keras_version" : "keras_version " + quote(keras_version);
  if (tf_suffix) {
    s.resize_reason = "bilinear resize with half-pixel centers, chosen from " + version +
                      ": tf.keras of TF 1.15 and 2.x resize so, but files saved as \"-tf\" may also come from TF "
                      "1.13/1.14, which used asymmetric centers; if the outputs disagree with the source, convert "
                      "with --bilinear-centers asymmetric";
  } else if (s.half_pixel_resize) {
    s.resize_reason = "bilinear resize with half-pixel centers, chosen from " + version +
                      " (tf.keras of TF 2.x); --bilinear-centers asymmetric overrides it";
  } else {
    s.resize_reason = "bilinear resize with asymmetric centers (dst * in / out), chosen from " + version +
                      " (standalone Keras <= 2.3); --bilinear-centers half-pixel overrides it";
  }
  return s;
}

bool is_bilinear_upsampling(const Layer& layer) {
  return layer.class_name == "UpSampling2D" && layer.config.is_object() && layer.config.contains("interpolation") &&
         layer.config["interpolation"] == "bilinear";
}

// Reviews every layer of `m`, nested models included, into `report`; `reviewed` maps each
// layer to its entry.
void review_model(const Model& m, const std::string& model_name, const std::string& top, const WeightStore& weights,
                  const ReviewSettings& settings, ImportReport& report, std::vector<std::pair<const Layer*, std::size_t>>& reviewed) {
  for (const Layer& layer : m.layers) {
    if (is_input_layer(layer.class_name)) continue;
    const std::string group = top.empty() ? layer.name : top;
    if (layer.submodel) {
      review_model(*layer.submodel, layer.name, group, weights, settings, report, reviewed);
      continue;
    }
    // A weight problem is reported where the layer is built; the review lists what it finds.
    auto stored = weights.weights(group, layer.name);
    report.layers.push_back(review_layer(layer, model_name, stored.ok() ? *stored : std::vector<Weight>{}, settings));
    reviewed.emplace_back(&layer, report.layers.size() - 1);
  }
}

// One error naming every layer that cannot be imported as saved, each with its reasons.
Status review_errors(const ImportReport& report) {
  std::size_t layers = 0;
  bool unsupported_class = false;
  std::string details;
  for (const LayerReport& l : report.layers) {
    if (!l.has_errors()) continue;
    ++layers;
    unsupported_class |= l.kind == LayerKind::unknown || l.kind == LayerKind::lambda;
    details += "\n  layer " + quote(l.name) + " (" + l.class_name + "): ";
    std::string reasons;
    for (const Diagnostic& d : l.diagnostics) {
      if (d.severity == Severity::error) reasons += (reasons.empty() ? "" : "; ") + d.message;
    }
    details += reasons;
  }
  if (layers == 0) return {};
  const std::string message = std::to_string(layers) + (layers == 1 ? " layer cannot" : " layers cannot") +
                              " be imported as saved (`ingot check` prints the full report and how to fix it):" + details;
  return unsupported_class ? unsupported(message) : bad_input(message);
}

Result<std::string> optional_root_string(const h5::Group& root, const std::string& name) {
  if (!root.has_attr(name)) return std::string();
  return root.string_attr(name);
}

Result<ir::Graph> import(const std::string& path, const ImportOptions& options, OpRegistry& registry, ImportReport& report) {
  INGOT_ASSIGN_OR_RETURN(h5::Group root, h5::open_file(path));
  if (!root.has_attr("model_config")) {
    return bad_input("read " + root.where() + ": attribute 'model_config' is required, got nothing "
                     "(a weights-only file? save the whole model with model.save)");
  }
  INGOT_ASSIGN_OR_RETURN(std::string config_text, root.string_attr("model_config"));
  json config;
  try {
    config = json::parse(config_text);
  } catch (const json::parse_error& e) {
    return bad_input("read attribute 'model_config' of file " + quote(path) + ": must be valid JSON, got a syntax error at byte " +
                     std::to_string(e.byte));
  }
  INGOT_ASSIGN_OR_RETURN(std::string keras_version, optional_root_string(root, "keras_version"));
  INGOT_ASSIGN_OR_RETURN(std::string backend, optional_root_string(root, "backend"));
  INGOT_ASSIGN_OR_RETURN(Model model, parse_model_config(config, path));
  INGOT_ASSIGN_OR_RETURN(WeightStore weights, WeightStore::open(root));
  if (!options.input_shapes.empty() && options.input_shapes.size() != model.inputs.size()) {
    return usage_error("import model: it has " + std::to_string(model.inputs.size()) + " inputs, so --input-shape must be given " +
                       std::to_string(model.inputs.size()) + " times, got " + std::to_string(options.input_shapes.size()));
  }

  report.file = path;
  std::vector<std::pair<const Layer*, std::size_t>> reviewed;
  review_model(model, "", "", weights, ReviewSettings{registry, options.params, options.keep_unknown}, report, reviewed);
  if (options.params != nullptr) INGOT_TRY(import::check_param_file_layers(*options.params, report));
  INGOT_TRY(review_errors(report));
  ImportSettings settings = settings_for(keras_version, backend, options.bilinear_centers);
  std::map<const Layer*, LayerReport*> reviews;
  for (const auto& [layer, index] : reviewed) {
    reviews[layer] = &report.layers[index];
    if (is_bilinear_upsampling(*layer)) report.layers[index].add(Severity::note, "interpolation", settings.resize_reason);
  }

  ir::GraphBuilder graph(registry);
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < model.inputs.size(); ++i) {
    const Layer* layer = model.find(model.inputs[i].layer);
    if (layer == nullptr || !is_input_layer(layer->class_name)) {
      return bad_input("input_layers name " + quote(model.inputs[i].layer) + ", which must be an input layer, got " +
                       (layer ? "class " + layer->class_name : std::string("no such layer")));
    }
    INGOT_ASSIGN_OR_RETURN(InputShape in, input_shape(*layer, options, i));
    INGOT_ASSIGN_OR_RETURN(std::string value, graph.input(layer->name, in.shape));
    for (std::size_t d = 0; d < in.open_dims.size(); ++d) {
      if (in.open_dims[d].empty()) continue;
      (d == 0 ? settings.open_batch : settings.open_sizes) = true;
      graph.graph().nodes[*graph.graph().producer_of(value)].attrs["open_dims"] = in.open_dims;
    }
    inputs.push_back(value);
  }
  Expander expander(graph, weights, settings, reviews);
  INGOT_ASSIGN_OR_RETURN(auto outputs, expander.expand(model, inputs, ""));
  for (const auto& out : outputs) graph.output(out);

  ir::Graph g = graph.release();
  g.metadata["source.format"] = std::string("keras-hdf5");
  g.metadata["source.file"] = std::filesystem::path(path).filename().string();
  if (!keras_version.empty()) g.metadata["source.keras_version"] = keras_version;
  if (!backend.empty()) g.metadata["source.backend"] = backend;
  if (options.params != nullptr) g.metadata["source.params_file"] = std::filesystem::path(options.params->path).filename().string();
  import::record_param_origins(report, g);
  INGOT_TRY(ir::verify(g, registry));
  return g;
}

}  // namespace

Result<ir::Graph> import_file(const std::string& path, const ImportOptions& options, OpRegistry& registry,
                              ImportReport* report) {
  ImportReport local;
  return import(path, options, registry, report ? *report : local).with_context("convert file " + quote(path));
}

}  // namespace ingot::keras
