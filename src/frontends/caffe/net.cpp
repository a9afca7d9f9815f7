#include "frontends/caffe/net.h"

#include <set>

namespace ingot::caffe_import {
namespace {

using caffe::V1LayerParameter;

// Caffe's NetState for a deploy net: phase TEST, level 0, no stages.
bool rule_met(const caffe::NetStateRule& rule) {
  if (rule.has_phase() && rule.phase() != caffe::TEST) return false;
  if (rule.has_min_level() && 0 < rule.min_level()) return false;
  if (rule.has_max_level() && 0 > rule.max_level()) return false;
  return rule.stage_size() == 0;  // a required stage is never present; not_stage never hits
}

bool in_test_phase(const caffe::LayerParameter& layer) {
  if (layer.include_size() > 0) {
    for (const auto& r : layer.include()) {
      if (rule_met(r)) return true;
    }
    return false;
  }
  for (const auto& r : layer.exclude()) {
    if (rule_met(r)) return false;
  }
  return true;
}

caffe::LayerParameter upgrade_v1(const V1LayerParameter& v1) {
  caffe::LayerParameter l;
  l.set_name(v1.name());
  l.set_type(v1_type_name(v1.type()));
  for (const auto& b : v1.bottom()) l.add_bottom(b);
  for (const auto& t : v1.top()) l.add_top(t);
  *l.mutable_include() = v1.include();
  *l.mutable_exclude() = v1.exclude();
  *l.mutable_blobs() = v1.blobs();
  for (float w : v1.loss_weight()) l.add_loss_weight(w);
  // The parameter messages are the same types in both forms.
  if (v1.has_concat_param()) *l.mutable_concat_param() = v1.concat_param();
  if (v1.has_convolution_param()) *l.mutable_convolution_param() = v1.convolution_param();
  if (v1.has_dropout_param()) *l.mutable_dropout_param() = v1.dropout_param();
  if (v1.has_eltwise_param()) *l.mutable_eltwise_param() = v1.eltwise_param();
  if (v1.has_inner_product_param()) *l.mutable_inner_product_param() = v1.inner_product_param();
  if (v1.has_lrn_param()) *l.mutable_lrn_param() = v1.lrn_param();
  if (v1.has_pooling_param()) *l.mutable_pooling_param() = v1.pooling_param();
  if (v1.has_power_param()) *l.mutable_power_param() = v1.power_param();
  if (v1.has_relu_param()) *l.mutable_relu_param() = v1.relu_param();
  if (v1.has_sigmoid_param()) *l.mutable_sigmoid_param() = v1.sigmoid_param();
  if (v1.has_softmax_param()) *l.mutable_softmax_param() = v1.softmax_param();
  if (v1.has_slice_param()) *l.mutable_slice_param() = v1.slice_param();
  if (v1.has_tanh_param()) *l.mutable_tanh_param() = v1.tanh_param();
  if (v1.has_transform_param()) *l.mutable_transform_param() = v1.transform_param();
  if (v1.has_loss_param()) *l.mutable_loss_param() = v1.loss_param();
  return l;
}

Result<Shape> shape_of(const caffe::BlobShape& s, const std::string& where) {
  std::vector<std::int64_t> dims(s.dim().begin(), s.dim().end());
  Shape shape(std::move(dims));
  INGOT_TRY_CTX(validate_shape(shape), where);
  for (std::int64_t d : shape.dims()) {
    if (d < 1) return bad_input(where + ": every dim must be >= 1, got " + shape.to_string());
  }
  return shape;
}

Result<std::vector<NetInput>> header_inputs(const caffe::NetParameter& net, const std::string& path) {
  std::vector<NetInput> inputs;
  const int n = net.input_size();
  const std::string where = "read the inputs of " + quote(path);
  if (n == 0) {
    if (net.input_shape_size() > 0 || net.input_dim_size() > 0) {
      return bad_input(where + ": `input_shape` / `input_dim` are given without an `input` name");
    }
    return inputs;
  }
  if (net.input_shape_size() > 0) {
    if (net.input_shape_size() != n) {
      return bad_input(where + ": " + std::to_string(n) + " `input` names need as many `input_shape` entries, got " +
                       std::to_string(net.input_shape_size()));
    }
    for (int i = 0; i < n; ++i) {
      INGOT_ASSIGN_OR_RETURN(Shape s, shape_of(net.input_shape(i), where + ", input " + quote(net.input(i))));
      inputs.push_back({net.input(i), s});
    }
    return inputs;
  }
  if (net.input_dim_size() != 4 * n) {
    return bad_input(where + ": " + std::to_string(n) + " `input` names need " + std::to_string(4 * n) +
                     " `input_dim` values (num, channels, height, width each), got " +
                     std::to_string(net.input_dim_size()));
  }
  for (int i = 0; i < n; ++i) {
    caffe::BlobShape s;
    for (int k = 0; k < 4; ++k) s.add_dim(net.input_dim(4 * i + k));
    INGOT_ASSIGN_OR_RETURN(Shape shape, shape_of(s, where + ", input " + quote(net.input(i))));
    inputs.push_back({net.input(i), shape});
  }
  return inputs;
}

}  // namespace

std::string v1_type_name(V1LayerParameter::LayerType type) {
  switch (type) {
    case V1LayerParameter::ABSVAL: return "AbsVal";
    case V1LayerParameter::ACCURACY: return "Accuracy";
    case V1LayerParameter::ARGMAX: return "ArgMax";
    case V1LayerParameter::BNLL: return "BNLL";
    case V1LayerParameter::CONCAT: return "Concat";
    case V1LayerParameter::CONTRASTIVE_LOSS: return "ContrastiveLoss";
    case V1LayerParameter::CONVOLUTION: return "Convolution";
    case V1LayerParameter::DATA: return "Data";
    case V1LayerParameter::DECONVOLUTION: return "Deconvolution";
    case V1LayerParameter::DROPOUT: return "Dropout";
    case V1LayerParameter::DUMMY_DATA: return "DummyData";
    case V1LayerParameter::EUCLIDEAN_LOSS: return "EuclideanLoss";
    case V1LayerParameter::ELTWISE: return "Eltwise";
    case V1LayerParameter::EXP: return "Exp";
    case V1LayerParameter::FLATTEN: return "Flatten";
    case V1LayerParameter::HDF5_DATA: return "HDF5Data";
    case V1LayerParameter::HDF5_OUTPUT: return "HDF5Output";
    case V1LayerParameter::HINGE_LOSS: return "HingeLoss";
    case V1LayerParameter::IM2COL: return "Im2col";
    case V1LayerParameter::IMAGE_DATA: return "ImageData";
    case V1LayerParameter::INFOGAIN_LOSS: return "InfogainLoss";
    case V1LayerParameter::INNER_PRODUCT: return "InnerProduct";
    case V1LayerParameter::LRN: return "LRN";
    case V1LayerParameter::MEMORY_DATA: return "MemoryData";
    case V1LayerParameter::MULTINOMIAL_LOGISTIC_LOSS: return "MultinomialLogisticLoss";
    case V1LayerParameter::MVN: return "MVN";
    case V1LayerParameter::POOLING: return "Pooling";
    case V1LayerParameter::POWER: return "Power";
    case V1LayerParameter::RELU: return "ReLU";
    case V1LayerParameter::SIGMOID: return "Sigmoid";
    case V1LayerParameter::SIGMOID_CROSS_ENTROPY_LOSS: return "SigmoidCrossEntropyLoss";
    case V1LayerParameter::SILENCE: return "Silence";
    case V1LayerParameter::SOFTMAX: return "Softmax";
    case V1LayerParameter::SOFTMAX_LOSS: return "SoftmaxWithLoss";
    case V1LayerParameter::SPLIT: return "Split";
    case V1LayerParameter::SLICE: return "Slice";
    case V1LayerParameter::TANH: return "TanH";
    case V1LayerParameter::WINDOW_DATA: return "WindowData";
    case V1LayerParameter::THRESHOLD: return "Threshold";
    case V1LayerParameter::NONE: break;
  }
  return "NONE";
}

Result<Net> normalize_net(const ParsedPrototxt& parsed, const std::string& path) {
  const caffe::NetParameter& net = parsed.net;
  Net out;
  out.name = net.name();
  if (net.layer_size() > 0 && net.layers_size() > 0) {
    return bad_input("read Caffe net " + quote(path) + ": it mixes `layer` and legacy `layers` entries; use one form");
  }
  INGOT_ASSIGN_OR_RETURN(out.inputs, header_inputs(net, path));
  out.legacy_v1 = net.layers_size() > 0;
  std::vector<NetLayer> all;
  for (int i = 0; i < net.layer_size(); ++i) all.push_back({net.layer(i), parsed.layer_lines.at(i), i});
  for (int i = 0; i < net.layers_size(); ++i) all.push_back({upgrade_v1(net.layers(i)), parsed.layers_lines.at(i), i});
  for (NetLayer& l : all) {
    (in_test_phase(l.param) ? out.layers : out.dropped).push_back(std::move(l));
  }
  if (out.layers.empty()) return bad_input("read Caffe net " + quote(path) + ": it has no layers for the TEST phase");
  return out;
}

BlobsByLayer blobs_by_layer(const caffe::NetParameter& weights) {
  BlobsByLayer out;
  // A name seen twice (a train net repeating a layer per phase) keeps its first blobs, as
  // Caffe's CopyTrainedLayersFrom matches the first.
  auto add = [&](const std::string& name, const auto& blobs) {
    if (blobs.empty() || out.count(name)) return;
    auto& v = out[name];
    for (const auto& b : blobs) v.push_back(&b);
  };
  for (const auto& l : weights.layer()) add(l.name(), l.blobs());
  for (const auto& l : weights.layers()) add(l.name(), l.blobs());
  return out;
}

Result<Tensor> blob_to_tensor(const caffe::BlobProto& blob) {
  std::vector<std::int64_t> dims;
  if (blob.has_shape()) {
    dims.assign(blob.shape().dim().begin(), blob.shape().dim().end());
  } else {
    dims = {blob.num(), blob.channels(), blob.height(), blob.width()};
  }
  Shape shape(std::move(dims));
  INGOT_TRY_CTX(validate_shape(shape), "read blob");
  const std::int64_t count = shape.num_elements();
  const bool doubles = blob.data_size() == 0 && blob.double_data_size() > 0;
  const std::int64_t stored = doubles ? blob.double_data_size() : blob.data_size();
  if (stored != count) {
    return bad_input("read blob: its shape " + shape.to_string() + " holds " + std::to_string(count) +
                     " values, got " + std::to_string(stored));
  }
  std::vector<float> values(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    values[static_cast<std::size_t>(i)] = doubles ? static_cast<float>(blob.double_data(static_cast<int>(i)))
                                                  : blob.data(static_cast<int>(i));
  }
  return Tensor::from_floats(shape, values);
}

}  // namespace ingot::caffe_import
