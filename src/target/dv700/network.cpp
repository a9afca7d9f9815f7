#include "target/dv700/network.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "ir/passes.h"
#include "ops/params.h"
#include "ops/reduce.h"
#include "plan/plan_graph.h"

namespace ingot::dv700 {

// Indexed by the enums' values, in their order: the vendor's type names.
const char* node_kind_name(NodeKind kind) {
  static constexpr const char* kNames[] = {"Input",   "Convolution", "InnerProduct", "Pooling",
                                           "UpSampling", "Eltwise", "Concat",       "Flatten",
                                           "Reshape", "SoftMax",     "Custom"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(NodeKind::custom) + 1);
  return kNames[static_cast<std::size_t>(kind)];
}

namespace {
struct LayerTypeNames {
  const char* name;  // the layer table's
  const char* code;  // dmp_network.h's layer_type
};
constexpr LayerTypeNames kLayerTypes[] = {
    {"Input", "LT_INPUT"},       {"Convolution", "LT_CONV"},
    {"Flatten", "LT_FLATTEN"},   {"Concatenate", "LT_CONCAT"},
    {"CopyConcatenate", "LT_COPY_CONCAT"}, {"SoftMax", "LT_SOFTMAX"},
    {"Custom", "LT_CUSTOM"}};
static_assert(std::size(kLayerTypes) == static_cast<std::size_t>(LayerType::custom) + 1);
}  // namespace

const char* layer_type_name(LayerType type) { return kLayerTypes[static_cast<std::size_t>(type)].name; }
const char* layer_type_code(LayerType type) { return kLayerTypes[static_cast<std::size_t>(type)].code; }

namespace {

constexpr std::int64_t kUnifiedBufferBytes = 640 * 1024;
constexpr std::int64_t kMemAlign = 16;
constexpr std::size_t kMaxRuns = 32;

std::int64_t divup(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
std::int64_t align16(std::int64_t n) { return (n + kMemAlign - 1) / kMemAlign * kMemAlign; }

std::int64_t product(const std::vector<std::int64_t>& dims) {
  std::int64_t n = 1;
  for (std::int64_t d : dims) n *= d;
  return n;
}

// Output width of a convolution window sweep, rounded down.
std::int64_t out_width(std::int64_t w, std::int64_t k, std::int64_t pad_a, std::int64_t pad_b,
                       std::int64_t stride, std::int64_t dilation) {
  const std::int64_t span = (k - 1) * dilation + 1;
  return (pad_a + w + pad_b - span) / stride + 1;
}

// -- lowering ir::Graph -> Node list

class Lowering {
 public:
  Lowering(const ir::Graph& graph, const OpRegistry& registry)
      : graph_(graph), registry_(registry), cache_(graph) {
    for (const auto& n : graph.nodes) {
      for (const auto& in : n.inputs) ++readers_[in];
      if ((n.op == "Conv2D" || n.op == "MaxPool2D" || n.op == "AvgPool2D" || n.op == "Resize") &&
          layout_attr(n) == "NCHW") {
        nchw_ = true;
      }
    }
    for (const auto& out : graph.outputs) ++readers_[out];
  }

  Result<Network> run() {
    for (const auto& node : graph_.nodes)
      INGOT_TRY_CTX(lower(node), "layer " + quote(node.name) + " (" + node.op + ")");
    Network net;
    net.nodes = std::move(nodes_);
    for (std::size_t i = 0; i < net.nodes.size(); ++i) {
      for (int in : net.nodes[i].inputs)
        net.nodes[static_cast<std::size_t>(in)].outputs.push_back(static_cast<int>(i));
    }
    for (const auto& out : graph_.outputs) {
      const auto it = value_node_.find(out);
      if (it == value_node_.end())
        return internal_error("graph output " + quote(out) + " has no DV700 node");
      outputs_.push_back(it->second);
    }
    output_nodes = outputs_;
    net.nchw = nchw_;
    // A custom layer writes what its readers read: fp16 in WHC8 for the device, fp16 in HWC for
    // the dv-sdk's flatten and softmax; fp32 only for other custom layers and the caller.
    for (Node& n : net.nodes) {
      if (n.kind != NodeKind::custom) continue;
      for (int r : n.outputs) {
        const NodeKind k = net.nodes[static_cast<std::size_t>(r)].kind;
        if (k != NodeKind::custom) n.fp16_output = true;
        const bool flat_concat = k == NodeKind::concat && net.nodes[static_cast<std::size_t>(r)].out_dim.size() != 3;
        if (k != NodeKind::custom && k != NodeKind::softmax && k != NodeKind::flatten && k != NodeKind::reshape && !flat_concat) {
          n.device_reads_output = true;
        }
      }
      if (n.fp16_output) n.output_size = 2 * product(n.out_dim);
    }
    return net;
  }

  std::vector<int> output_nodes;

 private:
  static std::string layout_attr(const ir::Node& n) {
    const auto it = n.attrs.find("layout");
    if (it == n.attrs.end()) return "NHWC";
    const auto* s = std::get_if<std::string>(&it->second);
    return s ? *s : "NHWC";
  }

  // (W, H, C) for an image, the dims after the batch otherwise.
  std::vector<std::int64_t> dims_of(const std::string& value) const {
    const ir::Value* v = graph_.find_value(value);
    const auto dims = v->info.shape.dims();
    if (dims.size() == 4) {
      if (nchw_) return {dims[3], dims[2], dims[1]};
      return {dims[2], dims[1], dims[3]};
    }
    return std::vector<std::int64_t>(dims.begin() + (dims.empty() ? 0 : 1), dims.end());
  }

  Result<int> producer(const std::string& value) const {
    const auto it = value_node_.find(value);
    if (it == value_node_.end())
      return unsupported("its input " + quote(value) +
                         " comes from a layer the DV700 does not run");
    return it->second;
  }

  // Appends a node computing `value` from `input` (the ir value it reads first).
  int add(Node node, const std::string& value, const std::string& input = {}) {
    node.output_size = 2 * product(node.out_dim);
    if (node.kind == NodeKind::custom) node.output_size *= 2;  // custom layers write fp32
    nodes_.push_back(std::move(node));
    const int index = static_cast<int>(nodes_.size()) - 1;
    value_node_[value] = index;
    node_input_value_[index] = input;
    return index;
  }

  template <class P>
  Result<P> params(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const ir::BoundNode b, ir::bind_node(node, registry_, cache_));
    return *static_cast<const P*>(b.params.get());
  }

  static bool conv_like(const Node& n) {
    return n.kind == NodeKind::convolution || n.kind == NodeKind::inner_product;
  }

  // The convolution a batch norm, scale or activation folds into: the one whose output it is
  // the only reader of. An activation that only grows (every one the device has but PReLU)
  // commutes with max pooling, so it also folds through a max pooling into the convolution
  // before it (Caffe writes conv -> pool -> relu). nullptr when there is none.
  Node* fold_target(const ir::Node& node, bool monotonic_activation) {
    const auto it = value_node_.find(node.inputs[0]);
    if (it == value_node_.end() || readers_[node.inputs[0]] != 1) return nullptr;
    Node& n = nodes_[static_cast<std::size_t>(it->second)];
    if (conv_like(n)) return &n;
    if (!monotonic_activation || n.kind != NodeKind::pooling || !n.max_pool || n.global)
      return nullptr;
    const std::string& pooled = node_input_value_.at(it->second);
    Node& conv = nodes_[static_cast<std::size_t>(n.inputs[0])];
    if (!conv_like(conv) || readers_[pooled] != 1) return nullptr;
    return &conv;
  }

  // A node the device computes as a 1x1 depthwise convolution with unit weights, for a batch
  // norm, scale or activation that follows no convolution (the vendor does this for batch norm).
  Result<Node*> identity_conv(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const int in, producer(node.inputs[0]));
    const auto dims = nodes_[static_cast<std::size_t>(in)].out_dim;
    if (dims.size() != 3)
      return unsupported(
          "a per-channel operation on a flat tensor, which the DV700 convolves only as an image");
    Node n{.name = node.name, .kind = NodeKind::convolution};
    n.inputs = {in};
    n.in_dim = n.out_dim = dims;
    n.groups = dims[2];
    INGOT_ASSIGN_OR_RETURN(n.weights, Tensor::allocate(DType::f32, Shape{dims[2], 1, 1, 1}));
    for (float& w : n.weights.mutable_data<float>()) w = 1.0f;
    n.bias.assign(static_cast<std::size_t>(dims[2]), 0.0f);
    add(std::move(n), node.outputs[0], node.inputs[0]);
    return &nodes_.back();
  }

  Status lower(const ir::Node& node) {
    const std::string& op = node.op;
    if (op == "Input") {
      Node n{.name = node.name, .kind = NodeKind::input};
      n.in_dim = n.out_dim = dims_of(node.outputs[0]);
      add(std::move(n), node.outputs[0], node.inputs.empty() ? std::string() : node.inputs[0]);
      return {};
    }
    if (op == "Conv2D") return lower_conv(node);
    if (op == "Dense") return lower_dense(node);
    if (op == "BatchNorm") return lower_batch_norm(node);
    if (op == "Scale") return lower_scale(node);
    if (op == "ReLU" || op == "Sigmoid" || op == "Tanh" || op == "Elu" || op == "PReLU")
      return lower_activation(node);
    if (op == "MaxPool2D" || op == "AvgPool2D") return lower_pool(node);
    if (op == "ReduceMean") return lower_global_pool(node);
    if (op == "Resize") return lower_resize(node);
    if (op == "Add") return lower_simple(node, NodeKind::eltwise, 2);
    if (op == "Concat") return lower_concat(node);
    if (op == "Reshape") return lower_reshape(node);
    if (op == "Softmax") return lower_softmax(node);
    if (op == "Pad") return lower_pad(node);
    // Everything else the host computes through a callback the user provides, with the layer's
    // parameters in a typed struct, as the dv-sdk runs custom layers.
    return lower_custom(node);
  }

  Status lower_conv(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const ops::Conv2DParams p, params<ops::Conv2DParams>(node));
    if (p.weights_scale)
      return unsupported(
          "weights with a per-channel scale (a compiled file): convert the uncompiled model");
    Node n{.name = node.name, .kind = NodeKind::convolution};
    std::string input = node.inputs[0];
    std::array<std::int64_t, 4> extra{0, 0, 0, 0};  // top, left, bottom, right from a folded Pad
    if (const auto it = pending_pads_.find(input); it != pending_pads_.end()) {
      extra = it->second.pads;
      n.folded.push_back(it->second.name);
      input = it->second.input;
    }
    INGOT_ASSIGN_OR_RETURN(const int in, producer(input));
    n.inputs = {in};
    n.in_dim = dims_of(input);
    n.out_dim = dims_of(node.outputs[0]);
    const Shape& ws = p.weights.shape();
    n.ky = ws[2];
    n.kx = ws[3];
    n.groups = p.groups;
    n.stride_y = p.strides[0];
    n.stride_x = p.strides[1];
    n.dilation_y = p.dilations[0];
    n.dilation_x = p.dilations[1];
    n.pad_t = p.pads[0] + extra[0];
    n.pad_l = p.pads[1] + extra[1];
    n.pad_b = p.pads[2] + extra[2];
    n.pad_r = p.pads[3] + extra[3];
    n.weights = p.weights;
    n.bias.assign(static_cast<std::size_t>(ws[0]), 0.0f);
    if (p.bias)
      std::copy(p.bias->data<float>().begin(), p.bias->data<float>().end(), n.bias.begin());
    // Keras' SeparableConv2D arrives as "X/depthwise" then "X": the vendor calls them X, X_point.
    const std::string suffix = "/depthwise";
    if (n.name.size() > suffix.size() && n.name.ends_with(suffix)) {
      n.name.resize(n.name.size() - suffix.size());
    } else if (graph_.find_node(node.name + suffix) != nullptr &&
               node.inputs[0] == node.name + suffix) {
      n.name += "_point";
    }
    add(std::move(n), node.outputs[0], node.inputs.empty() ? std::string() : node.inputs[0]);
    return {};
  }

  Status lower_dense(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const ops::DenseParams p, params<ops::DenseParams>(node));
    if (p.weights_scale)
      return unsupported(
          "weights with a per-channel scale (a compiled file): convert the uncompiled model");
    INGOT_ASSIGN_OR_RETURN(const int in, producer(node.inputs[0]));
    const Shape& ws = p.weights.shape();
    Node n{.name = node.name, .kind = NodeKind::inner_product};
    n.inputs = {in};
    n.in_dim = {1, 1, ws[1]};
    n.out_dim = {1, 1, ws[0]};
    n.weights = p.weights;
    n.bias.assign(static_cast<std::size_t>(ws[0]), 0.0f);
    if (p.bias)
      std::copy(p.bias->data<float>().begin(), p.bias->data<float>().end(), n.bias.begin());
    add(std::move(n), node.outputs[0], node.inputs.empty() ? std::string() : node.inputs[0]);
    return {};
  }

  // The convolution a batch norm or scale folds into (its output now computed by it), if there
  // is one that can still take it; else a new 1x1 depthwise identity convolution.
  template <class CanTake>
  Result<Node*> fold_or_identity(const ir::Node& node, CanTake can_take) {
    Node* conv = fold_target(node, false);
    if (conv == nullptr || !can_take(*conv)) return identity_conv(node);
    conv->folded.push_back(node.name);
    value_node_[node.outputs[0]] = value_node_[node.inputs[0]];
    return conv;
  }

  Status lower_batch_norm(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(Node* conv, fold_or_identity(node, [](const Node& c) { return !c.norm && c.actfunc < 0; }));
    INGOT_ASSIGN_OR_RETURN(const ops::BatchNormParams p, params<ops::BatchNormParams>(node));
    const std::size_t m = conv->bias.size();
    Normalization norm{.name = node.name};
    const auto take = [m](const Tensor& t, std::vector<float>& to) {
      const auto d = t.data<float>();
      to.assign(d.begin(), d.end());
      return to.size() == m;
    };
    bool ok = take(p.mean, norm.mean) && take(p.variance, norm.variance);
    if (p.scale) ok = ok && take(*p.scale, norm.gamma);
    if (p.offset) ok = ok && take(*p.offset, norm.beta);
    if (!ok) return unsupported("batch norm parameters that are not one value per output channel");
    norm.epsilon = p.epsilon;
    conv->norm = std::move(norm);
    return {};
  }

  Status lower_scale(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(Node* conv, fold_or_identity(node, [](const Node& c) {
                             return c.actfunc < 0 && (!c.norm || c.norm->gamma.empty());
                           }));
    INGOT_ASSIGN_OR_RETURN(const ops::ScaleParams p, params<ops::ScaleParams>(node));
    const std::size_t m = conv->bias.size();
    if (static_cast<std::size_t>(p.scale.num_elements()) != m)
      return unsupported("a scale that is not one value per output channel");
    Normalization norm = conv->norm.value_or(Normalization{.name = node.name});
    const auto s = p.scale.data<float>();
    norm.gamma.assign(s.begin(), s.end());
    if (p.bias) {
      const auto b = p.bias->data<float>();
      norm.beta.assign(b.begin(), b.end());
    }
    conv->norm = std::move(norm);
    return {};
  }

  // The device's activation code and leaky slope for an activation node; nullopt for one the
  // device has no form for (a thresholded or clipped ReLU other than ReLU6, an ELU with
  // alpha != 1), which the host then runs.
  struct Activation {
    int code = 0;
    double slope = 0.0;
  };
  Result<std::optional<Activation>> device_activation(const ir::Node& node) {
    const std::string& op = node.op;
    if (op == "ReLU") {
      INGOT_ASSIGN_OR_RETURN(const ops::ReLUParams p, params<ops::ReLUParams>(node));
      if (p.threshold != 0.0) return std::optional<Activation>{};
      if (p.max_value && !(*p.max_value == 6.0 && p.negative_slope == 0.0)) return std::optional<Activation>{};
      // The device's leaky ReLU with slope 0 is ReLU.
      return std::optional<Activation>{Activation{p.max_value ? 6 : 2, p.negative_slope}};
    }
    if (op == "Tanh") return std::optional<Activation>{Activation{1}};
    if (op == "Sigmoid") return std::optional<Activation>{Activation{3}};
    if (op == "Elu") {
      const auto it = node.attrs.find("alpha");
      if (it != node.attrs.end() && std::get<double>(it->second) != 1.0) return std::optional<Activation>{};
      return std::optional<Activation>{Activation{5}};
    }
    return std::optional<Activation>{Activation{4}};  // PReLU
  }

  Status lower_activation(const ir::Node& node) {
    const std::string& op = node.op;
    INGOT_ASSIGN_OR_RETURN(const auto act, device_activation(node));
    if (!act) return lower_custom(node);
    Node* conv = fold_target(node, op != "PReLU");
    const bool folded = conv != nullptr && conv->actfunc < 0;
    if (!folded) {
      INGOT_ASSIGN_OR_RETURN(conv, identity_conv(node));
    }
    conv->actfunc = act->code;
    conv->act_param = act->slope;
    if (op == "PReLU") {
      const auto it = node.attrs.find("alpha");
      const auto* ref = it == node.attrs.end() ? nullptr : std::get_if<TensorRef>(&it->second);
      const Tensor* alpha = ref ? cache_.find(ref->name) : nullptr;
      if (alpha == nullptr ||
          static_cast<std::size_t>(alpha->num_elements()) != conv->bias.size()) {
        return unsupported("a PReLU whose slopes are not one per output channel");
      }
      conv->prelu.assign(alpha->data<float>().begin(), alpha->data<float>().end());
    }
    conv->act_name = node.name;
    if (folded) {
      conv->folded.push_back(node.name);
      value_node_[node.outputs[0]] = value_node_[node.inputs[0]];
    }
    return {};
  }

  template <class P>
  void pool_geometry(Node& n, const P& p) {
    n.ky = p.kernel[0];
    n.kx = p.kernel[1];
    n.stride_y = p.strides[0];
    n.stride_x = p.strides[1];
    n.pad_t = p.pads[0];
    n.pad_l = p.pads[1];
    n.pad_b = p.pads[2];
    n.pad_r = p.pads[3];
  }

  Status lower_pool(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const int in, producer(node.inputs[0]));
    Node n{.name = node.name, .kind = NodeKind::pooling};
    n.inputs = {in};
    n.in_dim = dims_of(node.inputs[0]);
    n.out_dim = dims_of(node.outputs[0]);
    if (node.op == "MaxPool2D") {
      INGOT_ASSIGN_OR_RETURN(const ops::MaxPool2DParams p, params<ops::MaxPool2DParams>(node));
      pool_geometry(n, p);
    } else {
      INGOT_ASSIGN_OR_RETURN(const ops::AvgPool2DParams p, params<ops::AvgPool2DParams>(node));
      pool_geometry(n, p);
      n.max_pool = false;
    }
    // Caffe's ceil mode: the device rounds down, so pad the far edges until it gives the size.
    while (out_width(n.in_dim[0], n.kx, n.pad_l, n.pad_r, n.stride_x, 1) < n.out_dim[0]) ++n.pad_r;
    while (out_width(n.in_dim[1], n.ky, n.pad_t, n.pad_b, n.stride_y, 1) < n.out_dim[1]) ++n.pad_b;
    add(std::move(n), node.outputs[0], node.inputs.empty() ? std::string() : node.inputs[0]);
    return {};
  }

  Status lower_global_pool(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const ops::ReduceParams p, params<ops::ReduceParams>(node));
    std::vector<std::int64_t> axes = p.axes;
    std::sort(axes.begin(), axes.end());
    const std::vector<std::int64_t> spatial =
        nchw_ ? std::vector<std::int64_t>{2, 3} : std::vector<std::int64_t>{1, 2};
    if (graph_.find_value(node.inputs[0])->info.shape.rank() != 4 || axes != spatial) {
      return unsupported("a mean other than over the spatial axes (global average pooling)");
    }
    INGOT_ASSIGN_OR_RETURN(const int in, producer(node.inputs[0]));
    Node n{.name = node.name, .kind = NodeKind::pooling};
    n.inputs = {in};
    n.in_dim = dims_of(node.inputs[0]);
    n.out_dim = {1, 1, n.in_dim[2]};
    n.kx = n.in_dim[0];
    n.ky = n.in_dim[1];
    n.max_pool = false;
    n.global = true;
    add(std::move(n), node.outputs[0], node.inputs.empty() ? std::string() : node.inputs[0]);
    return {};
  }

  Status lower_resize(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const ops::ResizeParams p, params<ops::ResizeParams>(node));
    // The device upsamples by copying, by an integer factor only.
    if (p.mode != "nearest" || !p.scales) return lower_custom(node);
    INGOT_ASSIGN_OR_RETURN(const int in, producer(node.inputs[0]));
    Node n{.name = node.name, .kind = NodeKind::upsampling};
    n.inputs = {in};
    n.in_dim = dims_of(node.inputs[0]);
    n.out_dim = dims_of(node.outputs[0]);
    n.ky = (*p.scales)[0];
    n.kx = (*p.scales)[1];
    add(std::move(n), node.outputs[0], node.inputs.empty() ? std::string() : node.inputs[0]);
    return {};
  }

  Status lower_simple(const ir::Node& node, NodeKind kind, std::size_t inputs) {
    if (node.inputs.size() != inputs)
      return unsupported("an element-wise sum of other than two inputs");
    Node n{.name = node.name, .kind = kind};
    for (const auto& v : node.inputs) {
      INGOT_ASSIGN_OR_RETURN(const int in, producer(v));
      n.inputs.push_back(in);
    }
    n.in_dim = nodes_[static_cast<std::size_t>(n.inputs[0])].out_dim;
    n.out_dim = dims_of(node.outputs[0]);
    if (kind == NodeKind::eltwise && n.out_dim.size() != 3)
      return unsupported("an element-wise sum of flat tensors");
    add(std::move(n), node.outputs[0], node.inputs.empty() ? std::string() : node.inputs[0]);
    return {};
  }

  Status lower_reshape(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const int in, producer(node.inputs[0]));
    const auto& from = nodes_[static_cast<std::size_t>(in)].out_dim;
    const bool layout_free = from.size() != 3 || (from[0] == 1 && from[1] == 1);
    return lower_simple(node, layout_free ? NodeKind::reshape : NodeKind::flatten, 1);
  }

  Status lower_concat(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const ops::ConcatParams p, params<ops::ConcatParams>(node));
    const std::size_t rank = graph_.find_value(node.outputs[0])->info.shape.rank();
    const std::int64_t axis = p.axis < 0 ? p.axis + static_cast<std::int64_t>(rank) : p.axis;
    const std::int64_t channel_axis =
        rank == 4 ? (nchw_ ? 1 : 3) : static_cast<std::int64_t>(rank) - 1;
    if (axis != channel_axis)
      return unsupported("a concatenation along other than the channel axis");
    Node n{.name = node.name, .kind = NodeKind::concat};
    for (const auto& v : node.inputs) {
      INGOT_ASSIGN_OR_RETURN(const int in, producer(v));
      n.inputs.push_back(in);
    }
    n.in_dim = nodes_[static_cast<std::size_t>(n.inputs[0])].out_dim;
    n.out_dim = dims_of(node.outputs[0]);
    n.concat_axis = static_cast<std::int64_t>(n.out_dim.size()) - 1;
    add(std::move(n), node.outputs[0], node.inputs.empty() ? std::string() : node.inputs[0]);
    return {};
  }

  Status lower_softmax(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const ops::SoftmaxParams p, params<ops::SoftmaxParams>(node));
    const std::size_t rank = graph_.find_value(node.inputs[0])->info.shape.rank();
    const std::int64_t axis = p.axis < 0 ? p.axis + static_cast<std::int64_t>(rank) : p.axis;
    INGOT_ASSIGN_OR_RETURN(const int in, producer(node.inputs[0]));
    Node& prev = nodes_[static_cast<std::size_t>(in)];
    // The vendor's reader turns a reshape followed by softmax into one softmax layer that keeps
    // the reshape's name and dims.
    if ((prev.kind == NodeKind::flatten || prev.kind == NodeKind::reshape) &&
        readers_[node.inputs[0]] == 1 && axis + 1 == static_cast<std::int64_t>(rank)) {
      prev.kind = NodeKind::softmax;
      prev.softmax_axis = static_cast<std::int64_t>(prev.in_dim.size()) - 1;
      value_node_[node.outputs[0]] = in;
      return {};
    }
    Node n{.name = node.name, .kind = NodeKind::softmax};
    n.inputs = {in};
    n.in_dim = prev.out_dim;
    n.out_dim = prev.out_dim;
    if (rank == 4) {
      const std::int64_t whc[4] = {-1, 1, 0, 2};  // NHWC axis -> (W, H, C) position
      const std::int64_t whc_nchw[4] = {-1, 2, 1, 0};
      n.softmax_axis = (nchw_ ? whc_nchw : whc)[axis];
    } else if (axis + 1 == static_cast<std::int64_t>(rank)) {
      n.softmax_axis = static_cast<std::int64_t>(n.in_dim.size()) - 1;
    } else {
      n.softmax_axis = axis - 1;
    }
    if (n.softmax_axis < 0) return unsupported("a softmax over the batch axis");
    add(std::move(n), node.outputs[0], node.inputs.empty() ? std::string() : node.inputs[0]);
    return {};
  }

  Status lower_pad(const ir::Node& node) {
    INGOT_ASSIGN_OR_RETURN(const ops::PadParams p, params<ops::PadParams>(node));
    const auto pads = plan::spatial_pads(p.pads, nchw_ ? "NCHW" : "NHWC");
    // Only a convolution pads on the device; any other pad the host does.
    bool conv_reads = false;
    for (const auto& n : graph_.nodes) {
      conv_reads = conv_reads || (n.op == "Conv2D" && n.inputs[0] == node.outputs[0]);
    }
    if (!pads || p.value != 0.0f || readers_[node.outputs[0]] != 1 || !conv_reads) return lower_custom(node);
    pending_pads_[node.outputs[0]] = PendingPad{node.name, node.inputs[0], *pads};
    return {};
  }

  Status lower_custom(const ir::Node& node) {
    if (node.inputs.empty()) return unsupported("a host layer without inputs");
    Node n{.name = node.name, .kind = NodeKind::custom};
    for (const auto& v : node.inputs) {
      INGOT_ASSIGN_OR_RETURN(const int in, producer(v));
      n.inputs.push_back(in);
    }
    n.in_dim = nodes_[static_cast<std::size_t>(n.inputs[0])].out_dim;
    n.out_dim = dims_of(node.outputs[0]);
    n.custom_op = node.op;
    const OpDef* def = registry_.find(node.op);
    if (def->schema.open_params) {
      for (const auto& [key, value] : node.attrs) {
        if (!std::holds_alternative<TensorRef>(value)) n.custom_params[key] = value;
      }
    }
    for (const ParamSpec& spec : def->schema.params) {
      const auto it = node.attrs.find(spec.name);
      if (it != node.attrs.end()) {
        if (const auto* ref = std::get_if<TensorRef>(&it->second)) {
          // A small parameter tensor (Normalize's per-channel scale, say) goes into the struct
          // as a float list; a layer's weights do not fit a host layer's parameters.
          const Tensor* t = cache_.find(ref->name);
          if (spec.layer_weights || t == nullptr || t->dtype() != DType::f32 || t->num_elements() > kMaxHostTensor) {
            return unsupported("the device has no " + node.op + ", and its tensor " + quote(spec.name) +
                               " is more than a dv-sdk host layer's parameters hold (at most " +
                               std::to_string(kMaxHostTensor) + " floats; no layer weights): the DV700 network cannot hold this layer");
          }
          const auto values = t->data<float>();
          n.custom_params[spec.name] = std::vector<double>(values.begin(), values.end());
          continue;
        }
        n.custom_params[spec.name] = it->second;
      } else if (spec.default_value) {
        n.custom_params[spec.name] = *spec.default_value;
      }
    }
    if (node.outputs.size() != 1) return unsupported("a custom layer with several outputs");
    add(std::move(n), node.outputs[0], node.inputs.empty() ? std::string() : node.inputs[0]);
    return {};
  }

  static constexpr std::int64_t kMaxHostTensor = 4096;

  struct PendingPad {
    std::string name, input;
    std::array<std::int64_t, 4> pads;
  };

  const ir::Graph& graph_;
  const OpRegistry& registry_;
  ir::ConstantCache cache_;
  bool nchw_ = false;
  std::vector<Node> nodes_;
  std::map<std::string, int> value_node_;
  std::map<std::string, int> readers_;
  std::map<std::string, PendingPad> pending_pads_;
  std::map<int, std::string> node_input_value_;
  std::vector<int> outputs_;
};

// -- the vendor's order: depth first back from the outputs; a node is taken once all its
// readers are.
std::vector<int> traverse_order(const std::vector<Node>& nodes, const std::vector<int>& outputs) {
  std::vector<int> pending(outputs.rbegin(), outputs.rend());
  std::vector<int> order;
  std::vector<bool> taken(nodes.size(), false);
  while (!pending.empty()) {
    const int n = pending.back();
    pending.pop_back();
    if (taken[static_cast<std::size_t>(n)]) continue;
    order.push_back(n);
    taken[static_cast<std::size_t>(n)] = true;
    for (int in : nodes[static_cast<std::size_t>(n)].inputs) {
      const auto& readers = nodes[static_cast<std::size_t>(in)].outputs;
      if (std::all_of(readers.begin(), readers.end(),
                      [&](int r) { return taken[static_cast<std::size_t>(r)]; })) {
        pending.push_back(in);
      }
    }
  }
  std::reverse(order.begin(), order.end());
  return order;
}

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

Layer make_layer(const Network& net, const std::vector<int>& nodes) {
  Layer layer;
  layer.nodes = nodes;
  layer.node_in = nodes.front();
  layer.node_out = nodes.back();
  const auto node = [&](int i) -> const Node& { return net.nodes[static_cast<std::size_t>(i)]; };
  const auto set_type = [&](LayerType t) { layer.type = t; };
  Run run;
  const auto flush = [&] {
    if (run.conv >= 0 || run.pool >= 0) layer.runs.push_back(run);
    run = Run{};
  };
  for (int i : nodes) {
    const Node& n = node(i);
    switch (n.kind) {
      case NodeKind::convolution:
      case NodeKind::inner_product:
        if (run.conv >= 0) flush();
        run.conv = i;
        break;
      case NodeKind::pooling:
        if (layer.concat_node >= 0) {
          for (Run& prev : layer.runs) {
            if (contains(node(layer.concat_node).inputs, prev.conv)) prev.pool = i;
          }
        } else {
          if (run.conv >= 0 && !contains(n.inputs, run.conv)) flush();
          run.pool = i;
          flush();
        }
        break;
      case NodeKind::upsampling:
      case NodeKind::eltwise:
        if (run.conv >= 0) flush();
        run.pool = i;
        flush();
        break;
      case NodeKind::input:
        set_type(LayerType::input);
        break;
      case NodeKind::flatten:
        set_type(LayerType::flatten);
        break;
      case NodeKind::concat: {
        layer.concat_node = i;
        flush();
        if (layer.runs.empty()) {
          bool copy = false;
          if (n.out_dim.size() == 3) {
            for (std::size_t k = 0; k + 1 < n.inputs.size(); ++k)
              copy = copy || node(n.inputs[k]).out_dim[2] % 8 != 0;
          }
          set_type(copy ? LayerType::copy_concatenate : LayerType::concatenate);
        }
        break;
      }
      case NodeKind::softmax:
        set_type(LayerType::softmax);
        break;
      case NodeKind::reshape:
        break;
      case NodeKind::custom:
        set_type(LayerType::custom);
        break;
    }
  }
  flush();
  if (!layer.runs.empty()) layer.type = LayerType::convolution;
  std::uint32_t topo = 0;
  for (std::size_t r = 0; r < layer.runs.size(); ++r) {
    const Run& run_r = layer.runs[r];
    const int out = run_r.pool >= 0 ? run_r.pool : run_r.conv;
    const bool dilated =
        run_r.conv >= 0 && (node(run_r.conv).dilation_x != 1 || node(run_r.conv).dilation_y != 1);
    const bool concat_input =
        layer.concat_node >= 0 && contains(node(layer.concat_node).inputs, out);
    if (out == layer.node_out || concat_input || dilated) topo |= 1u << r;
    if (run_r.conv >= 0) {
      const std::int64_t t = conv_tiles(node(run_r.conv));
      if (t != 1) topo |= 1u << r;
      layer.tiles = std::max(layer.tiles, t);
      if (run_r.pool >= 0) layer.tiles = std::max(layer.tiles, pool_tiles(node(run_r.pool)));
    }
  }
  if (!layer.runs.empty() && topo == 0) topo = 1;
  layer.topo = topo;
  return layer;
}

Status group_layers(Network& net) {
  const auto& tl = net.traverse;
  std::set<int> converted;
  int start = -1;
  const auto close = [&](std::size_t end) {
    if (start < 0) return;
    net.layers.push_back(make_layer(
        net, std::vector<int>(tl.begin() + start, tl.begin() + static_cast<std::ptrdiff_t>(end))));
    start = -1;
  };
  for (std::size_t i = 0; i < tl.size(); ++i) {
    Node& n = net.nodes[static_cast<std::size_t>(tl[i])];
    const Node* prev = i > 0 ? &net.nodes[static_cast<std::size_t>(tl[i - 1])] : nullptr;
    bool merge = false;
    switch (n.kind) {
      case NodeKind::pooling:
        merge = prev != nullptr && prev->kind == NodeKind::convolution && n.max_pool &&
                start >= 0 && conv_tiles(*prev) == 1 && pool_tiles(n) == 1 &&
                contains(prev->outputs, tl[i]);
        break;
      case NodeKind::flatten:
        n.output_size = net.nodes[static_cast<std::size_t>(n.inputs[0])].output_size;
        merge = start >= 0 && (n.in_dim.size() != 3 || n.in_dim[2] <= 8 ||
                               (n.in_dim[0] == 1 && n.in_dim[1] == 1));
        break;
      case NodeKind::reshape:
        n.output_size = net.nodes[static_cast<std::size_t>(n.inputs[0])].output_size;
        merge = start >= 0;
        break;
      case NodeKind::softmax:
        if (!n.inputs.empty() && n.out_dim != n.in_dim)
          n.output_size = net.nodes[static_cast<std::size_t>(n.inputs[0])].output_size;
        break;
      case NodeKind::concat: {
        n.output_size = 0;
        for (int in : n.inputs)
          n.output_size += net.nodes[static_cast<std::size_t>(in)].output_size;
        break;
      }
      default:
        break;
    }
    if (merge) {
      converted.insert(tl[i]);
      if (n.outputs.size() > 1) close(i + 1);
      continue;
    }
    close(i);
    for (int in : n.inputs) {
      if (!converted.count(in))
        return internal_error("layer " + quote(n.name) + " reads a node not converted before it");
    }
    converted.insert(tl[i]);
    start = static_cast<int>(i);
    // A node read by several layers ends its layer (the vendor merges simple branches into a
    // concatenation; ingot keeps them as layers of their own).
    if (n.outputs.size() > 1) close(i + 1);
  }
  close(tl.size());
  for (const Layer& l : net.layers) {
    if (l.runs.size() > kMaxRuns) {
      return unsupported("layer " + quote(net.nodes[static_cast<std::size_t>(l.node_out)].name) +
                         " needs " + std::to_string(l.runs.size()) +
                         " runs; the DV700 command holds at most 32");
    }
  }
  return {};
}

// Marks the output layers: those ending in a graph output, or, for an output merged into no
// layer's end, the layers ending in the nodes it is computed from.
void mark_outputs(Network& net, const std::vector<int>& output_nodes) {
  std::vector<int> pending = output_nodes;
  for (std::size_t i = 0; i < pending.size() && i < 4 * net.nodes.size(); ++i) {
    bool found = false;
    for (std::size_t l = net.layers.size(); l-- > 0;) {
      if (net.layers[l].node_out == pending[i]) {
        if (!net.layers[l].is_output) net.output_layers.push_back(static_cast<int>(l));
        net.layers[l].is_output = true;
        found = true;
        break;
      }
    }
    if (!found) {
      for (int in : net.nodes[static_cast<std::size_t>(pending[i])].inputs) pending.push_back(in);
    }
  }
}

// Places each layer's output in the I/O buffer (see the header).
void allocate(Network& net) {
  const std::size_t n = net.layers.size();
  std::vector<std::size_t> birth(n), death(n);
  for (std::size_t i = 0; i < n; ++i) {
    Layer& layer = net.layers[i];
    birth[i] = death[i] = i;
    for (int in : net.nodes[static_cast<std::size_t>(layer.node_in)].inputs) {
      for (std::size_t j = 0; j < i; ++j) {
        if (net.layers[j].node_out == in) {
          layer.layer_in.push_back(static_cast<int>(j));
          death[j] = std::max(death[j], i);
        }
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (net.layers[i].is_output) death[i] = n - 1;
  }
  // A concatenation's inputs write into its buffer: they live as one.
  for (std::size_t i = 0; i < n; ++i) {
    if (net.layers[i].type != LayerType::concatenate) continue;
    for (int j : net.layers[i].layer_in) {
      birth[i] = std::min(birth[i], birth[static_cast<std::size_t>(j)]);
      death[static_cast<std::size_t>(j)] = std::max(death[static_cast<std::size_t>(j)], death[i]);
    }
  }
  const auto size_of = [&](std::size_t i) {
    return align16(net.nodes[static_cast<std::size_t>(net.layers[i].node_out)].output_size);
  };
  std::vector<bool> placed(n, false);
  std::int64_t total = 0;
  const auto place_at = [&](std::size_t i, std::int64_t offset) {
    net.layers[i].output_offset = offset;
    placed[i] = true;
    total = std::max(total, offset + size_of(i));
  };
  const auto place = [&](std::size_t i) {
    if (placed[i]) return;
    // A concatenation's input sits inside the concatenation's buffer.
    for (std::size_t c = i + 1; c < n; ++c) {
      const Layer& cat = net.layers[c];
      if (cat.type != LayerType::concatenate || !placed[c] ||
          !contains(cat.layer_in, static_cast<int>(i)))
        continue;
      std::int64_t offset = cat.output_offset;
      for (int in : net.nodes[static_cast<std::size_t>(cat.node_in)].inputs) {
        if (in == net.layers[i].node_out) break;
        offset += net.nodes[static_cast<std::size_t>(in)].output_size;
      }
      place_at(i, offset);
      return;
    }
    std::vector<std::pair<std::int64_t, std::int64_t>>
        busy;  // [begin, end) of buffers alive meanwhile
    for (std::size_t j = 0; j < n; ++j) {
      if (placed[j] && birth[j] <= death[i] && birth[i] <= death[j]) {
        busy.emplace_back(net.layers[j].output_offset, net.layers[j].output_offset + size_of(j));
      }
    }
    std::sort(busy.begin(), busy.end());
    std::int64_t offset = 0;
    for (const auto& [b, e] : busy) {
      if (b - offset >= size_of(i)) break;
      offset = std::max(offset, e);
    }
    place_at(i, offset);
  };
  for (int o : net.output_layers) place(static_cast<std::size_t>(o));
  for (std::size_t i = n; i-- > 0;) {
    std::vector<int> ins = net.layers[i].layer_in;
    std::sort(ins.rbegin(), ins.rend());
    for (int j : ins) place(static_cast<std::size_t>(j));
    place(i);
  }
  net.buffer_size = total;
}

// The dv-sdk's layer list has no input layers: their buffers were placed, the layers go.
void drop_input_layers(Network& net) {
  std::vector<int> index(net.layers.size(), -1);
  int next = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    if (net.layers[i].type != LayerType::input) index[i] = next++;
  }
  for (Layer& layer : net.layers) {
    layer.input_offsets.clear();
    layer.input_from_conv =
        !layer.layer_in.empty() &&
        net.layers[static_cast<std::size_t>(layer.layer_in[0])].type == LayerType::convolution;
    for (int& in : layer.layer_in) {
      layer.input_offsets.push_back(net.layers[static_cast<std::size_t>(in)].output_offset);
      in = index[static_cast<std::size_t>(in)];
    }
  }
  std::vector<Layer> kept;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    if (index[i] >= 0) kept.push_back(std::move(net.layers[i]));
  }
  net.layers = std::move(kept);
  for (int& o : net.output_layers) o = index[static_cast<std::size_t>(o)];
  std::erase(net.output_layers, -1);
}

// Where element (x, y, c) of a W x H x C map sits in each order the data can be in.
std::int64_t hwc_index(std::int64_t x, std::int64_t y, std::int64_t c, std::int64_t w, std::int64_t,
                       std::int64_t ch) {
  return (y * w + x) * ch + c;
}
std::int64_t chw_index(std::int64_t x, std::int64_t y, std::int64_t c, std::int64_t w,
                       std::int64_t h, std::int64_t) {
  return (c * h + y) * w + x;
}
// The device's layout (dv-sdk's "WHC8"): blocks of 8 channels, each x-major, then y, then the
// block's channels; the last block holds the remaining channels only.
std::int64_t whc8_index(std::int64_t x, std::int64_t y, std::int64_t c, std::int64_t w,
                        std::int64_t h, std::int64_t ch) {
  const std::int64_t c0 = c / 8 * 8, block = std::min<std::int64_t>(8, ch - c0);
  return c0 * w * h + (x * h + y) * block + c % 8;
}

// A Dense after a Flatten of a W x H x C map reads the map in the order the dv-sdk delivers
// it: HWC after a host flatten (dv-sdk's remap), WHC8 when the flatten joined the layer before
// (the device writes WHC8). The graph's weights expect its own order: HWC for Keras, CHW for
// Caffe. Reorders the weights' columns to match.
void reorder_dense_inputs(Network& net, bool vendor_compat) {
  for (Node& dense : net.nodes) {
    if (dense.kind != NodeKind::inner_product || dense.inputs.size() != 1) continue;
    const Node& flat = net.nodes[static_cast<std::size_t>(dense.inputs[0])];
    if (flat.kind != NodeKind::flatten || flat.in_dim.size() != 3 ||
        flat.in_dim[0] * flat.in_dim[1] == 1)
      continue;
    const std::int64_t w = flat.in_dim[0], h = flat.in_dim[1], ch = flat.in_dim[2];
    bool host_flatten = false;
    for (const Layer& l : net.layers)
      host_flatten =
          host_flatten || (l.type == LayerType::flatten && l.node_out == dense.inputs[0]);
    if (!host_flatten && vendor_compat && !net.nchw) continue;  // the vendor's order
    const auto source = net.nchw ? chw_index : hwc_index;
    const auto device = host_flatten ? hwc_index : whc8_index;
    const std::int64_t in = w * h * ch, m = dense.out_dim.back();
    if (dense.weights.num_elements() != in * m) continue;
    auto allocated = Tensor::allocate(DType::f32, dense.weights.shape());
    if (!allocated.ok()) continue;
    Tensor reordered = std::move(*allocated);
    const auto src = dense.weights.data<float>();
    const auto dst = reordered.mutable_data<float>();
    bool moved = false;
    for (std::int64_t y = 0; y < h; ++y) {
      for (std::int64_t x = 0; x < w; ++x) {
        for (std::int64_t c = 0; c < ch; ++c) {
          const std::int64_t from = source(x, y, c, w, h, ch), to = device(x, y, c, w, h, ch);
          moved = moved || from != to;
          for (std::int64_t o = 0; o < m; ++o) {
            dst[static_cast<std::size_t>(o * in + to)] =
                src[static_cast<std::size_t>(o * in + from)];
          }
        }
      }
    }
    dense.weights = std::move(reordered);
    if (moved) {
      net.notes.push_back(
          "dense " + quote(dense.name) + ": weights reordered from " + (net.nchw ? "CHW" : "HWC") +
          " to " +
          (host_flatten ? "HWC (the host flatten's order)"
                        : "the device's WHC8 order (the flatten runs on the device)") +
          (host_flatten || net.nchw ? ""
                                    : "; the vendor converter keeps HWC here (--vendor-compat)"));
    }
  }
}

}  // namespace

std::int64_t conv_tiles(const Node& conv) {
  if (conv.groups > 1) return 1;
  const std::int64_t w = conv.in_dim[0], h = conv.in_dim[1], c = conv.in_dim[2],
                     m = conv.out_dim.back();
  const std::int64_t p = conv.kx;
  const std::int64_t c_blocks = divup(c, 8);
  for (std::int64_t t = 1;; ++t) {
    const std::int64_t tw = divup(w, t) + p - 1;
    const std::int64_t ow =
        out_width(tw, p, conv.pad_l, conv.pad_r, conv.stride_x, conv.dilation_x);
    const std::int64_t oh = out_width(h, p, conv.pad_t, conv.pad_b, conv.stride_y, conv.dilation_y);
    const std::int64_t out_size = ow * oh * std::min<std::int64_t>(8, m);
    std::int64_t blk128 = divup(tw * h * std::min<std::int64_t>(8, c), 8);
    blk128 += (2 - blk128) & 15;  // size % 16 == 2: eight blocks read in parallel from 16 cuts
    std::int64_t tile128 = blk128 * c_blocks;
    tile128 += (0 - tile128) & 15;
    const std::int64_t used = (tile128 << 3) + out_size;  // fp16 elements
    if (used * 2 <= kUnifiedBufferBytes || t >= w) return t;
  }
}

std::int64_t pool_tiles(const Node& pool) {
  if (pool.kind == NodeKind::upsampling) return 1;
  const std::int64_t per =
      pool.in_dim[0] * pool.in_dim[1] * std::min<std::int64_t>(8, pool.in_dim[2]);
  for (std::int64_t t = 1;; ++t) {
    if (divup(per, t) * 2 <= kUnifiedBufferBytes || t >= pool.in_dim[0]) return t;
  }
}

namespace {

// Bytes of a non-dilated convolution's weights with kernel `k` (1, 3, 5 or 7).
std::int64_t plain_weight_size(std::int64_t inc, std::int64_t outc, std::int64_t k, bool codebook8,
                               bool prelu) {
  if (k == 5) inc = divup(inc, 2);
  if (k == 3) inc = divup(inc, 8);
  if (k == 1) inc = divup(inc, 64);
  const std::int64_t bias_blocks = 16 * divup(outc, 8);
  std::int64_t size =
      codebook8 ? align16(512 + 72 * outc * inc + bias_blocks) : 144 * outc * inc + bias_blocks;
  if (prelu) size += bias_blocks;
  return size;
}

}  // namespace

std::int64_t conv_weight_size(const Node& conv, bool codebook8) {
  if (conv.kind != NodeKind::convolution && conv.kind != NodeKind::inner_product) return 0;
  const std::int64_t inc = conv.in_dim[2] / conv.groups;
  const std::int64_t outc = conv.out_dim.back();
  const bool prelu = conv.actfunc == 4;
  if (conv.dilation_x == 1 && conv.dilation_y == 1) {
    return plain_weight_size(inc, outc, std::max(conv.kx, conv.ky) | 1, codebook8, prelu);
  }
  std::int64_t size = codebook8 ? 512 : 0;
  const std::int64_t per_tap =
      plain_weight_size(inc, outc, 1, codebook8, prelu) - (codebook8 ? 512 : 0);
  for (std::int64_t k = 0; k < conv.kx * conv.ky; ++k) size = align16(size + per_tap);
  return size;
}

Result<Network> build_network(const ir::Graph& graph, const OpRegistry& registry,
                              const NetworkOptions& options) {
  if (graph.compilation) {
    return bad_input("the model is compiled for target " + quote(graph.compilation->target) +
                     " already; write the dv-sdk network from the uncompiled .ingot file");
  }
  Lowering lowering(graph, registry);
  INGOT_ASSIGN_OR_RETURN(Network net, lowering.run());
  net.traverse = traverse_order(net.nodes, lowering.output_nodes);
  if (net.traverse.size() != net.nodes.size()) {
    for (std::size_t i = 0; i < net.nodes.size(); ++i) {
      if (!contains(net.traverse, static_cast<int>(i))) {
        return unsupported("layer " + quote(net.nodes[i].name) +
                           " computes nothing the outputs need; the dv-sdk network drops no layer "
                           "silently: remove it first");
      }
    }
  }
  INGOT_TRY(group_layers(net));
  reorder_dense_inputs(net, options.vendor_compat);
  for (const Node& n : net.nodes) {
    if (n.kind != NodeKind::custom) continue;
    net.notes.push_back(
        "host layer " + quote(n.name) + " (" + n.custom_op + "): provide custom_callback_" +
        n.custom_op + " (declared in the header)" +
        (n.device_reads_output ? "; it must write fp16 in the device's WHC8 layout, since the device reads it"
         : n.fp16_output      ? "; it must write fp16 in HWC order, since a dv-sdk flatten, softmax or concatenation reads it"
                              : "; it writes fp32"));
  }
  mark_outputs(net, lowering.output_nodes);
  allocate(net);
  drop_input_layers(net);
  for (const Layer& l : net.layers) {
    for (const Run& r : l.runs) {
      if (r.conv >= 0)
        net.weight_size +=
            conv_weight_size(net.nodes[static_cast<std::size_t>(r.conv)], options.codebook8);
    }
  }
  return net;
}

}  // namespace ingot::dv700
