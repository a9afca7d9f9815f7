// The one table of Caffe layer types ingot imports.
#include <map>

#include "frontends/caffe/layer_context.h"

namespace ingot::caffe_import {
namespace {

const std::map<std::string, ImportFn>& table() {
  static const std::map<std::string, ImportFn> t{
      {"AbsVal", import_absval},
      {"ArgMax", import_argmax},
      {"BNLL", import_bnll},
      {"BatchNorm", import_batch_norm},
      {"Bias", import_bias},
      {"Concat", import_concat},
      {"Convolution", import_convolution},
      {"Crop", import_crop},
      {"Deconvolution", import_deconvolution},
      {"DetectionOutput", import_detection_output},
      {"Dropout", import_dropout},
      {"ELU", import_elu},
      {"Eltwise", import_eltwise},
      {"Exp", import_exp},
      {"Flatten", import_flatten},
      {"InnerProduct", import_inner_product},
      {"Interp", import_interp},
      {"LRN", import_lrn},
      {"Log", import_log},
      {"MVN", import_mvn},
      {"Normalize", import_normalize},
      {"PReLU", import_prelu},
      {"Permute", import_permute},
      {"Pooling", import_pooling},
      {"Power", import_power},
      {"PriorBox", import_prior_box},
      {"ReLU", import_relu},
      {"Reduction", import_reduction},
      {"Reshape", import_reshape},
      {"Scale", import_scale},
      {"Sigmoid", import_sigmoid},
      {"Slice", import_slice},
      {"Softmax", import_softmax},
      {"Split", import_split},
      {"TanH", import_tanh},
      {"Tile", import_tile},
      {"Upsample", import_upsample},
  };
  return t;
}

}  // namespace

ImportFn find_import_fn(const std::string& type) {
  auto it = table().find(type);
  return it == table().end() ? nullptr : it->second;
}

std::vector<std::string> known_types() {
  std::vector<std::string> out;
  for (const auto& [name, fn] : table()) out.push_back(name);
  return out;
}

}  // namespace ingot::caffe_import
