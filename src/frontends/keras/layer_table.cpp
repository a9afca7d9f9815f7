// The one table from Keras class_name to import function.
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

}  // namespace

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
