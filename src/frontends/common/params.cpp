#include "frontends/common/params.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace ingot::import {
namespace {

constexpr const char* kClassPrefix = "class:";

std::string type_text(const ParamSpec& spec) {
  std::string t = attr_type_name(spec.type);
  const std::string c = describe_constraints(spec);
  return c.empty() ? t : c;
}

Result<std::int64_t> json_int(const json& v) {
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return bad_input("");
  if (v.is_number_integer()) return v.get<std::int64_t>();
  // Python configs sometimes store 300.0 where an int is meant.
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  }
  return bad_input("");
}

template <class T, class Read>
Result<std::vector<T>> json_list(const json& v, Read read) {
  std::vector<T> out;
  if (!v.is_array()) {
    INGOT_ASSIGN_OR_RETURN(T one, read(v));
    out.push_back(one);
    return out;
  }
  for (const json& e : v) {
    INGOT_ASSIGN_OR_RETURN(T x, read(e));
    out.push_back(x);
  }
  return out;
}

Result<double> json_float(const json& v) {
  if (v.is_number()) return v.get<double>();
  return bad_input("");
}

Result<std::string> json_string(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return bad_input("");
}

Result<AttrValue> convert(const ParamSpec& spec, const json& v) {
  switch (spec.type) {
    case AttrType::int_: {
      INGOT_ASSIGN_OR_RETURN(std::int64_t x, json_int(v));
      return AttrValue(x);
    }
    case AttrType::float_: {
      INGOT_ASSIGN_OR_RETURN(double x, json_float(v));
      return AttrValue(x);
    }
    case AttrType::bool_:
      if (v.is_boolean()) return AttrValue(v.get<bool>());
      return bad_input("");
    case AttrType::string: {
      INGOT_ASSIGN_OR_RETURN(std::string x, json_string(v));
      return AttrValue(x);
    }
    case AttrType::int_list: {
      INGOT_ASSIGN_OR_RETURN(auto x, json_list<std::int64_t>(v, json_int));
      return AttrValue(x);
    }
    case AttrType::float_list: {
      INGOT_ASSIGN_OR_RETURN(auto x, json_list<double>(v, json_float));
      return AttrValue(x);
    }
    case AttrType::string_list: {
      INGOT_ASSIGN_OR_RETURN(auto x, json_list<std::string>(v, json_string));
      return AttrValue(x);
    }
    case AttrType::tensor:
      break;
  }
  return bad_input("");
}

std::string param_names(const OpSchema& schema) {
  std::string out;
  for (const ParamSpec& p : schema.params) {
    if (p.type == AttrType::tensor) continue;
    out += (out.empty() ? "" : ", ") + p.name;
  }
  return out.empty() ? "none" : out;
}

struct Source {
  const json* values;
  Origin origin;
};

std::string origin_phrase(Origin o) {
  switch (o) {
    case Origin::layer_entry:
      return " (from the parameter file's layer entry)";
    case Origin::class_entry:
      return " (from the parameter file's class entry)";
    default:
      return "";
  }
}

}  // namespace

Result<ParamFile> ParamFile::parse(const json& j, const std::string& path) {
  ParamFile f;
  f.path = path;
  const std::string where = "read parameter file " + quote(path);
  if (!j.is_object()) return bad_input(where + ": it must be a JSON object of layer names, got " + json_excerpt(j, 200));
  for (const auto& [key, value] : j.items()) {
    if (!value.is_object()) {
      return bad_input(where + ": entry " + quote(key) + " must be an object of config keys, got " + json_excerpt(value, 200));
    }
    if (key.rfind(kClassPrefix, 0) == 0) {
      f.classes[key.substr(std::string(kClassPrefix).size())] = value;
    } else {
      f.layers[key] = value;
    }
  }
  return f;
}

Result<ParamFile> ParamFile::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("open parameter file " + quote(path) + ": cannot read it");
  std::stringstream ss;
  ss << in.rdbuf();
  json j;
  try {
    j = json::parse(ss.str());
  } catch (const json::parse_error& e) {
    return bad_input("read parameter file " + quote(path) + ": it must be valid JSON, got a syntax error at byte " +
                     std::to_string(e.byte));
  }
  return parse(j, path);
}

Result<AttrValue> json_to_attr(const ParamSpec& spec, const json& value) {
  auto converted = convert(spec, value);
  if (!converted.ok()) return bad_input("must be " + type_text(spec) + ", got " + json_excerpt(value, 200));
  return converted;
}

void resolve_params(const OpSchema& schema, const std::string& layer_name, const std::string& class_name, const json& saved,
                    const ParamFile* file, const ResolveRules& rules, LayerReport& report) {
  std::vector<Source> sources;
  if (file != nullptr) {
    if (auto it = file->layers.find(layer_name); it != file->layers.end()) sources.push_back({&it->second, Origin::layer_entry});
    if (auto it = file->classes.find(class_name); it != file->classes.end()) {
      sources.push_back({&it->second, Origin::class_entry});
    }
  }
  if (saved.is_object()) sources.push_back({&saved, Origin::model_file});

  // Schema order first, then any other key in name order: reports read like the constructor.
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const ParamSpec& p : schema.params) {
    keys.push_back(p.name);
    seen.insert(p.name);
  }
  std::set<std::string> extra;
  for (const Source& s : sources) {
    for (const auto& [key, value] : s.values->items()) {
      if (!seen.count(key) && !rules.is_base_key(key) && !(s.origin != Origin::model_file && key == "op")) extra.insert(key);
    }
  }
  keys.insert(keys.end(), extra.begin(), extra.end());

  for (const std::string& key : keys) {
    const ParamSpec* spec = schema.find_param(key);
    const Source* from = nullptr;
    for (const Source& s : sources) {
      if (s.values->contains(key)) {
        from = &s;
        break;
      }
    }
    if (spec == nullptr) {
      // A misspelt key in the parameter file must not pass silently; a saved key the op does
      // not take is worth a warning (the layer may compute something ingot does not).
      const bool error = from->origin != Origin::model_file || rules.unknown_saved_key_is_error;
      report.add(error ? Severity::error : Severity::warning, key,
          "key " + quote(key) + " = " + json_excerpt((*from->values)[key], 200) + origin_phrase(from->origin) +
              " is not a parameter of op " + quote(schema.name) + (error ? "" : " and is ignored") +
              "; its parameters: " + param_names(schema));
      continue;
    }
    if (spec->type == AttrType::tensor) {
      if (from != nullptr) {
        report.add(Severity::warning, key,
            "key " + quote(key) + " is a weight of op " + quote(schema.name) + "; the config value is ignored");
      }
      continue;
    }
    const json* value = from != nullptr ? &(*from->values)[key] : nullptr;
    if (value == nullptr || value->is_null()) {  // null is Python's None: not given
      if (spec->required) {
        report.missing.push_back(key);
        report.add(Severity::error, key,
            "key " + quote(key) + " is required (" + type_text(*spec) + ": " + spec->doc + "), got " +
                (value ? "None" : "nothing"));
      } else if (spec->default_value) {
        report.params.push_back({key, *spec->default_value, Origin::default_value});
        report.add(Severity::note, key, "key " + quote(key) + " not saved: using the default " + attr_to_string(*spec->default_value));
      } else {
        report.add(Severity::note, key, "key " + quote(key) + " not set (optional, no default)");
      }
      continue;
    }
    auto attr = json_to_attr(*spec, *value);
    Status st = attr.ok() ? check_param(*spec, *attr) : attr.status();
    if (!st.ok()) {
      std::string msg = st.message();
      if (msg.rfind("parameter ", 0) == 0) msg = msg.substr(10);
      if (msg.rfind("must", 0) == 0) msg = quote(key) + " " + msg;
      report.add(Severity::error, key, "key " + msg + origin_phrase(from->origin));
      continue;
    }
    report.params.push_back({key, *attr, from->origin});
  }

}

AttrMap resolved_attrs(const LayerReport& report) {
  AttrMap attrs;
  for (const ParamValue& p : report.params) attrs[p.key] = p.value;
  return attrs;
}

Status check_param_file_layers(const ParamFile& file, const ImportReport& report) {
  std::vector<std::string> names;
  for (const LayerReport& l : report.layers) names.push_back(l.name);
  for (const auto& [layer, entry] : file.layers) {
    const auto it = std::find_if(report.layers.begin(), report.layers.end(), [&](const LayerReport& l) { return l.name == layer; });
    if (it == report.layers.end()) {
      return bad_input("read parameter file " + quote(file.path) + ": entry " + quote(layer) +
                       " must name a layer of the model (or be \"class:<ClassName>\"), got no such layer (closest: " +
                       closest_names(layer, names) + ")");
    }
    if (it->kind == LayerKind::standard) {
      return bad_input("read parameter file " + quote(file.path) + ": entry " + quote(layer) +
                       " must name a custom layer, got the standard " + it->class_name +
                       " layer, whose parameters come from the model file only");
    }
  }
  return {};
}

void record_param_origins(const ImportReport& report, ir::Graph& g) {
  for (const LayerReport& l : report.layers) {
    if (l.kind == LayerKind::standard || l.params.empty()) continue;
    std::vector<std::string> origins;
    for (const ParamValue& p : l.params) origins.push_back(p.key + ": " + origin_name(p.origin));
    g.metadata["params." + l.name + ".origin"] = origins;
  }
}

}  // namespace ingot::import
