#include "frontends/keras/param_file.h"

#include <set>

namespace ingot::keras {

bool is_base_layer_key(const std::string& key) {
  static const std::set<std::string> keys = {"name", "trainable", "dtype", "batch_input_shape", "batch_size",
                                             "input_dtype", "autocast", "input_shape"};
  return keys.count(key) > 0;
}

void resolve_params(const OpSchema& schema, const Layer& layer, const json& saved, const ParamFile* file,
                    LayerReport& report) {
  import::ResolveRules rules;
  rules.is_base_key = is_base_layer_key;
  import::resolve_params(schema, layer.name, layer.class_name, saved, file, rules, report);

  for (const KnownOmission& k : known_omissions()) {
    if (layer.class_name != k.class_name) continue;
    for (const std::string& key : k.keys) {
      const bool saved_has = saved.is_object() && saved.contains(key);
      bool supplied = false;
      for (const ParamValue& p : report.params) supplied |= p.key == key && p.origin != Origin::default_value;
      if (saved_has) continue;
      if (supplied) {
        report.add(Severity::note, key, "key " + quote(key) + " comes from the parameter file (" + k.source + " never saves it)");
      } else {
        report.add(Severity::warning, key,
            "key " + quote(key) + " is not saved: " + k.source + " leaves it out of get_config(), so the default applies. " +
                k.consequence + " Supply the value the model was built with in a parameter file (--params).");
      }
    }
  }
}

const std::vector<KnownOmission>& known_omissions() {
  static const std::vector<KnownOmission> table = {
      {"AnchorBoxes",
       {"this_steps", "this_offsets"},
       "pierluigiferrari/ssd_keras AnchorBoxes",
       "A reloaded model then places anchors at step = image size / feature map size and offset 0.5: "
       "for SSD300 built with steps [8, 16, 32, 64, 100, 300], the 38x38 map gets step 300/38 = 7.89 instead of 8, "
       "shifting every anchor."},
  };
  return table;
}

}  // namespace ingot::keras
