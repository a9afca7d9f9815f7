// Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose -> Conv2D / ConvTranspose2D.
// Keras keeps activations in their own layout (data_format), so the IR ops get the same layout
// and no transposes are inserted.
#include "frontends/keras/layers.h"

namespace ingot::keras {
namespace {

struct Spatial {
  std::int64_t h = 0, w = 0, c = 0;
};

Spatial spatial_of(const Shape& s, const std::string& layout) {
  return layout == "NHWC" ? Spatial{s[1], s[2], s[3]} : Spatial{s[2], s[3], s[1]};
}

Status expect_weight_shape(const LayerContext& ctx, const std::string& name, const Tensor& t, const Shape& want,
                           const std::string& meaning) {
  if (t.shape() != want) {
    return ctx.error("weight " + quote(name) + " must have shape " + want.to_string() + " (" + meaning + "), got " +
                     t.shape().to_string());
  }
  return {};
}

struct ConvGeometry {
  std::vector<std::int64_t> strides, dilations, pads;  // pads: top, left, bottom, right
  std::vector<std::int64_t> same_extent;  // open image sizes, "same" padding: the window extents (h, w)
};

Result<ConvGeometry> conv_geometry(const LayerContext& ctx, const Spatial& in, std::int64_t kh, std::int64_t kw,
                                   std::size_t rank /* 1 or 2 */) {
  ConvGeometry g;
  INGOT_ASSIGN_OR_RETURN(auto strides, ctx.config.ints("strides", rank, 1));
  INGOT_ASSIGN_OR_RETURN(auto dilations, ctx.config.ints("dilation_rate", rank, 1));
  INGOT_ASSIGN_OR_RETURN(std::string padding, ctx.config.string("padding", "valid", {"valid", "same", "causal"}));
  if (rank == 1) {  // 1-D layers run as 2-D with a height of 1
    strides.insert(strides.begin(), 1);
    dilations.insert(dilations.begin(), 1);
  }
  for (std::size_t i = 0; i < 2; ++i) {
    if (strides[i] < 1 || dilations[i] < 1) {
      return ctx.error("keys 'strides' and 'dilation_rate' must be >= 1, got " + json(strides).dump() + " and " +
                       json(dilations).dump());
    }
  }
  if (padding == "causal" && rank != 1) return ctx.error("key 'padding' \"causal\" is only for 1-D layers, got it here");
  INGOT_ASSIGN_OR_RETURN(auto ph, tf_padding(ctx, rank == 1 ? "valid" : padding, in.h, kh, strides[0], dilations[0]));
  INGOT_ASSIGN_OR_RETURN(auto pw, tf_padding(ctx, padding, in.w, kw, strides[1], dilations[1]));
  g.strides = strides;
  g.dilations = dilations;
  g.pads = {ph.first, pw.first, ph.second, pw.second};
  // With open image sizes TF's "same" pads depend on the size fed: the node keeps the extents.
  if (ctx.settings.open_sizes && padding == "same") {
    g.same_extent = {rank == 1 ? 1 : (kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1};
  }
  return g;
}

// The bias, if the layer has one, as the node's "bias" constant.
Status add_bias(LayerContext& ctx, const std::optional<Tensor>& bias, AttrMap& attrs) {
  if (!bias) return {};
  INGOT_ASSIGN_OR_RETURN(TensorRef b, ctx.constant("bias", *bias));
  attrs["bias"] = b;
  return {};
}

// Conv2D on a rank-4 value, bias and fused activation included. `kernel` is Keras' HWIO.
Result<std::string> conv2d_node(LayerContext& ctx, const std::string& input, const std::string& layout,
                                const Tensor& kernel_hwio, std::int64_t groups, const ConvGeometry& g,
                                const std::optional<Tensor>& bias, const std::string& node_name) {
  INGOT_ASSIGN_OR_RETURN(TensorRef w, ctx.constant("kernel", hwab_to_baHW(kernel_hwio, ctx.settings.theano)));
  AttrMap attrs{{"weights", w},          {"strides", g.strides}, {"dilations", g.dilations},
                {"pads", g.pads},        {"groups", groups},     {"layout", layout}};
  if (!g.same_extent.empty()) attrs["same_extent"] = g.same_extent;
  INGOT_TRY(add_bias(ctx, bias, attrs));
  return ctx.add(node_name, "Conv2D", {input}, std::move(attrs));
}

Result<std::optional<Tensor>> bias_of(const LayerContext& ctx, std::int64_t channels) {
  INGOT_ASSIGN_OR_RETURN(bool use_bias, ctx.config.boolean("use_bias", true));
  if (!use_bias) return std::optional<Tensor>();
  INGOT_ASSIGN_OR_RETURN(Tensor b, ctx.weight("bias"));
  INGOT_TRY(expect_weight_shape(ctx, "bias", b, Shape{channels}, "one per output channel"));
  return std::optional<Tensor>(b);
}

// DepthwiseConv2D, SeparableConv2D and Conv2DTranspose inherit `groups` from tf.keras' Conv
// (TF >= 2.3 saves "groups": 1) but never group: anything else is a file ingot cannot read right.
// Not a parameter of theirs, so an absent key is no default used.
Status expect_no_groups(const LayerContext& ctx) {
  if (ctx.config.get("groups") == nullptr) return {};
  INGOT_ASSIGN_OR_RETURN(std::int64_t groups, ctx.config.integer("groups"));
  if (groups != 1) {
    return ctx.error("key 'groups' must be 1 (" + ctx.layer.class_name + " does not group its channels), got " +
                     std::to_string(groups));
  }
  return {};
}

Status expect_rank(const LayerContext& ctx, std::size_t rank) {
  if (ctx.shape().rank() != rank) {
    return ctx.error("input must have rank " + std::to_string(rank) + ", got shape " + ctx.shape().to_string());
  }
  return {};
}

// What every 2-D convolution layer reads first: its one rank-4 input, in its data_format.
struct ConvInput {
  std::string layout;
  Spatial in;
};

Result<ConvInput> conv2d_input(const LayerContext& ctx, bool reads_groups) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_TRY(expect_rank(ctx, 4));
  INGOT_ASSIGN_OR_RETURN(std::string layout, layout_of(ctx));
  if (!reads_groups) INGOT_TRY(expect_no_groups(ctx));
  return ConvInput{layout, spatial_of(ctx.shape(), layout)};
}

// What every convolution layer reads last: its bias (if use_bias) and its fused activation.
struct ConvEpilogue {
  std::optional<Tensor> bias;
  std::string activation;
};

Result<ConvEpilogue> conv_epilogue(const LayerContext& ctx, std::int64_t channels) {
  INGOT_ASSIGN_OR_RETURN(auto bias, bias_of(ctx, channels));
  INGOT_ASSIGN_OR_RETURN(std::string act, activation_of(ctx));
  return ConvEpilogue{std::move(bias), std::move(act)};
}

}  // namespace

Outputs import_conv2d(LayerContext& ctx) {
  INGOT_ASSIGN_OR_RETURN(ConvInput x, conv2d_input(ctx, true));
  const auto& [layout, in] = x;
  INGOT_ASSIGN_OR_RETURN(Tensor kernel, ctx.weight("kernel"));
  INGOT_ASSIGN_OR_RETURN(std::int64_t groups, ctx.config.integer("groups", 1));
  INGOT_ASSIGN_OR_RETURN(std::int64_t filters, ctx.config.integer("filters"));
  if (groups < 1 || in.c % groups != 0) {
    return ctx.error("key 'groups' must divide the input channels " + std::to_string(in.c) + ", got " + std::to_string(groups));
  }
  INGOT_ASSIGN_OR_RETURN(auto ks, ctx.config.ints("kernel_size", 2, 1));
  INGOT_TRY(expect_weight_shape(ctx, "kernel", kernel, Shape{ks[0], ks[1], in.c / groups, filters},
                                "kernel_size, input channels / groups, filters"));
  INGOT_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx, in, ks[0], ks[1], 2));
  INGOT_ASSIGN_OR_RETURN(ConvEpilogue tail, conv_epilogue(ctx, filters));
  const auto& [bias, act] = tail;
  INGOT_ASSIGN_OR_RETURN(std::string conv, conv2d_node(ctx, ctx.inputs[0], layout, kernel, groups, g, bias,
                                                        main_node_name(ctx, act, "conv")));
  return single_output(add_activation(ctx, conv, act, ctx.name()));
}

Outputs import_depthwise_conv2d(LayerContext& ctx) {
  INGOT_ASSIGN_OR_RETURN(ConvInput x, conv2d_input(ctx, false));
  const auto& [layout, in] = x;
  INGOT_ASSIGN_OR_RETURN(Tensor kernel, ctx.weight("depthwise_kernel"));
  INGOT_ASSIGN_OR_RETURN(std::int64_t mult, ctx.config.integer("depth_multiplier", 1));
  INGOT_ASSIGN_OR_RETURN(auto ks, ctx.config.ints("kernel_size", 2, 1));
  INGOT_TRY(expect_weight_shape(ctx, "depthwise_kernel", kernel, Shape{ks[0], ks[1], in.c, mult},
                                "kernel_size, input channels, depth_multiplier"));
  INGOT_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx, in, ks[0], ks[1], 2));
  INGOT_ASSIGN_OR_RETURN(ConvEpilogue tail, conv_epilogue(ctx, in.c * mult));
  const auto& [bias, act] = tail;
  // (kh, kw, C, M) is (kh, kw, 1, C*M) in memory, output channel c*M + m: a grouped conv.
  const Tensor as_grouped = kernel.reshaped(Shape{ks[0], ks[1], 1, in.c * mult});
  INGOT_ASSIGN_OR_RETURN(std::string conv, conv2d_node(ctx, ctx.inputs[0], layout, as_grouped, in.c, g, bias,
                                                        main_node_name(ctx, act, "conv")));
  return single_output(add_activation(ctx, conv, act, ctx.name()));
}

Outputs import_separable_conv2d(LayerContext& ctx) {
  INGOT_ASSIGN_OR_RETURN(ConvInput x, conv2d_input(ctx, false));
  const auto& [layout, in] = x;
  INGOT_ASSIGN_OR_RETURN(Tensor dw, ctx.weight("depthwise_kernel"));
  INGOT_ASSIGN_OR_RETURN(Tensor pw, ctx.weight("pointwise_kernel"));
  INGOT_ASSIGN_OR_RETURN(std::int64_t mult, ctx.config.integer("depth_multiplier", 1));
  INGOT_ASSIGN_OR_RETURN(std::int64_t filters, ctx.config.integer("filters"));
  INGOT_ASSIGN_OR_RETURN(auto ks, ctx.config.ints("kernel_size", 2, 1));
  INGOT_TRY(expect_weight_shape(ctx, "depthwise_kernel", dw, Shape{ks[0], ks[1], in.c, mult},
                                "kernel_size, input channels, depth_multiplier"));
  INGOT_TRY(expect_weight_shape(ctx, "pointwise_kernel", pw, Shape{1, 1, in.c * mult, filters},
                                "1, 1, input channels * depth_multiplier, filters"));
  INGOT_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx, in, ks[0], ks[1], 2));
  INGOT_ASSIGN_OR_RETURN(ConvEpilogue tail, conv_epilogue(ctx, filters));
  const auto& [bias, act] = tail;
  const Tensor as_grouped = dw.reshaped(Shape{ks[0], ks[1], 1, in.c * mult});
  INGOT_ASSIGN_OR_RETURN(std::string depthwise, conv2d_node(ctx, ctx.inputs[0], layout, as_grouped, in.c, g,
                                                             std::nullopt, ctx.name("depthwise")));
  const ConvGeometry pointwise{{1, 1}, {1, 1}, {0, 0, 0, 0}};
  INGOT_ASSIGN_OR_RETURN(std::string conv, conv2d_node(ctx, depthwise, layout, pw, 1, pointwise, bias,
                                                        main_node_name(ctx, act, "pointwise")));
  return single_output(add_activation(ctx, conv, act, ctx.name()));
}

Outputs import_conv1d(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_TRY(expect_rank(ctx, 3));
  INGOT_ASSIGN_OR_RETURN(std::string layout, layout_of(ctx));
  const Shape& s = ctx.shape();
  const bool last = layout == "NHWC";
  const std::int64_t length = last ? s[1] : s[2], channels = last ? s[2] : s[1];
  INGOT_ASSIGN_OR_RETURN(Tensor kernel, ctx.weight("kernel"));
  INGOT_ASSIGN_OR_RETURN(std::int64_t groups, ctx.config.integer("groups", 1));
  INGOT_ASSIGN_OR_RETURN(std::int64_t filters, ctx.config.integer("filters"));
  INGOT_ASSIGN_OR_RETURN(auto ks, ctx.config.ints("kernel_size", 1, 1));
  if (groups < 1 || channels % groups != 0) {
    return ctx.error("key 'groups' must divide the input channels " + std::to_string(channels) + ", got " + std::to_string(groups));
  }
  INGOT_TRY(expect_weight_shape(ctx, "kernel", kernel, Shape{ks[0], channels / groups, filters},
                                "kernel_size, input channels / groups, filters"));
  INGOT_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx, Spatial{1, length, channels}, 1, ks[0], 1));
  INGOT_ASSIGN_OR_RETURN(ConvEpilogue tail, conv_epilogue(ctx, filters));
  const auto& [bias, act] = tail;
  // Run as a 2-D convolution over a height of 1.
  const Shape image = last ? Shape{s[0], 1, length, channels} : Shape{s[0], channels, 1, length};
  INGOT_ASSIGN_OR_RETURN(std::string as2d, ctx.add(ctx.name("to_2d"), "Reshape", ctx.inputs,
                                                    {{"shape", ctx.open_reshape(image.dims(), last ? 2 : 3)}}));
  const Tensor kernel2d = kernel.reshaped(Shape{1, ks[0], channels / groups, filters});
  INGOT_ASSIGN_OR_RETURN(std::string conv, conv2d_node(ctx, as2d, layout, kernel2d, groups, g, bias, ctx.name("conv")));
  const Shape& out = ctx.graph.info(conv).shape;
  const Shape back = last ? Shape{out[0], out[2], out[3]} : Shape{out[0], out[1], out[3]};
  INGOT_ASSIGN_OR_RETURN(std::string flat, ctx.add(main_node_name(ctx, act, "to_1d"), "Reshape", {conv},
                                                    {{"shape", ctx.open_reshape(back.dims(), last ? 1 : 2)}}));
  return single_output(add_activation(ctx, flat, act, ctx.name()));
}

Outputs import_conv2d_transpose(LayerContext& ctx) {
  INGOT_ASSIGN_OR_RETURN(ConvInput x, conv2d_input(ctx, false));
  const auto& [layout, in] = x;
  INGOT_ASSIGN_OR_RETURN(Tensor kernel, ctx.weight("kernel"));
  INGOT_ASSIGN_OR_RETURN(std::int64_t filters, ctx.config.integer("filters"));
  INGOT_ASSIGN_OR_RETURN(auto ks, ctx.config.ints("kernel_size", 2, 1));
  INGOT_TRY(expect_weight_shape(ctx, "kernel", kernel, Shape{ks[0], ks[1], filters, in.c},
                                "kernel_size, filters, input channels"));
  INGOT_ASSIGN_OR_RETURN(auto strides, ctx.config.ints("strides", 2, 1));
  INGOT_ASSIGN_OR_RETURN(auto dilations, ctx.config.ints("dilation_rate", 2, 1));
  INGOT_ASSIGN_OR_RETURN(std::string padding, ctx.config.string("padding", "valid", {"valid", "same"}));
  std::optional<std::vector<std::int64_t>> output_padding;
  if (ctx.config.has("output_padding")) {
    INGOT_ASSIGN_OR_RETURN(output_padding, ctx.config.ints("output_padding", 2, 0));
  } else {
    ctx.config.defaulted("output_padding", nullptr);  // Keras <= 2.2.2: inferred from padding and strides
  }
  // Keras' deconv_output_length gives the output size; TensorFlow's transposed convolution then
  // crops the full output like the forward convolution pads its input: half before, the rest
  // (the odd pixel) after. Extra rows beyond the full output are output padding.
  std::vector<std::int64_t> pads(4, 0), extra(2, 0);
  const std::int64_t sizes[2] = {in.h, in.w};
  for (int i = 0; i < 2; ++i) {
    if (strides[i] < 1 || dilations[i] < 1) return ctx.error("keys 'strides' and 'dilation_rate' must be >= 1");
    const std::int64_t fs = (ks[i] - 1) * dilations[i] + 1;
    const std::int64_t full = (sizes[i] - 1) * strides[i] + fs;
    std::int64_t length;
    if (!output_padding) {
      length = padding == "same" ? sizes[i] * strides[i] : sizes[i] * strides[i] + std::max<std::int64_t>(fs - strides[i], 0);
    } else {
      const std::int64_t pad = padding == "same" ? fs / 2 : 0;
      length = (sizes[i] - 1) * strides[i] + fs - 2 * pad + (*output_padding)[i];
    }
    const std::int64_t crop = std::max<std::int64_t>(full - length, 0);
    pads[i] = padding == "same" ? crop / 2 : 0;
    pads[i + 2] = crop - pads[i];
    extra[i] = std::max<std::int64_t>(length - full, 0);
  }
  INGOT_ASSIGN_OR_RETURN(ConvEpilogue tail, conv_epilogue(ctx, filters));
  const auto& [bias, act] = tail;
  INGOT_ASSIGN_OR_RETURN(TensorRef w, ctx.constant("kernel", hwab_to_baHW(kernel, ctx.settings.theano)));
  AttrMap attrs{{"weights", w}, {"strides", strides}, {"dilations", dilations}, {"pads", pads},
                {"output_padding", extra}, {"layout", layout}};
  INGOT_TRY(add_bias(ctx, bias, attrs));
  INGOT_ASSIGN_OR_RETURN(std::string conv, ctx.add(main_node_name(ctx, act, "conv"), "ConvTranspose2D", ctx.inputs,
                                                    std::move(attrs)));
  return single_output(add_activation(ctx, conv, act, ctx.name()));
}

}  // namespace ingot::keras
