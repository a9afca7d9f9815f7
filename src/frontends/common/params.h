// Parameters for custom and Lambda layers, supplied at convert time (`--params FILE.json`)
// without re-saving the model, and their resolution against an op schema.
//
// The file is one JSON object. Each key is a layer name, or "class:<ClassName>" for every layer
// of that class; each value is an object of Keras config keys and values:
//   {"priorbox_1": {"img_size": [300, 300], "min_size": 30.0},
//    "class:PriorBox": {"variances": [0.1, 0.1, 0.2, 0.2]},
//    "input_mean_normalization": {"op": "Affine", "scale": 1.0, "offset": -127.5}}
// Precedence, highest first: the layer's entry, its class entry, the model file, the op's
// default. A Lambda layer's entry names the ingot op it becomes with "op" (the other keys are
// that op's parameters); "op": "Identity" passes the input through.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "frontends/keras/model_config.h"
#include "frontends/keras/report.h"
#include "ingot/op.h"

namespace ingot::keras {

struct ParamFile {
  std::string path;
  std::map<std::string, json> layers;   // layer name -> {key: value}
  std::map<std::string, json> classes;  // class name -> {key: value}

  static Result<ParamFile> load(const std::string& path);
  static Result<ParamFile> parse(const json& j, const std::string& path);
};

// Keys every Keras layer config carries that are not parameters of the layer's computation.
bool is_base_layer_key(const std::string& key);

// A JSON config value as an attribute of the type `spec` asks for: numbers widen (an int where a
// float is wanted) and a scalar becomes a one-element list, as Keras' own constructors accept.
// Fails with "must be <type>, got <json>".
Result<AttrValue> json_to_attr(const ParamSpec& spec, const json& value);

// Fills `report` (params, missing, diagnostics) for a layer imported through the op `schema`:
// merges the model's config, the class entry and the layer entry of `file` (may be null) by
// precedence, converts each value to the schema's type, checks it, and notes defaults, unknown
// keys and missing required parameters. Tensor parameters come from weights, not from here.
void resolve_params(const OpSchema& schema, const Layer& layer, const json& saved, const ParamFile* file,
                    LayerReport& report);

// The attributes to give the op: every resolved value (defaults included, so the file records
// what the op computed with).
AttrMap resolved_attrs(const LayerReport& report);

// Known get_config() omissions of published custom layers: keys their get_config() leaves out,
// so a reloaded model silently uses the defaults.
struct KnownOmission {
  const char* class_name;
  std::vector<std::string> keys;
  const char* source;       // where the class comes from
  const char* consequence;  // what goes wrong
};
const std::vector<KnownOmission>& known_omissions();

}  // namespace ingot::keras
