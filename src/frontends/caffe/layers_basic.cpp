// Normalization, activations, Softmax, Eltwise, Concat, and the layers that only rename
// (Split, Dropout at inference).
#include <cmath>

#include "frontends/caffe/layer_context.h"

namespace ingot::caffe_import {
namespace {

Result<std::vector<std::string>> single(LayerContext& ctx, const std::string& op, AttrMap attrs = {}) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), op, ctx.inputs, std::move(attrs)));
  return std::vector{out};
}

Result<std::int64_t> channels(const LayerContext& ctx) {
  if (ctx.rank() < 2) return ctx.error("it needs a bottom with a channel axis (rank >= 2), got " + ctx.shape().to_string());
  return ctx.shape()[1];
}

// 'use_global_stats: false': Caffe normalizes each channel with the mean and variance of the
// batch itself, over N and every axis after C, and ignores the stored statistics.
Result<std::vector<std::string>> batch_norm_with_batch_statistics(LayerContext& ctx) {
  const double eps = ctx.layer.batch_norm_param().eps();
  if (!(eps >= 0) || !std::isfinite(eps)) return ctx.error("field 'eps' must be finite and >= 0, got " + std::to_string(eps));
  ctx.note("'use_global_stats: false': normalized with the batch's own statistics (the stored blobs are not used)");
  std::vector<std::int64_t> axes{0};
  for (std::int64_t a = 2; a < ctx.rank(); ++a) axes.push_back(a);
  return normalize_with_own_statistics(ctx, axes, eps, /*eps_after_sqrt=*/false, /*divide=*/true);
}

// Scale with bottom 1 as the factor (covering bottom 0's axes from `axis`), times bottom 0, plus
// blob 0 of the factor's shape with bias_term.
Result<std::vector<std::string>> scale_by_second_bottom(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::ScaleParameter& p = ctx.layer.scale_param();
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.axis(p.axis(), "axis"));
  INGOT_TRY(ctx.expect_blob_count(p.bias_term() ? 1 : 0));
  INGOT_ASSIGN_OR_RETURN(std::string factor, aligned_second_bottom(ctx, axis, 1, "axis"));
  if (!p.bias_term()) {
    INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Mul", {ctx.inputs[0], factor}));
    return std::vector{out};
  }
  INGOT_ASSIGN_OR_RETURN(std::string product, ctx.add(ctx.name("product"), "Mul", {ctx.inputs[0], factor}));
  INGOT_ASSIGN_OR_RETURN(Tensor b, ctx.blob(0, ctx.shape(1), "bias " + ctx.shape(1).to_string()));
  INGOT_ASSIGN_OR_RETURN(std::string out, add_constant_over_axes(ctx, product, axis, b, ctx.name()));
  return std::vector{out};
}

}  // namespace

// Caffe keeps mean and variance multiplied by a running factor (blob 2): the stored statistics
// are blob / factor, or zero when the factor is zero (as Caffe does).
Result<std::vector<std::string>> import_batch_norm(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::BatchNormParameter& p = ctx.layer.batch_norm_param();
  INGOT_ASSIGN_OR_RETURN(std::int64_t c, channels(ctx));
  if (p.has_use_global_stats() && !p.use_global_stats()) return batch_norm_with_batch_statistics(ctx);
  INGOT_TRY(ctx.expect_blob_count(3));
  INGOT_ASSIGN_OR_RETURN(Tensor mean, ctx.blob(0, Shape{c}, "mean [C] times the factor"));
  INGOT_ASSIGN_OR_RETURN(Tensor var, ctx.blob(1, Shape{c}, "variance [C] times the factor"));
  INGOT_ASSIGN_OR_RETURN(Tensor factor, ctx.blob(2, Shape{1}, "moving-average factor [1]"));
  const float f = factor.data<float>()[0];
  if (!std::isfinite(f) || f < 0) return ctx.error("blob 2 (moving-average factor) must be >= 0, got " + std::to_string(f));
  const float scale = f == 0 ? 0.0f : 1.0f / f;
  std::vector<float> m(mean.data<float>().begin(), mean.data<float>().end());
  std::vector<float> v(var.data<float>().begin(), var.data<float>().end());
  for (auto& x : m) x *= scale;
  for (auto& x : v) x *= scale;
  INGOT_ASSIGN_OR_RETURN(TensorRef mref, ctx.constant("mean", Tensor::from_floats(Shape{c}, m)));
  INGOT_ASSIGN_OR_RETURN(TensorRef vref, ctx.constant("variance", Tensor::from_floats(Shape{c}, v)));
  return single(ctx, "BatchNorm",
                {{"mean", mref}, {"variance", vref}, {"epsilon", static_cast<double>(p.eps())}, {"axis", std::int64_t{1}}});
}

Result<std::vector<std::string>> import_scale(LayerContext& ctx) {
  const caffe::ScaleParameter& p = ctx.layer.scale_param();
  INGOT_TRY(ctx.expect_bottoms(1, 2));
  if (ctx.inputs.size() == 2) return scale_by_second_bottom(ctx);
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.axis(p.axis(), "axis"));
  if (p.num_axes() != 1) {
    return ctx.unsupported_here("field 'num_axes' must be 1 (one factor per channel), got " + std::to_string(p.num_axes()));
  }
  const std::int64_t c = ctx.shape()[static_cast<std::size_t>(axis)];
  INGOT_TRY(ctx.expect_blob_count(p.bias_term() ? 2 : 1));
  INGOT_ASSIGN_OR_RETURN(Tensor s, ctx.blob(0, Shape{c}, "scale [C]"));
  INGOT_ASSIGN_OR_RETURN(TensorRef sref, ctx.constant("scale", s));
  AttrMap attrs{{"scale", sref}, {"axis", axis}};
  if (p.bias_term()) {
    INGOT_ASSIGN_OR_RETURN(Tensor b, ctx.blob(1, Shape{c}, "bias [C]"));
    INGOT_ASSIGN_OR_RETURN(attrs["bias"], ctx.constant("bias", b));
  }
  return single(ctx, "Scale", std::move(attrs));
}

Result<std::vector<std::string>> import_relu(LayerContext& ctx) {
  const double slope = ctx.layer.relu_param().negative_slope();
  if (slope == 0) return single(ctx, "ReLU");
  return single(ctx, "ReLU", {{"negative_slope", slope}});
}

Result<std::vector<std::string>> import_prelu(LayerContext& ctx) {
  INGOT_ASSIGN_OR_RETURN(std::int64_t c, channels(ctx));
  const bool shared = ctx.layer.prelu_param().channel_shared();
  INGOT_TRY(ctx.expect_blob_count(1));
  INGOT_ASSIGN_OR_RETURN(Tensor slopes, ctx.blob(0, Shape{shared ? 1 : c}, shared ? "slope [1]" : "slopes [C]"));
  // Broadcast along the channel axis of NCHW: [C, 1, 1] for rank 4.
  std::vector<std::int64_t> dims(static_cast<std::size_t>(ctx.rank() - 1), 1);
  dims[0] = shared ? 1 : c;
  INGOT_ASSIGN_OR_RETURN(TensorRef a, ctx.constant("alpha", slopes.reshaped(Shape(dims))));
  return single(ctx, "PReLU", {{"alpha", a}});
}

Result<std::vector<std::string>> import_elu(LayerContext& ctx) {
  return single(ctx, "Elu", {{"alpha", static_cast<double>(ctx.layer.elu_param().alpha())}});
}
Result<std::vector<std::string>> import_sigmoid(LayerContext& ctx) { return single(ctx, "Sigmoid"); }
Result<std::vector<std::string>> import_tanh(LayerContext& ctx) { return single(ctx, "Tanh"); }
Result<std::vector<std::string>> import_absval(LayerContext& ctx) { return single(ctx, "AbsVal"); }
Result<std::vector<std::string>> import_bnll(LayerContext& ctx) { return single(ctx, "Softplus"); }

Result<std::vector<std::string>> import_power(LayerContext& ctx) {
  const caffe::PowerParameter& p = ctx.layer.power_param();
  return single(ctx, "Power", {{"power", static_cast<double>(p.power())},
                               {"scale", static_cast<double>(p.scale())},
                               {"shift", static_cast<double>(p.shift())}});
}

Result<std::vector<std::string>> import_softmax(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.axis(ctx.layer.softmax_param().axis(), "axis"));
  return single(ctx, "Softmax", {{"axis", axis}});
}

// PROD -> Mul, MAX -> Maximum, SUM -> Add, with each coefficient other than 1 applied first
// (Affine). Caffe requires equal shapes; ingot's ops would broadcast, so the importer checks.
Result<std::vector<std::string>> import_eltwise(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(2, 1 << 16));
  INGOT_TRY(ctx.expect_tops(1));
  for (std::size_t i = 1; i < ctx.inputs.size(); ++i) {
    if (ctx.shape(i) != ctx.shape(0)) {
      return ctx.error("every bottom must have the same shape, got " + ctx.shape(0).to_string() + " and " +
                       ctx.shape(i).to_string() + " (bottom " + std::to_string(i) + ")");
    }
  }
  const caffe::EltwiseParameter& p = ctx.layer.eltwise_param();
  std::vector<std::string> in = ctx.inputs;
  std::string op = "Add";
  if (p.operation() == caffe::EltwiseParameter::PROD) op = "Mul";
  if (p.operation() == caffe::EltwiseParameter::MAX) op = "Maximum";
  if (p.coeff_size() > 0) {
    if (p.operation() != caffe::EltwiseParameter::SUM) return ctx.error("field 'coeff' applies to SUM only");
    if (p.coeff_size() != static_cast<int>(in.size())) {
      return ctx.error("field 'coeff' must have one value per bottom (" + std::to_string(in.size()) + "), got " +
                       std::to_string(p.coeff_size()));
    }
    for (std::size_t i = 0; i < in.size(); ++i) {
      const double c = p.coeff(static_cast<int>(i));
      if (c == 1.0) continue;
      INGOT_ASSIGN_OR_RETURN(in[i], ctx.add(ctx.name("coeff" + std::to_string(i)), "Affine", {in[i]}, {{"scale", c}}));
    }
  }
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), op, std::move(in)));
  return std::vector{out};
}

Result<std::vector<std::string>> import_concat(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1 << 16));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::ConcatParameter& p = ctx.layer.concat_param();
  const std::int64_t raw = !p.has_axis() && p.has_concat_dim() ? static_cast<std::int64_t>(p.concat_dim()) : p.axis();
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.axis(raw, p.has_axis() || !p.has_concat_dim() ? "axis" : "concat_dim"));
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Concat", ctx.inputs, {{"axis", axis}}));
  return std::vector{out};
}

// Every top is the bottom itself.
Result<std::vector<std::string>> import_split(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  return std::vector<std::string>(static_cast<std::size_t>(ctx.layer.top_size()), ctx.inputs[0]);
}

// Caffe's inference-time dropout is the identity (it scales while training).
Result<std::vector<std::string>> import_dropout(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  ctx.note("the identity at inference: no node is added");
  return std::vector{ctx.inputs[0]};
}

}  // namespace ingot::caffe_import
