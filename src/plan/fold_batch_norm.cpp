// fold_batch_norm: a BatchNorm, Scale or Affine on the channel axis of a Conv2D's or Dense's
// output becomes part of that layer's weights and bias:
//   y = (W x + b) * m + a   ==   (m W) x + (m b + a)     per output channel
// with m = gamma / sqrt(var + eps), a = beta - mean * m for BatchNorm (as its reference
// kernel computes them), m = scale, a = bias for Scale, and scalars for Affine. m becomes the
// layer's weights_scale (applied where the weights are packed), m b + a its bias. The result
// differs from the unfused graph only by float rounding (tests/plan states the tolerance).
#include <cmath>

#include "core/tensor_arena.h"
#include "ops/params.h"
#include "plan/plan_graph.h"

namespace ingot::plan {
namespace {

std::size_t resolve(std::int64_t axis, std::size_t rank) {
  return static_cast<std::size_t>(axis < 0 ? axis + static_cast<std::int64_t>(rank) : axis);
}

}  // namespace

std::optional<ChannelAffine> channel_affine(const ir::Node& n, const ir::BoundNode& b, std::size_t rank,
                                            std::size_t channel_axis, std::size_t channels) {
  ChannelAffine f;
  if (n.op == "BatchNorm") {
    const auto& p = *static_cast<const ops::BatchNormParams*>(b.params.get());
    if (resolve(p.axis, rank) != channel_axis) return std::nullopt;
    const auto mean = p.mean.data<float>(), var = p.variance.data<float>();
    const auto eps = static_cast<float>(p.epsilon);
    for (std::size_t c = 0; c < channels; ++c) {
      const float gamma = p.scale ? p.scale->data<float>()[c] : 1.0f;
      const float beta = p.offset ? p.offset->data<float>()[c] : 0.0f;
      const float m = gamma / std::sqrt(var[c] + eps);
      f.mul.push_back(m);
      f.add.push_back(beta - mean[c] * m);
    }
  } else if (n.op == "Scale") {
    const auto& p = *static_cast<const ops::ScaleParams*>(b.params.get());
    if (resolve(p.axis, rank) != channel_axis) return std::nullopt;
    for (std::size_t c = 0; c < channels; ++c) {
      f.mul.push_back(p.scale.data<float>()[c]);
      f.add.push_back(p.bias ? p.bias->data<float>()[c] : 0.0f);
    }
  } else if (n.op == "Affine") {
    const auto& p = *static_cast<const ops::AffineParams*>(b.params.get());
    f.mul.assign(channels, static_cast<float>(p.scale));
    f.add.assign(channels, static_cast<float>(p.offset));
  } else {
    return std::nullopt;
  }
  return f;
}

namespace {

// Rewrites producer `layer` (Conv2D or Dense) to include `f`. The weights stay as they are:
// their per-output-channel factor goes into weights_scale, which the kernels apply as they pack
// the weights (each w * m rounded once, as a folded copy would hold), so no copy of the model's
// weights is made here. A second fold (Caffe's BatchNorm, then Scale) multiplies the factors.
Status apply(ir::Graph& graph, ir::Node& layer, const std::optional<Tensor>& scale, const std::optional<Tensor>& bias,
             const ChannelAffine& f, TensorArena& arena) {
  const std::size_t channels = f.mul.size();
  const Shape per_channel{static_cast<std::int64_t>(channels)};
  INGOT_ASSIGN_OR_RETURN(Tensor s, arena.allocate(DType::f32, per_channel));
  auto sd = s.mutable_data<float>();
  for (std::size_t o = 0; o < channels; ++o) sd[o] = (scale ? scale->data<float>()[o] : 1.0f) * f.mul[o];
  INGOT_ASSIGN_OR_RETURN(Tensor b, arena.allocate(DType::f32, per_channel));
  auto bd = b.mutable_data<float>();
  for (std::size_t o = 0; o < channels; ++o) bd[o] = (bias ? bias->data<float>()[o] : 0.0f) * f.mul[o] + f.add[o];
  const std::string s_name = fresh_constant_name(graph, layer.name + "/weights_scale");
  INGOT_TRY(graph.add_constant(s_name, s));
  const std::string b_name = fresh_constant_name(graph, layer.name + "/bias");
  INGOT_TRY(graph.add_constant(b_name, b));
  layer.attrs["weights_scale"] = TensorRef{s_name};
  layer.attrs["bias"] = TensorRef{b_name};
  return {};
}

}  // namespace

Status fold_batch_norm(PlanGraph& plan, const OpRegistry& registry) {
  ir::Graph& g = plan.graph;
  TensorArena arena;  // the folded tensors keep its chunks alive
  for (std::size_t i = 0; i < g.nodes.size();) {
    const ir::Node& norm = g.nodes[i];
    const bool candidate = (norm.op == "BatchNorm" || norm.op == "Scale" || norm.op == "Affine") &&
                           norm.inputs.size() == 1 && fusible(g, norm.inputs[0]);
    const auto producer = candidate ? g.producer_of(norm.inputs[0]) : std::nullopt;
    if (!producer || (g.nodes[*producer].op != "Conv2D" && g.nodes[*producer].op != "Dense")) {
      ++i;
      continue;
    }
    ir::Node& layer = g.nodes[*producer];
    const ir::Value* out = g.find_value(norm.inputs[0]);
    INGOT_ASSIGN_OR_RETURN(const ir::BoundNode layer_bound, bind(g, layer, registry));
    INGOT_ASSIGN_OR_RETURN(const ir::BoundNode norm_bound, bind(g, norm, registry));
    const std::size_t rank = out->info.shape.rank();
    const Tensor* weights = nullptr;
    const std::optional<Tensor>* bias = nullptr;
    const std::optional<Tensor>* scale = nullptr;
    std::size_t channel_axis = rank - 1;
    if (layer.op == "Conv2D") {
      const auto& p = *static_cast<const ops::Conv2DParams*>(layer_bound.params.get());
      weights = &p.weights, bias = &p.bias, scale = &p.weights_scale;
      channel_axis = p.layout == "NCHW" ? 1 : 3;
    } else {
      const auto& p = *static_cast<const ops::DenseParams*>(layer_bound.params.get());
      weights = &p.weights, bias = &p.bias, scale = &p.weights_scale;
    }
    const auto channels = static_cast<std::size_t>(weights->shape()[0]);
    const auto f = channel_affine(norm, norm_bound, rank, channel_axis, channels);
    if (!f) {
      ++i;
      continue;
    }
    INGOT_TRY_CTX(apply(g, layer, *scale, *bias, *f, arena), "fold " + quote(norm.name) + " into " + quote(layer.name));
    plan.log.push_back("fold_batch_norm: " + norm.op + " " + quote(norm.name) + " into " + layer.op + " " +
                       quote(layer.name));
    absorb(g, *producer, i);  // erases node i; the next candidate now sits at i
  }
  return {};
}

}  // namespace ingot::plan
