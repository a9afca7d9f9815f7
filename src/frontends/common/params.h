// Parameters for custom layers (and Keras Lambda layers), supplied at convert time
// (`--params FILE.json`) without re-saving the model, and their resolution against an op
// schema: the same file and the same rules for every framework.
//
// The file is one JSON object. Each key is a layer name, or "class:<ClassName>" for every layer
// of that class (Caffe: of that layer type); each value is an object of parameter names and
// values:
//   {"priorbox_1": {"img_size": [300, 300], "min_size": 30.0},
//    "class:PriorBox": {"variances": [0.1, 0.1, 0.2, 0.2]},
//    "input_mean_normalization": {"op": "Affine", "scale": 1.0, "offset": -127.5}}
// Precedence, highest first: the layer's entry, its class entry, the model file, the op's
// default. A Keras Lambda layer's entry names the ingot op it becomes with "op" (the other keys
// are that op's parameters); "op": "Identity" passes the input through.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "frontends/common/report.h"
#include "ingot/op.h"
#include "ir/graph.h"

namespace ingot::import {

using json = nlohmann::json;

struct ParamFile {
  std::string path;
  std::map<std::string, json> layers;   // layer name -> {key: value}
  std::map<std::string, json> classes;  // class name -> {key: value}

  static Result<ParamFile> load(const std::string& path);
  static Result<ParamFile> parse(const json& j, const std::string& path);
};

// A JSON config value as an attribute of the type `spec` asks for: numbers widen (an int where a
// float is wanted) and a scalar becomes a one-element list, as Keras' own constructors accept.
// Fails with "must be <type>, got <json>".
Result<AttrValue> json_to_attr(const ParamSpec& spec, const json& value);

// How a frontend's saved parameters differ.
struct ResolveRules {
  // Keys every layer of the framework saves that are not parameters (Keras: name, trainable, ...).
  std::function<bool(const std::string&)> is_base_key = [](const std::string&) { return false; };
  // A saved key the op does not take: an error (Caffe, where it sits in the layer's own
  // parameter block and is a misspelling) or a warning (Keras, whose configs carry more).
  bool unknown_saved_key_is_error = false;
};

// Fills `report` (params, missing, diagnostics) for the layer `layer_name` of class `class_name`
// imported through the op `schema`: merges `saved` (the model file's values), the class entry
// and the layer entry of `file` (may be null) by precedence, converts each value to the schema's
// type, checks it, and notes defaults, unknown keys and missing required parameters. Tensor
// parameters come from weights, not from here.
void resolve_params(const OpSchema& schema, const std::string& layer_name, const std::string& class_name, const json& saved,
                    const ParamFile* file, const ResolveRules& rules, LayerReport& report);

// The attributes to give the op: every resolved value (defaults included, so the file records
// what the op computed with).
AttrMap resolved_attrs(const LayerReport& report);

// Every layer entry of `file` must name a layer of the model that takes its parameters from
// the file (a custom or Lambda layer): a misspelt name or an entry for a standard layer would
// otherwise be ignored silently.
Status check_param_file_layers(const ParamFile& file, const ImportReport& report);

// Writes where each parameter of the custom, Lambda and opaque layers came from into the graph's
// metadata ("params.<layer>.origin": ["alpha: parameter file (layer)", ...]), so that `inspect`
// shows it for the converted file.
void record_param_origins(const ImportReport& report, ir::Graph& g);

}  // namespace ingot::import
