// Convolution, Deconvolution, InnerProduct, Pooling and LRN. Caffe blobs are NCHW and so are
// ingot's values for a Caffe model: the ops get layout "NCHW" and weights keep Caffe's order
// (OIHW for convolution, IOHW for deconvolution, [out, in] for InnerProduct).
#include <cmath>
#include <numeric>

#include "frontends/caffe/layer_context.h"

namespace ingot::caffe_import {
namespace {

using Ints = std::vector<std::int64_t>;

// One spatial parameter (kernel, stride, pad, dilation) in Caffe's forms: `name_h` / `name_w`,
// or a repeated field with 1 value for both or 2 values (h, w).
Result<Ints> pair_param(const LayerContext& ctx, const std::string& field, bool has_hw, std::int64_t h,
                        std::int64_t w, const google::protobuf::RepeatedField<std::uint32_t>& list,
                        std::optional<std::int64_t> fallback) {
  if (has_hw) {
    if (!list.empty()) return ctx.error("give either " + quote(field) + " or " + quote(field + "_h") + "/" + quote(field + "_w") + ", not both");
    return Ints{h, w};
  }
  if (list.size() == 1) return Ints{list[0], list[0]};
  if (list.size() == 2) return Ints{list[0], list[1]};
  if (list.empty() && fallback) return Ints{*fallback, *fallback};
  return ctx.error("field " + quote(field) + " must have 1 or 2 values for 2-D " +
                   (list.empty() ? std::string("(or ") + quote(field + "_h") + " and " + quote(field + "_w") + ")" : "") +
                   ", got " + std::to_string(list.size()));
}

struct ConvGeometry {
  Ints kernel, strides, pads, dilations;
  std::int64_t num_output = 0, group = 1;
};

Result<ConvGeometry> conv_geometry(const LayerContext& ctx) {
  const caffe::ConvolutionParameter& p = ctx.layer.convolution_param();
  if (ctx.rank() != 4) {
    return ctx.unsupported_here("ingot imports 2-D convolution of rank-4 NCHW blobs, got a bottom of shape " +
                                ctx.shape().to_string());
  }
  if (p.axis() != 1 && p.axis() != -3) {
    return ctx.unsupported_here("field 'axis' must be 1 (channels), got " + std::to_string(p.axis()));
  }
  if ((p.has_kernel_h() || p.has_kernel_w()) && !(p.has_kernel_h() && p.has_kernel_w())) {
    return ctx.error("fields 'kernel_h' and 'kernel_w' must be given together");
  }
  ConvGeometry g;
  INGOT_ASSIGN_OR_RETURN(g.kernel, pair_param(ctx, "kernel_size", p.has_kernel_h(), p.kernel_h(), p.kernel_w(),
                                              p.kernel_size(), std::nullopt));
  INGOT_ASSIGN_OR_RETURN(g.strides, pair_param(ctx, "stride", p.has_stride_h() || p.has_stride_w(),
                                               p.has_stride_h() ? p.stride_h() : 1, p.has_stride_w() ? p.stride_w() : 1,
                                               p.stride(), 1));
  INGOT_ASSIGN_OR_RETURN(Ints pad, pair_param(ctx, "pad", p.has_pad_h() || p.has_pad_w(), p.pad_h(), p.pad_w(),
                                              p.pad(), 0));
  INGOT_ASSIGN_OR_RETURN(g.dilations, pair_param(ctx, "dilation", false, 1, 1, p.dilation(), 1));
  g.pads = {pad[0], pad[1], pad[0], pad[1]};
  for (std::int64_t k : g.kernel) {
    if (k < 1) return ctx.error("field 'kernel_size' must be >= 1, got " + attr_to_string(AttrValue(g.kernel)));
  }
  if (!p.has_num_output() || p.num_output() < 1) {
    return ctx.error("field 'num_output' must be >= 1, got " + std::to_string(p.num_output()));
  }
  g.num_output = p.num_output();
  g.group = p.group();
  const std::int64_t channels = ctx.shape()[1];
  if (g.group < 1 || channels % g.group != 0 || g.num_output % g.group != 0) {
    return ctx.error("field 'group' must be >= 1 and divide both the input channels " + std::to_string(channels) +
                     " and 'num_output' " + std::to_string(g.num_output) + ", got " + std::to_string(p.group()));
  }
  return g;
}

AttrMap conv_attrs(const ConvGeometry& g, TensorRef weights) {
  return {{"weights", weights}, {"strides", g.strides}, {"dilations", g.dilations},
          {"pads", g.pads},     {"groups", g.group},    {"layout", std::string("NCHW")}};
}

// Caffe's BilinearFiller, for a square k x k kernel: f = ceil(k / 2), c = (2f - 1 - f % 2) / (2f),
// w(y, x) = (1 - |x / f - c|) (1 - |y / f - c|), in float as Caffe computes it, the same filter
// for every (in, out) pair. Only 'bilinear' makes weights without a caffemodel.
Result<Tensor> filled_weights(LayerContext& ctx, const Shape& ws) {
  const caffe::ConvolutionParameter& p = ctx.layer.convolution_param();
  if (!p.has_weight_filler() || p.weight_filler().type() != "bilinear") {
    return ctx.error("it needs 1 or 2 blobs from the caffemodel, got none, and its 'weight_filler' is " +
                     (p.has_weight_filler() ? "\"" + p.weight_filler().type() + "\"" : std::string("not given")) +
                     ": only a \"bilinear\" weight_filler defines weights without trained blobs");
  }
  const std::int64_t k = ws[3];
  if (ws[2] != k) {
    return ctx.error("field 'weight_filler' \"bilinear\" needs a square kernel, got " + std::to_string(ws[2]) + " x " +
                     std::to_string(k));
  }
  const int f = static_cast<int>((k + 1) / 2);
  const float c = static_cast<float>((2 * f - 1 - f % 2) / (2.0 * f));
  std::vector<float> plane(static_cast<std::size_t>(k * k));
  for (std::int64_t i = 0; i < k * k; ++i) {
    const float x = static_cast<float>(i % k), y = static_cast<float>(i / k);
    plane[static_cast<std::size_t>(i)] = (1 - std::fabs(x / static_cast<float>(f) - c)) * (1 - std::fabs(y / static_cast<float>(f) - c));
  }
  std::vector<float> v;
  v.reserve(static_cast<std::size_t>(ws.num_elements()));
  for (std::int64_t n = 0; n < ws[0] * ws[1]; ++n) v.insert(v.end(), plane.begin(), plane.end());
  ctx.note("no blobs in the caffemodel: weights from the 'bilinear' weight_filler", "weight_filler");
  return Tensor::from_floats(ws, v);
}

// The bias of a layer without blobs: bias_filler "constant" (Caffe's default filler) with its value.
Result<Tensor> filled_bias(const LayerContext& ctx, std::int64_t n) {
  const caffe::ConvolutionParameter& p = ctx.layer.convolution_param();
  if (p.has_bias_filler() && p.bias_filler().type() != "constant") {
    return ctx.error("field 'bias_filler' must be \"constant\" when the caffemodel has no blobs for the layer, got \"" +
                     p.bias_filler().type() + "\"");
  }
  return Tensor::from_floats(Shape{n}, std::vector<float>(static_cast<std::size_t>(n), p.bias_filler().value()));
}

Result<std::int64_t> pool_window(const LayerContext& ctx, const caffe::PoolingParameter& p, bool h) {
  if (p.has_kernel_size() && (p.has_kernel_h() || p.has_kernel_w())) {
    return ctx.error("give either 'kernel_size' or 'kernel_h'/'kernel_w', not both");
  }
  if (p.has_kernel_size()) return static_cast<std::int64_t>(p.kernel_size());
  if (p.has_kernel_h() && p.has_kernel_w()) return static_cast<std::int64_t>(h ? p.kernel_h() : p.kernel_w());
  return ctx.error("a pooling layer needs 'kernel_size', 'kernel_h' and 'kernel_w', or 'global_pooling: true'");
}

}  // namespace

Result<std::vector<std::string>> import_convolution(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  INGOT_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx));
  const bool bias = ctx.layer.convolution_param().bias_term();
  INGOT_TRY(ctx.expect_blob_count(bias ? 2 : 1));
  const Shape ws{g.num_output, ctx.shape()[1] / g.group, g.kernel[0], g.kernel[1]};
  INGOT_ASSIGN_OR_RETURN(Tensor w, ctx.blob(0, ws, "weights [out, in/group, kh, kw]"));
  INGOT_ASSIGN_OR_RETURN(TensorRef wref, ctx.constant("weights", w));
  AttrMap attrs = conv_attrs(g, wref);
  if (bias) {
    INGOT_ASSIGN_OR_RETURN(Tensor b, ctx.blob(1, Shape{g.num_output}, "bias [out]"));
    INGOT_ASSIGN_OR_RETURN(attrs["bias"], ctx.constant("bias", b));
  }
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Conv2D", ctx.inputs, std::move(attrs)));
  return std::vector{out};
}

// Without trained blobs (FCN's fixed upsampling layers), the weights come from the prototxt's
// 'bilinear' weight_filler as Caffe's BilinearFiller makes them, and the bias from bias_filler.
Result<std::vector<std::string>> import_deconvolution(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  INGOT_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx));
  const caffe::ConvolutionParameter& p = ctx.layer.convolution_param();
  const bool bias = p.bias_term();
  // Caffe's deconvolution blob is [in, out/group, kh, kw]: ConvTranspose2D's IOHW.
  const Shape ws{ctx.shape()[1], g.num_output / g.group, g.kernel[0], g.kernel[1]};
  Tensor w, b;
  if (ctx.blobs.empty()) {
    INGOT_ASSIGN_OR_RETURN(w, filled_weights(ctx, ws));
    if (bias) {
      INGOT_ASSIGN_OR_RETURN(b, filled_bias(ctx, g.num_output));
    }
  } else {
    INGOT_TRY(ctx.expect_blob_count(bias ? 2 : 1));
    INGOT_ASSIGN_OR_RETURN(w, ctx.blob(0, ws, "weights [in, out/group, kh, kw]"));
    if (bias) {
      INGOT_ASSIGN_OR_RETURN(b, ctx.blob(1, Shape{g.num_output}, "bias [out]"));
    }
  }
  INGOT_ASSIGN_OR_RETURN(TensorRef wref, ctx.constant("weights", w));
  AttrMap attrs = conv_attrs(g, wref);
  if (bias) {
    INGOT_ASSIGN_OR_RETURN(attrs["bias"], ctx.constant("bias", b));
  }
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "ConvTranspose2D", ctx.inputs, std::move(attrs)));
  return std::vector{out};
}

// y = x W^T + b over the axes from `axis` on: Caffe flattens them (NCHW order), so the IR
// reshapes to [outer, inner], applies Dense, and reshapes to the leading dims + [num_output].
Result<std::vector<std::string>> import_inner_product(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::InnerProductParameter& p = ctx.layer.inner_product_param();
  if (!p.has_num_output() || p.num_output() < 1) {
    return ctx.error("field 'num_output' must be >= 1, got " + std::to_string(p.num_output()));
  }
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.axis(p.axis(), "axis"));
  const auto& dims = ctx.shape().dims();
  const std::int64_t outer = std::accumulate(dims.begin(), dims.begin() + axis, std::int64_t{1}, std::multiplies<>());
  const std::int64_t inner = std::accumulate(dims.begin() + axis, dims.end(), std::int64_t{1}, std::multiplies<>());
  const std::int64_t n = p.num_output();
  INGOT_TRY(ctx.expect_blob_count(p.bias_term() ? 2 : 1));
  Tensor w;
  if (p.transpose()) {  // stored [inner, n]: transpose to Dense's [n, inner]
    INGOT_ASSIGN_OR_RETURN(Tensor t, ctx.blob(0, Shape{inner, n}, "weights [in, out] (transpose: true)"));
    std::vector<float> v(static_cast<std::size_t>(n * inner));
    const auto src = t.data<float>();
    for (std::int64_t i = 0; i < inner; ++i) {
      for (std::int64_t j = 0; j < n; ++j) v[static_cast<std::size_t>(j * inner + i)] = src[static_cast<std::size_t>(i * n + j)];
    }
    w = Tensor::from_floats(Shape{n, inner}, v);
  } else {
    INGOT_ASSIGN_OR_RETURN(w, ctx.blob(0, Shape{n, inner}, "weights [out, in]"));
  }
  INGOT_ASSIGN_OR_RETURN(TensorRef wref, ctx.constant("weights", w));
  AttrMap attrs{{"weights", wref}};
  if (p.bias_term()) {
    INGOT_ASSIGN_OR_RETURN(Tensor b, ctx.blob(1, Shape{n}, "bias [out]"));
    INGOT_ASSIGN_OR_RETURN(attrs["bias"], ctx.constant("bias", b));
  }
  std::string x = ctx.inputs[0];
  if (dims.size() != 2 || axis != 1) {
    INGOT_ASSIGN_OR_RETURN(x, ctx.add(ctx.name("flatten"), "Reshape", {x}, {{"shape", Ints{outer, inner}}}));
  }
  Ints out_dims(dims.begin(), dims.begin() + axis);
  out_dims.push_back(n);
  if (out_dims == Ints{outer, n}) {
    INGOT_ASSIGN_OR_RETURN(std::string y, ctx.add(ctx.name(), "Dense", {x}, std::move(attrs)));
    return std::vector{y};
  }
  INGOT_ASSIGN_OR_RETURN(std::string y, ctx.add(ctx.name("dense"), "Dense", {x}, std::move(attrs)));
  INGOT_ASSIGN_OR_RETURN(y, ctx.add(ctx.name(), "Reshape", {y}, {{"shape", out_dims}}));
  return std::vector{y};
}

// MAX and AVE pooling with Caffe's output size (ceil rounding, then the last window dropped if
// it would start in the bottom/right padding) and AVE divisor (padding counts, up to its edge):
// the ops' ceil_mode and count_include_pad.
Result<std::vector<std::string>> import_pooling(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  if (ctx.layer.top_size() == 2) {
    return ctx.unsupported_here("a second top (the max-pooling mask, as SegNet's Upsample reads it) is not supported: "
                                "ingot's pooling has no argmax mask output");
  }
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::PoolingParameter& p = ctx.layer.pooling_param();
  if (ctx.rank() != 4) return ctx.unsupported_here("ingot pools rank-4 NCHW blobs, got " + ctx.shape().to_string());
  if (p.pool() == caffe::PoolingParameter::STOCHASTIC) {
    return ctx.unsupported_here("field 'pool' STOCHASTIC is not supported (only MAX and AVE)");
  }
  if ((p.has_pad_h() || p.has_pad_w()) && p.has_pad()) return ctx.error("give either 'pad' or 'pad_h'/'pad_w', not both");
  if ((p.has_stride_h() || p.has_stride_w()) && p.has_stride()) {
    return ctx.error("give either 'stride' or 'stride_h'/'stride_w', not both");
  }
  Ints kernel, strides, pads;
  const std::int64_t ph = p.has_pad_h() ? p.pad_h() : p.pad(), pw = p.has_pad_w() ? p.pad_w() : p.pad();
  const std::int64_t sh = p.has_stride_h() ? p.stride_h() : p.stride(), sw = p.has_stride_w() ? p.stride_w() : p.stride();
  if (p.global_pooling()) {
    if (p.has_kernel_size() || p.has_kernel_h() || p.has_kernel_w()) {
      return ctx.error("'global_pooling: true' takes its window from the bottom; drop 'kernel_size'");
    }
    if (ph != 0 || pw != 0 || sh != 1 || sw != 1) {
      return ctx.error("'global_pooling: true' needs pad 0 and stride 1, got pad (" + std::to_string(ph) + ", " +
                       std::to_string(pw) + ") and stride (" + std::to_string(sh) + ", " + std::to_string(sw) + ")");
    }
    kernel = {ctx.shape()[2], ctx.shape()[3]};
  } else {
    INGOT_ASSIGN_OR_RETURN(std::int64_t kh, pool_window(ctx, p, true));
    INGOT_ASSIGN_OR_RETURN(std::int64_t kw, pool_window(ctx, p, false));
    kernel = {kh, kw};
  }
  strides = {sh, sw};
  pads = {ph, pw, ph, pw};
  const bool ceil = p.round_mode() == caffe::PoolingParameter::CEIL;
  AttrMap attrs{{"kernel", kernel}, {"strides", strides}, {"pads", pads}, {"layout", std::string("NCHW")},
                {"ceil_mode", ceil}};
  const bool max = p.pool() == caffe::PoolingParameter::MAX;
  if (!max) attrs["count_include_pad"] = true;
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), max ? "MaxPool2D" : "AvgPool2D", ctx.inputs, std::move(attrs)));
  return std::vector{out};
}

Result<std::vector<std::string>> import_lrn(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::LRNParameter& p = ctx.layer.lrn_param();
  AttrMap attrs{{"local_size", static_cast<std::int64_t>(p.local_size())},
                {"alpha", static_cast<double>(p.alpha())},
                {"beta", static_cast<double>(p.beta())},
                {"k", static_cast<double>(p.k())},
                {"norm_region", std::string(p.norm_region() == caffe::LRNParameter::WITHIN_CHANNEL ? "WITHIN_CHANNEL"
                                                                                                   : "ACROSS_CHANNELS")}};
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "LRN", ctx.inputs, std::move(attrs)));
  return std::vector{out};
}

}  // namespace ingot::caffe_import
