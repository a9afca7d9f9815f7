// The DV700 network as DMP's dv-sdk runs it: a list of "FPGA layers", each either a command
// for the convolution engine (up to 32 runs of convolution + pooling executed in one pass,
// every run with its own weights) or a host layer (flatten, concatenation, softmax, custom).
//
// The rules here are those of DMP's own converter (DigitalMediaProfessionals/tool), read from
// its outputs in ../shared/dv700-reference and its public documentation, so that a network
// written by ingot is field for field the one the vendor tool writes:
//  - nodes: batch norm, scale and the activation that follow a convolution are folded into it;
//    a Dense layer is a 1x1 convolution over its flattened input; dims are (W, H, C);
//  - order: the vendor's depth-first walk back from the outputs (traverse_order);
//  - layers: a convolution opens a layer; a max pooling that directly follows it joins that
//    layer when neither needs more than one buffer tile; flattens of at most 8 channels (or
//    of 1x1 maps) and reshapes that keep the device layout join the layer before them; a
//    node with several readers ends its layer;
//  - memory: one I/O buffer; outputs are placed first, then, walking the layers backwards,
//    each layer's inputs at the lowest 16-byte aligned offset that no buffer alive at the same
//    time occupies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ingot/attr.h"
#include "ingot/op.h"
#include "ingot/tensor.h"
#include "ir/graph.h"

namespace ingot::dv700 {

// flatten: a reshape that changes the data order between the device's layout and the host's;
// reshape: one that does not (of a 1x1xC map or a flat tensor), which joins any layer.
enum class NodeKind {
  input,
  convolution,
  inner_product,
  pooling,
  upsampling,
  eltwise,
  concat,
  flatten,
  reshape,
  softmax,
  custom
};
// The vendor's type names: "Convolution", "Pooling", ...
const char* node_kind_name(NodeKind kind);

// A batch norm and/or scale folded into a convolution, with the parameters as the model stores
// them (the fold itself is the weight packer's: its arithmetic must be the vendor's).
struct Normalization {
  std::string name;
  std::vector<float> mean, variance, gamma, beta;  // batch norm; empty when absent
  double epsilon = 0.0;
};

struct Node {
  std::string name;
  NodeKind kind = NodeKind::input;
  std::vector<int> inputs, outputs;           // node indices
  std::vector<std::int64_t> in_dim, out_dim;  // (W, H, C), or (N) for flat tensors
  std::int64_t output_size = 0;               // bytes of the output (fp16, fp32 for custom layers)

  // convolution and inner product
  std::int64_t kx = 1, ky = 1, groups = 1;
  std::int64_t stride_x = 1, stride_y = 1, dilation_x = 1, dilation_y = 1;
  std::int64_t pad_l = 0, pad_r = 0, pad_t = 0, pad_b = 0;  // also pooling
  Tensor weights;           // f32 [m][c / groups][ky][kx] (shared with the graph, not copied)
  std::vector<float> bias;  // [m], zeros when the layer has none
  std::optional<Normalization> norm;
  std::vector<std::string> folded;  // names of the layers folded in, in order (comments)
  int actfunc = -1;                 // -1: none; else the device code (vendor numbering)
  double act_param = 0.0;           // leaky ReLU slope
  std::vector<float> prelu;         // PReLU slopes per output channel
  std::string act_name;

  // pooling
  bool max_pool = true, global = false;
  // upsampling: the factor is (kx, ky)
  std::int64_t softmax_axis = -1;
  std::int64_t concat_axis = -1;
  // custom layers: the op and its parameters
  std::string custom_op;
  AttrMap custom_params;
  bool fp16_output = false;          // a custom layer read by other than custom layers writes fp16
  bool device_reads_output = false;  // ... and in the device's WHC8 layout when the device reads it
};

struct Run {
  int conv = -1;  // node index, or -1
  int pool = -1;
};

enum class LayerType {
  input,
  convolution,
  flatten,
  concatenate,
  copy_concatenate,
  softmax,
  custom
};
const char* layer_type_name(LayerType type);  // "Convolution", "SoftMax", ...
const char* layer_type_code(LayerType type);  // "LT_CONV", "LT_SOFTMAX", ...

struct Layer {
  LayerType type = LayerType::input;
  std::vector<int> nodes;  // in traverse order
  std::vector<Run> runs;
  int node_in = -1, node_out = -1;
  std::uint32_t topo = 0;
  std::int64_t tiles = 1;
  std::int64_t output_offset = 0;
  std::vector<int> layer_in;  // indices into Network::layers; -1 for the network's input
  std::vector<std::int64_t> input_offsets;  // where each of layer_in's outputs is
  bool input_from_conv = false;             // its first input comes from the convolution engine
  bool is_output = false;
  int concat_node = -1;
};

struct Network {
  std::vector<Node> nodes;
  std::vector<int> traverse;       // node indices in the vendor's order
  std::vector<Layer> layers;       // the Input layers removed
  std::int64_t weight_size = 0;    // bytes of the weights file
  std::int64_t buffer_size = 0;    // bytes of the I/O buffer
  std::vector<int> output_layers;  // indices into layers, in the order the runtime lists them
  bool nchw = false;               // the source graph's images are NCHW (Caffe)
  std::vector<std::string> notes;  // what the user must know: reordered weights, callbacks to write
};

struct NetworkOptions {
  bool codebook8 = false;  // 8-bit codebook weights (weight_fmt 3) instead of fp16
  // Reproduce the vendor converter exactly, where it differs from what the device computes:
  // it feeds a Dense after a Flatten of a map of at most 8 channels (a flatten the device
  // skips, so the Dense reads the map in the device's WHC8 order) with the weights in Keras'
  // HWC order. ingot reorders those weights to WHC8 unless this is set.
  bool vendor_compat = false;
};

// Lowers a graph (shapes inferred) into the DV700 network. Fails naming the layer for what the
// dv-sdk cannot express (an op it has no form for, a standalone activation, ...).
Result<Network> build_network(const ir::Graph& graph, const OpRegistry& registry,
                              const NetworkOptions& options);

// The unified buffer tiles a convolution (or pooling) needs (vendor's rule, 640 KB of fp16).
std::int64_t conv_tiles(const Node& conv);
std::int64_t pool_tiles(const Node& pool);

// Bytes of a convolution run's weights (bias, PReLU slopes, lookup table and kernels, padded).
std::int64_t conv_weight_size(const Node& conv, bool codebook8);

}  // namespace ingot::dv700
