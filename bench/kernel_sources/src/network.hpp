// The conv + dense layers of the three benchmark networks, with the glue between them (pooling,
// residual adds) kept only so that a chained forward pass can check end-to-end agreement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ks {

enum class LayerKind { kConv, kDepthwise, kDense };
enum class Activation { kNone, kRelu, kRelu6 };

struct Padding {
  int top = 0, left = 0, bottom = 0, right = 0;
};

// One timed layer, NHWC, batch 1. Bias is always present: BatchNorm is folded into it.
struct Layer {
  std::string name;
  LayerKind kind = LayerKind::kConv;
  int in_h = 1, in_w = 1, in_c = 1;
  int out_c = 1;
  int kernel = 1, stride = 1;
  Padding pad;
  Activation act = Activation::kNone;

  int out_h() const { return (in_h + pad.top + pad.bottom - kernel) / stride + 1; }
  int out_w() const { return (in_w + pad.left + pad.right - kernel) / stride + 1; }
  size_t input_size() const { return size_t(in_h) * in_w * in_c; }
  size_t output_size() const { return size_t(out_h()) * out_w() * out_c; }
  // Input values feeding one output value.
  int fan_in() const { return kernel * kernel * (kind == LayerKind::kDepthwise ? 1 : in_c); }
  // Canonical layouts: conv OHWI [out_c][k][k][in_c], depthwise [k][k][c], dense [out_c][in_c].
  size_t weight_count() const { return size_t(fan_in()) * out_c; }
  uint64_t macs() const { return uint64_t(output_size()) * fan_in(); }
};

// Graph node for the chained check: a timed layer or an untimed glue op.
enum class NodeOp { kInput, kLayer, kMaxPool3x3s2Pad1, kGlobalAvgPool, kAddRelu };

struct Node {
  NodeOp op = NodeOp::kInput;
  int layer = -1;            // index into Network::layers for kLayer
  int inputs[2] = {-1, -1};  // producing node indices
  int h = 1, w = 1, c = 1;   // output shape
};

struct Network {
  std::string name;
  std::vector<Layer> layers;
  std::vector<Node> nodes;  // topological order, node 0 is the input
  std::vector<int> outputs;
  uint64_t expected_macs = 0;  // as printed by gen_models.py; guards against a drifted layer list

  uint64_t macs() const;
};

const std::vector<std::string>& network_names();
// Returns false if the name is unknown.
bool make_network(const std::string& name, Network& out);

}  // namespace ks
