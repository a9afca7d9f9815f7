#include "frontends/keras/repair.h"

#include <algorithm>

#include "frontends/keras/param_file.h"

namespace ingot::keras {
namespace {

bool needs_fix(const LayerReport& l) {
  if (l.kind != LayerKind::custom) return false;
  if (!l.missing.empty()) return true;
  for (const Diagnostic& d : l.diagnostics) {
    for (const KnownOmission& k : known_omissions()) {
      if (k.class_name == l.class_name && d.severity == Severity::warning &&
          std::find(k.keys.begin(), k.keys.end(), d.key) != k.keys.end()) {
        return true;
      }
    }
  }
  return false;
}

std::string placeholder(const ParamSpec& spec) {
  const std::string c = describe_constraints(spec);
  return "<required: " + (c.empty() ? std::string(attr_type_name(spec.type)) : c) + "; " + spec.doc + ">";
}

nlohmann::json skeleton_entry(const LayerReport& l, const OpSchema& schema) {
  nlohmann::json entry = nlohmann::json::object();
  for (const ParamSpec& spec : schema.params) {
    if (spec.type == AttrType::tensor) continue;
    const auto have = std::find_if(l.params.begin(), l.params.end(), [&](const ParamValue& p) { return p.key == spec.name; });
    if (have != l.params.end()) {
      entry[spec.name] = attr_to_json(have->value);
    } else if (spec.required) {
      entry[spec.name] = placeholder(spec);
    } else {
      entry[spec.name] = nullptr;  // optional and unset: None
    }
  }
  return entry;
}

}  // namespace

std::string get_config_source(const std::string& class_name, const OpSchema& schema) {
  const std::optional<PythonClass>& known = schema.python_class;
  std::string keys;
  for (const ParamSpec& spec : schema.params) {
    if (spec.type == AttrType::tensor) continue;  // weights are saved without get_config()
    std::string expression = "self." + spec.name, why;
    if (known) {
      for (const PythonClass::Saved& s : known->saved) {
        if (s.param == spec.name) expression = s.expression, why = s.why;
      }
    }
    if (!why.empty()) keys += "            # " + why + "\n";
    keys += "            '" + spec.name + "': " + expression + ",\n";
  }
  const std::string about =
      known ? "        # Saves every constructor argument so that model.save() keeps them. Written by\n"
              "        # ingot for " + known->origin + ", from how its\n"
              "        # constructor stores them (op '" + schema.name + "').\n"
            : "        # Saves every constructor argument so that model.save() keeps them. Written by\n"
              "        # ingot from the parameter schema of op '" + schema.name + "'; it assumes the\n"
              "        # constructor stores each argument as an attribute of the same name, unchanged\n"
              "        # and JSON-serialisable (convert numpy arrays with list()).\n";
  return "    def get_config(self):\n" + about +
         "        config = {\n" + keys +
         "        }\n"
         "        base_config = super(" + class_name + ", self).get_config()\n"
         "        return dict(list(base_config.items()) + list(config.items()))\n";
}

std::vector<ClassFix> class_fixes(const ImportReport& report, const OpRegistry& registry) {
  std::vector<ClassFix> fixes;
  for (const LayerReport& l : report.layers) {
    if (!needs_fix(l)) continue;
    const OpDef* def = registry.find(l.op);
    if (def == nullptr) continue;
    auto fix = std::find_if(fixes.begin(), fixes.end(), [&](const ClassFix& f) { return f.class_name == l.class_name; });
    if (fix == fixes.end()) {
      fixes.push_back({l.class_name, {}, get_config_source(l.class_name, def->schema), nlohmann::json::object()});
      fix = fixes.end() - 1;
    }
    fix->layers.push_back(l.name);
    fix->params_skeleton[l.name] = skeleton_entry(l, def->schema);
  }
  return fixes;
}

}  // namespace ingot::keras
