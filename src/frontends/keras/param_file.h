// The parameter file (frontends/common/params.h) as the Keras frontend applies it: the keys
// every Keras config carries, and the published custom classes known to leave keys out of
// their get_config().
#pragma once

#include <string>
#include <vector>

#include "frontends/common/params.h"
#include "frontends/keras/model_config.h"
#include "frontends/keras/report.h"

namespace ingot::keras {

using import::json_to_attr;
using import::ParamFile;
using import::resolved_attrs;

// Keys every Keras layer config carries that are not parameters of the layer's computation.
bool is_base_layer_key(const std::string& key);

// import::resolve_params for a Keras layer and its saved config, then a warning (or note) for
// each key a known class never saves (known_omissions).
void resolve_params(const OpSchema& schema, const Layer& layer, const json& saved, const ParamFile* file,
                    LayerReport& report);

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
