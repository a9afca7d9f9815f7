// How to fix a custom layer saved without its parameters: the get_config() its class lacks, and a
// parameter file to supply the values at convert time instead.
#pragma once

#include <string>
#include <vector>

#include "frontends/keras/report.h"
#include "ingot/op.h"
#include "nlohmann/json.hpp"

namespace ingot::keras {

// A custom class whose layers need parameters, with both fixes.
struct ClassFix {
  std::string class_name;
  std::vector<std::string> layers;  // the layers of that class that need a value
  std::string get_config;           // Python source of a get_config() method for the class
  nlohmann::json params_skeleton;   // {layer: {key: default or "<required: ...>"}}
};

// One fix per custom class with a layer that misses parameters or hits a known get_config()
// omission. `registry` holds the ops (= schemas) the classes map to.
std::vector<ClassFix> class_fixes(const ImportReport& report, const OpRegistry& registry);

// The get_config() a class needs so that Keras saves every parameter of `schema`.
std::string get_config_source(const std::string& class_name, const OpSchema& schema);

}  // namespace ingot::keras
