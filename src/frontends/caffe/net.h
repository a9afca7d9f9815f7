// A Caffe network as ingot imports it: legacy V1 layers upgraded to the current form, legacy
// input headers turned into inputs, and only the layers of the TEST phase kept (a deploy net).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "caffe/caffe.pb.h"
#include "frontends/caffe/proto_io.h"
#include "ingot/tensor.h"

namespace ingot::caffe_import {

struct NetInput {
  std::string name;
  Shape shape;
};

struct NetLayer {
  caffe::LayerParameter param;  // V1 layers arrive here upgraded
  int line = 0;                 // where the layer starts in the prototxt (1-based)
  int index = 0;                // its position among the file's `layer` (or `layers`) entries
};

struct Net {
  std::string name;
  bool legacy_v1 = false;
  std::vector<NetInput> inputs;     // from the net-level input / input_shape / input_dim fields
  std::vector<NetLayer> layers;     // in file order, TEST phase only
  std::vector<NetLayer> dropped;    // excluded by include/exclude rules for the TEST phase
};

// `path` is for messages only.
Result<Net> normalize_net(const ParsedPrototxt& parsed, const std::string& path);

// The V2 type name of a legacy V1 layer type ("CONVOLUTION" -> "Convolution").
std::string v1_type_name(caffe::V1LayerParameter::LayerType type);

// Trained blobs by layer name, from either layer form of a .caffemodel.
using BlobsByLayer = std::map<std::string, std::vector<const caffe::BlobProto*>>;
BlobsByLayer blobs_by_layer(const caffe::NetParameter& weights);

// A blob as an f32 tensor: its shape (or legacy num/channels/height/width) and data (float or
// double), checked against each other.
Result<Tensor> blob_to_tensor(const caffe::BlobProto& blob);

}  // namespace ingot::caffe_import
