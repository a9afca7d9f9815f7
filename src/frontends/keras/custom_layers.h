// Layers outside the standard table: custom classes imported through the ingot op of the same
// name (its schema is the parameter schema), Lambda layers mapped by the parameter file, and
// unknown classes (an error, or an opaque op with --keep-unknown).
#pragma once

#include <string>

#include "frontends/keras/layer_context.h"
#include "frontends/keras/param_file.h"
#include "frontends/keras/report.h"

namespace ingot::keras {

struct ReviewSettings {
  OpRegistry& registry;  // opaque ops of --keep-unknown are added to it
  const ParamFile* params = nullptr;
  bool keep_unknown = false;
};

// Classifies one layer and resolves its parameters without building anything, so that one pass
// over the model finds every problem. `weights` are the layer's stored weights.
LayerReport review_layer(const Layer& layer, const std::string& model_name, const std::vector<Weight>& weights,
                         const ReviewSettings& settings);

// Builds the IR for a reviewed custom, lambda or opaque layer.
Result<std::vector<std::string>> import_reviewed(LayerContext& ctx, const LayerReport& report);

// Every class name worth suggesting for a misspelt one: the standard table and registered ops.
std::vector<std::string> suggestible_classes(const OpRegistry& registry);

}  // namespace ingot::keras
