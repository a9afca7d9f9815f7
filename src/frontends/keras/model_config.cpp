#include "frontends/keras/model_config.h"

#include <set>

namespace ingot::keras {

namespace {

constexpr int kMaxNesting = 16;  // real files nest 2-3 deep; deeper is hostile or broken

bool is_model_class(const std::string& c) { return c == "Sequential" || c == "Model" || c == "Functional"; }

Result<std::string> layer_name(const json& layer, std::size_t index) {
  // Functional layers carry "name" at top level; Sequential layers only in "config".
  if (layer.contains("name") && layer["name"].is_string()) return layer["name"].get<std::string>();
  if (layer.contains("config") && layer["config"].is_object() && layer["config"].contains("name") &&
      layer["config"]["name"].is_string()) {
    return layer["config"]["name"].get<std::string>();
  }
  return bad_input("layer " + std::to_string(index) + ": key 'name' is required, got nothing");
}

Result<TensorRef3> parse_ref(const json& j, const std::string& what) {
  // [name, node_index, tensor_index(, kwargs)]
  if (!j.is_array() || j.size() < 3 || !j[0].is_string() || !j[1].is_number_integer() ||
      !j[2].is_number_integer()) {
    return bad_input(what + " must be [layer, node_index, tensor_index], got " + j.dump());
  }
  const auto node = j[1].get<std::int64_t>();
  const auto tensor = j[2].get<std::int64_t>();
  if (node < 0 || node > 4096 || tensor < 0 || tensor > 4096) {
    return bad_input(what + " indices must be in [0, 4096], got " + j.dump());
  }
  return TensorRef3{j[0].get<std::string>(), static_cast<int>(node), static_cast<int>(tensor)};
}

Result<std::vector<TensorRef3>> parse_ref_list(const json& j, const std::string& what) {
  if (!j.is_array()) return bad_input(what + " must be a list, got " + j.dump());
  std::vector<TensorRef3> refs;
  // A single ref may appear unwrapped: ["name", 0, 0].
  if (j.size() >= 3 && j[0].is_string()) {
    INGOT_ASSIGN_OR_RETURN(auto r, parse_ref(j, what));
    refs.push_back(std::move(r));
    return refs;
  }
  for (const auto& item : j) {
    INGOT_ASSIGN_OR_RETURN(auto r, parse_ref(item, what));
    refs.push_back(std::move(r));
  }
  return refs;
}

Result<Model> parse_model(const json& j, const std::string& source, int depth);

Result<Layer> parse_layer(const json& j, std::size_t index, const std::string& source, int depth) {
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string()) {
    return bad_input("layer " + std::to_string(index) + ": must be an object with a string 'class_name', got " +
                     j.dump().substr(0, 200));
  }
  Layer layer;
  layer.class_name = j["class_name"].get<std::string>();
  INGOT_ASSIGN_OR_RETURN(layer.name, layer_name(j, index));
  layer.config = j.contains("config") ? j["config"] : json::object();
  const std::string what = "layer " + quote(layer.name) + " (" + layer.class_name + ")";
  if (is_model_class(layer.class_name)) {
    INGOT_ASSIGN_OR_RETURN_CTX(Model sub, parse_model(j, source, depth + 1), "read nested model " + quote(layer.name));
    layer.submodel = std::make_shared<const Model>(std::move(sub));
  } else if (!layer.config.is_object()) {
    return bad_input(what + ": key 'config' must be an object, got " + layer.config.dump().substr(0, 200));
  }
  if (j.contains("inbound_nodes")) {
    const json& nodes = j["inbound_nodes"];
    if (!nodes.is_array()) return bad_input(what + ": key 'inbound_nodes' must be a list, got " + nodes.dump());
    for (const auto& call : nodes) {
      INGOT_ASSIGN_OR_RETURN_CTX(auto refs, parse_ref_list(call, "inbound node"), what);
      layer.calls.push_back(std::move(refs));
    }
  }
  return layer;
}

const json& sequential_layers(const json& config) {
  return config.is_array() ? config : config["layers"];
}

// Rewrites a Sequential model into the functional form with an explicit input layer.
Status make_sequential_functional(Model& m) {
  if (m.layers.empty()) return bad_input("model " + quote(m.name) + ": must have layers, got none");
  if (!is_input_layer(m.layers.front().class_name)) {
    const Layer& first = m.layers.front();
    const json* shape = nullptr;
    for (const char* key : {"batch_input_shape", "batch_shape"}) {
      if (first.config.is_object() && first.config.contains(key)) shape = &first.config[key];
    }
    // A nested model as the first layer: its own input layer holds the shape.
    if (shape == nullptr && first.submodel && !first.submodel->layers.empty()) {
      const json& inner = first.submodel->layers.front().config;
      if (inner.is_object() && inner.contains("batch_input_shape")) shape = &inner["batch_input_shape"];
    }
    Layer input;
    input.class_name = "InputLayer";
    input.name = first.name + "_input";  // what Keras itself calls it
    input.config = json::object();
    if (shape != nullptr) input.config["batch_input_shape"] = *shape;
    // A nested Sequential without a shape takes its input from the outer model.
    m.layers.insert(m.layers.begin(), std::move(input));
  }
  m.layers.front().calls = {{}};
  for (std::size_t i = 1; i < m.layers.size(); ++i) m.layers[i].calls = {{TensorRef3{m.layers[i - 1].name, 0, 0}}};
  m.inputs = {TensorRef3{m.layers.front().name, 0, 0}};
  m.outputs = {TensorRef3{m.layers.back().name, 0, 0}};
  return {};
}

Result<Model> parse_model(const json& j, const std::string& source, int depth) {
  if (depth > kMaxNesting) {
    return bad_input("model nesting must be at most " + std::to_string(kMaxNesting) + " deep, got deeper");
  }
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string() || !j.contains("config")) {
    return bad_input("model_config must be an object with 'class_name' and 'config', got " + j.dump().substr(0, 200));
  }
  Model m;
  m.class_name = j["class_name"].get<std::string>();
  const json& config = j["config"];
  if (!is_model_class(m.class_name)) {
    return unsupported("model class must be Sequential, Model or Functional, got " + quote(m.class_name));
  }
  const bool sequential = m.class_name == "Sequential";
  if (!(config.is_object() || (sequential && config.is_array()))) {
    return bad_input("model 'config' must be an object, got " + config.dump().substr(0, 200));
  }
  if (config.is_object() && config.contains("name") && config["name"].is_string()) m.name = config["name"].get<std::string>();
  const json& layers = sequential ? sequential_layers(config) : config["layers"];
  if (!layers.is_array()) return bad_input("model " + quote(m.name) + ": key 'layers' must be a list, got " + layers.dump().substr(0, 200));
  std::set<std::string> names;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    INGOT_ASSIGN_OR_RETURN_CTX(Layer layer, parse_layer(layers[i], i, source, depth), "read model " + quote(m.name));
    if (!names.insert(layer.name).second) {
      return bad_input("read model " + quote(m.name) + ": layer names must be unique, got " + quote(layer.name) + " twice");
    }
    m.layers.push_back(std::move(layer));
  }
  if (sequential) {
    INGOT_TRY(make_sequential_functional(m));
    return m;
  }
  for (const char* key : {"input_layers", "output_layers"}) {
    if (!config.contains(key)) return bad_input("model " + quote(m.name) + ": key '" + key + "' is required, got nothing");
    INGOT_ASSIGN_OR_RETURN_CTX(auto refs, parse_ref_list(config[key], key), "read model " + quote(m.name));
    (std::string(key) == "input_layers" ? m.inputs : m.outputs) = std::move(refs);
  }
  for (Layer& layer : m.layers) {
    if (is_input_layer(layer.class_name) && layer.calls.empty()) layer.calls = {{}};
  }
  return m;
}

}  // namespace

const Layer* Model::find(const std::string& layer_name) const {
  for (const auto& l : layers) {
    if (l.name == layer_name) return &l;
  }
  return nullptr;
}

Result<Model> parse_model_config(const json& model_config, const std::string& source) {
  return parse_model(model_config, source, 0).with_context("read model_config of " + quote(source));
}

}  // namespace ingot::keras
