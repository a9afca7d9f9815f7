// The Keras `model_config` JSON as a tree of models and layers, every layout Keras 2.x writes:
// Sequential as a bare list (Keras <= 2.1) or {name, layers}; Model / Functional with
// inbound_nodes, input_layers and output_layers; models nested as layers.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "frontends/common/report.h"
#include "ingot/status.h"

namespace ingot::keras {

using json = nlohmann::json;

using import::json_excerpt;

// One tensor of one call of a layer: inbound_nodes' [layer, node_index, tensor_index].
struct TensorRef3 {
  std::string layer;
  int node = 0;
  int tensor = 0;
};

struct Model;

struct Layer {
  std::string class_name;
  std::string name;
  json config;
  // One entry per call of the layer (Keras "nodes"), each listing the call's input tensors.
  // Input layers have a single call with no inputs.
  std::vector<std::vector<TensorRef3>> calls;
  std::shared_ptr<const Model> submodel;  // set when the layer is itself a model
};

struct Model {
  std::string class_name;  // Sequential, Model or Functional
  std::string name;
  std::vector<Layer> layers;
  std::vector<TensorRef3> inputs;   // input_layers, in order
  std::vector<TensorRef3> outputs;  // output_layers, in order
  const Layer* find(const std::string& layer_name) const;
};

inline bool is_input_layer(const std::string& class_name) {
  // Old files (Keras 2.0/2.1, SegNet) use a bare `Layer` as the input placeholder.
  return class_name == "InputLayer" || class_name == "Layer";
}

// Parses a model_config object ({class_name, config}). `source` names the file in messages.
// Sequential models come back in the functional form: an explicit input layer (from the first
// layer's batch_input_shape when the config has none) and a chain of single-input calls.
Result<Model> parse_model_config(const json& model_config, const std::string& source);

}  // namespace ingot::keras
