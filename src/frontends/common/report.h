// What an import found out about each layer, for every framework (Keras, Caffe): where every
// parameter came from, what is missing, what was ignored. `ingot check` prints it; `ingot
// convert` fails with its errors. Frontends share this and the rest of src/frontends/common;
// no frontend includes another (tests/unit/test_frontend_layering.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "ingot/attr.h"
#include "ingot/op.h"

namespace ingot::import {

enum class Severity { error, warning, note };
const char* severity_name(Severity s);  // "error", "warning", "note"

struct Diagnostic {
  Severity severity = Severity::error;
  std::string key;  // the config key concerned, or empty
  std::string message;
};

// Where a parameter value came from, in precedence order (highest first).
enum class Origin { layer_entry, class_entry, model_file, default_value };
const char* origin_name(Origin o);  // "parameter file (layer)", ..., "default"

struct ParamValue {
  std::string key;
  AttrValue value;
  Origin origin = Origin::model_file;
};

// A standard layer's saved config against what its import function read (the frontend's
// layer table lists the keys without effect on inference).
struct StandardKeys {
  using Values = std::vector<std::pair<std::string, nlohmann::json>>;
  bool reviewed = false;               // false until the layer is built (the review runs after it)
  Values found;                        // saved and read
  Values defaulted;                    // not saved: the default the importer used
  std::vector<std::string> no_effect;  // saved, without effect on inference (name, *_initializer, ...)
  Values unread;                       // saved, neither read nor known to be without effect: a warning each
};

// How a layer is imported.
enum class LayerKind {
  standard,  // a built-in Keras class with its own import function
  custom,    // a custom class imported through the ingot op of the same name and its schema
  lambda,    // a Lambda layer, mapped to an op by the parameter file
  opaque,    // an unknown class carried through with --keep-unknown
  unknown,   // an unknown class: an error
};
const char* layer_kind_name(LayerKind k);

struct LayerReport {
  std::string name;
  std::string class_name;
  std::string model;  // the (nested) model holding the layer; empty for the top level
  LayerKind kind = LayerKind::standard;
  std::string op;                     // the ingot op of a custom / lambda / opaque layer
  std::vector<ParamValue> params;     // values the op receives, with their origin
  std::vector<std::string> missing;   // required parameters nobody supplied
  std::vector<std::string> weights;   // "gamma:0 [512]"
  std::vector<std::string> saved_keys;  // the keys the model file stores for the layer
  StandardKeys keys;                    // standard layers only
  std::vector<Diagnostic> diagnostics;

  bool has_errors() const;
  void add(Severity severity, const std::string& key, const std::string& message) {
    diagnostics.push_back({severity, key, message});
  }
};

struct ImportReport {
  std::string file;
  std::vector<LayerReport> layers;

  bool has_errors() const;
  std::size_t count(Severity s) const;
  LayerReport* find(const std::string& layer_name);
};

// The registry entry standing in for an unknown layer class or type (--keep-unknown) until a
// user registers a real one: any attributes, the shape of input 0, no kernel. `origin` names
// what it stands for in the op's doc ("Keras class", "Caffe layer type").
OpDef opaque_op(const std::string& name, const std::string& origin);

// A parameter value as JSON, for reports and parameter-file skeletons (tensors by name).
nlohmann::json attr_to_json(const AttrValue& value);

// A value's JSON text for a message, cut to at most `limit` characters (ending in "...").
std::string json_excerpt(const nlohmann::json& v, std::size_t limit);

// The three closest names to `name` among `candidates` (case-insensitive edit distance), for
// "(closest: ...)" in messages about a misspelt name.
std::string closest_names(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace ingot::import
