// The one table from Keras class_name to import function, and the table of saved keys that have
// no effect on inference, against which a standard layer's saved config is reviewed.
#include <algorithm>

#include "frontends/keras/layers.h"

namespace ingot::keras {
namespace {

struct Entry {
  const char* class_name;
  ImportFn fn;
};

constexpr Entry kTable[] = {
    {"Activation", import_activation},
    {"Add", import_add},
    {"AlphaDropout", import_identity},
    {"Average", import_average},
    {"AveragePooling1D", import_avg_pool1d},
    {"AveragePooling2D", import_avg_pool2d},
    {"BatchNormalization", import_batch_norm},
    {"Concatenate", import_concatenate},
    {"Conv1D", import_conv1d},
    {"Conv2D", import_conv2d},
    {"Conv2DTranspose", import_conv2d_transpose},
    {"Cropping1D", import_cropping1d},
    {"Cropping2D", import_cropping2d},
    {"Dense", import_dense},
    {"DepthwiseConv2D", import_depthwise_conv2d},
    {"Dropout", import_identity},
    {"ELU", import_elu},
    {"Flatten", import_flatten},
    {"GaussianDropout", import_identity},
    {"GaussianNoise", import_identity},
    {"GlobalAveragePooling1D", import_global_avg_pool},
    {"GlobalAveragePooling2D", import_global_avg_pool},
    {"GlobalMaxPooling1D", import_global_max_pool},
    {"GlobalMaxPooling2D", import_global_max_pool},
    {"LeakyReLU", import_leaky_relu},
    {"MaxPooling1D", import_max_pool1d},
    {"MaxPooling2D", import_max_pool2d},
    {"Maximum", import_maximum},
    {"Minimum", import_minimum},
    {"Multiply", import_multiply},
    {"PReLU", import_prelu},
    {"Permute", import_permute},
    {"ReLU", import_relu},
    {"Reshape", import_reshape},
    {"SeparableConv2D", import_separable_conv2d},
    {"Softmax", import_softmax},
    {"SpatialDropout1D", import_identity},
    {"SpatialDropout2D", import_identity},
    {"Subtract", import_subtract},
    {"ThresholdedReLU", import_thresholded_relu},
    {"UpSampling1D", import_upsampling1d},
    {"UpSampling2D", import_upsampling2d},
    {"ZeroPadding1D", import_zero_padding1d},
    {"ZeroPadding2D", import_zero_padding2d},
};

// Keys Keras 2.0 .. 2.8 save for standard layers that do not change what the layer computes at
// inference, so an import function rightly never reads them. A saved key that is neither read
// nor listed here is reported as a warning: it may change the result. List a key only with the
// reason it cannot matter; a key whose value can matter must be read (and rejected when ingot
// cannot honour the value) by the import function instead.
struct NoEffectKey {
  const char* key;                   // the exact key, or "*<suffix>"
  std::vector<std::string> classes;  // the classes it applies to; empty: every standard class
  const char* why;
};

const std::vector<NoEffectKey>& no_effect_keys() {
  static const std::vector<std::string> dropouts{"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                                                 "AlphaDropout", "GaussianDropout"};
  static const std::vector<NoEffectKey> table = {
      {"name", {}, "the layer's name: ingot names the layer's nodes after it"},
      {"trainable", {}, "training only: whether the optimizer updates the layer's weights"},
      {"dtype", {}, "the variable dtype or mixed-precision policy: ingot computes in float32 from the stored weights"},
      {"autocast", {}, "tf.keras mixed precision: casting of inputs to the compute dtype"},
      {"batch_input_shape", {}, "the shape the model was built for: the model's input comes from its input layer "
                                "(or --input-shape) and every other shape is inferred"},
      {"batch_size", {}, "the batch the model was built for: see batch_input_shape"},
      {"input_shape", {}, "see batch_input_shape"},
      {"input_dtype", {}, "Keras 2.0: the dtype of the input placeholder built for the first layer; ingot's inputs are float32"},
      {"*_initializer", {}, "how the weights were set before training: ingot reads the trained weights"},
      {"*_regularizer", {}, "a penalty added to the training loss (activity_regularizer included)"},
      {"*_constraint", {}, "a projection applied to the weights after each training step"},
      {"seed", {}, "the random seed of a training-time layer (dropout, noise)"},
      {"rate", dropouts, "dropout is the identity at inference"},
      {"noise_shape", dropouts, "dropout is the identity at inference"},
      {"stddev", {"GaussianNoise"}, "the noise is added in training only"},
      {"momentum", {"BatchNormalization"}, "the update rate of the moving statistics in training; inference uses the stored "
                                           "moving_mean and moving_variance"},
      {"renorm", {"BatchNormalization"}, "batch renormalization corrects batch statistics in training only"},
      {"renorm_clipping", {"BatchNormalization"}, "batch renormalization corrects batch statistics in training only"},
      {"renorm_momentum", {"BatchNormalization"}, "batch renormalization corrects batch statistics in training only"},
      {"virtual_batch_size", {"BatchNormalization"}, "ghost batches split the batch statistics in training only"},
      {"fused", {"BatchNormalization"}, "picks TensorFlow's fused kernel, which computes the same"},
  };
  return table;
}

bool key_matches(const std::string& pattern, const std::string& key) {
  if (pattern.empty() || pattern[0] != '*') return pattern == key;
  const std::string suffix = pattern.substr(1);
  return key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool has_no_effect(const std::string& class_name, const std::string& key) {
  for (const NoEffectKey& k : no_effect_keys()) {
    const bool applies = k.classes.empty() || std::find(k.classes.begin(), k.classes.end(), class_name) != k.classes.end();
    if (applies && key_matches(k.key, key)) return true;
  }
  return false;
}

void review_keys(const Layer& layer, const KeyUse& use, LayerReport& report) {
  StandardKeys& keys = report.keys;
  keys = StandardKeys{};
  keys.reviewed = true;
  if (layer.config.is_object()) {
    for (const auto& [key, value] : layer.config.items()) {
      if (std::find(use.read.begin(), use.read.end(), key) != use.read.end()) {
        keys.found.emplace_back(key, value);
      } else if (has_no_effect(layer.class_name, key)) {
        keys.no_effect.push_back(key);
      } else {
        keys.unread.emplace_back(key, value);
        std::string message = "key ";
        message.append(quote(key)).append(" = ").append(json_excerpt(value, 120)).append(
            " is not read by ingot; results may differ if it matters");
        report.diagnostics.push_back({Severity::warning, key, message});
      }
    }
  }
  keys.defaulted = use.defaulted;
  if (!keys.defaulted.empty()) {
    std::string list;
    for (const auto& [key, value] : keys.defaulted) {
      list.append(list.empty() ? "" : ", ").append(key).append(" = ").append(json_excerpt(value, 120));
    }
    report.diagnostics.push_back({Severity::note, "", std::string("not saved, defaults used: ").append(list)});
  }
}

ImportFn find_import_fn(const std::string& class_name) {
  for (const Entry& e : kTable) {
    if (class_name == e.class_name) return e.fn;
  }
  return nullptr;
}

std::vector<std::string> known_classes() {
  std::vector<std::string> names;
  for (const Entry& e : kTable) names.emplace_back(e.class_name);
  return names;
}

}  // namespace ingot::keras
