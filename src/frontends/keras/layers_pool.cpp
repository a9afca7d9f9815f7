// Max/average pooling (1-D and 2-D) and global pooling. Keras' 'same' pooling pads like its
// convolutions (odd pixel at the end); padded positions are never counted.
#include "frontends/keras/layers.h"

namespace ingot::keras {
namespace {

Outputs pool2d(LayerContext& ctx, const std::string& op, const std::string& input, std::size_t rank,
               const std::string& node_name) {
  INGOT_ASSIGN_OR_RETURN(std::string layout, layout_of(ctx));
  INGOT_ASSIGN_OR_RETURN(auto pool, ctx.config.ints("pool_size", rank, 2));
  std::vector<std::int64_t> strides = pool;
  if (ctx.config.has("strides")) {
    INGOT_ASSIGN_OR_RETURN(strides, ctx.config.ints("strides", rank, 1));
  } else {
    ctx.config.defaulted("strides", pool);  // Keras: strides=None means pool_size
  }
  INGOT_ASSIGN_OR_RETURN(std::string padding, ctx.config.string("padding", "valid", {"valid", "same"}));
  if (rank == 1) {
    pool.insert(pool.begin(), 1);
    strides.insert(strides.begin(), 1);
  }
  const Shape& s = ctx.graph.info(input).shape;
  const std::int64_t h = layout == "NHWC" ? s[1] : s[2];
  const std::int64_t w = layout == "NHWC" ? s[2] : s[3];
  for (std::size_t i = 0; i < 2; ++i) {
    if (pool[i] < 1 || strides[i] < 1) return ctx.error("keys 'pool_size' and 'strides' must be >= 1");
  }
  INGOT_ASSIGN_OR_RETURN(auto ph, tf_padding(ctx, padding, h, pool[0], strides[0], 1));
  INGOT_ASSIGN_OR_RETURN(auto pw, tf_padding(ctx, padding, w, pool[1], strides[1], 1));
  AttrMap attrs{{"kernel", pool}, {"strides", strides}, {"pads", std::vector<std::int64_t>{ph.first, pw.first, ph.second, pw.second}},
                {"layout", layout}};
  // With open image sizes TF's "same" pads depend on the size fed: the node keeps the window.
  if (ctx.settings.open_sizes && padding == "same") attrs["same_extent"] = pool;
  return single_output(ctx.add(node_name, op, {input}, std::move(attrs)));
}

Outputs pool1d(LayerContext& ctx, const std::string& op) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  const Shape& s = ctx.shape();
  if (s.rank() != 3) return ctx.error("input must have rank 3, got shape " + s.to_string());
  INGOT_ASSIGN_OR_RETURN(std::string layout, layout_of(ctx));
  const bool last = layout == "NHWC";
  const Shape image = last ? Shape{s[0], 1, s[1], s[2]} : Shape{s[0], s[1], 1, s[2]};
  INGOT_ASSIGN_OR_RETURN(std::string as2d, ctx.add(ctx.name("to_2d"), "Reshape", ctx.inputs,
                                                    {{"shape", ctx.open_reshape(image.dims(), last ? 2 : 3)}}));
  INGOT_ASSIGN_OR_RETURN(auto pooled, pool2d(ctx, op, as2d, 1, ctx.name("pool")));
  const Shape& o = ctx.graph.info(pooled[0]).shape;
  const Shape back = last ? Shape{o[0], o[2], o[3]} : Shape{o[0], o[1], o[3]};
  return single_output(ctx.add(ctx.name(), "Reshape", pooled, {{"shape", ctx.open_reshape(back.dims(), last ? 1 : 2)}}));
}

Outputs global_pool(LayerContext& ctx, const std::string& op) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  const auto rank = static_cast<std::int64_t>(ctx.shape().rank());
  if (rank < 3) return ctx.error("input must have rank >= 3, got shape " + ctx.shape().to_string());
  INGOT_ASSIGN_OR_RETURN(std::string layout, layout_of(ctx));
  INGOT_ASSIGN_OR_RETURN(bool keepdims, ctx.config.boolean("keepdims", false));
  std::vector<std::int64_t> axes;
  const std::int64_t first = layout == "NHWC" ? 1 : 2;
  for (std::int64_t a = first; a < first + rank - 2; ++a) axes.push_back(a);
  return single_output(ctx.add(ctx.name(), op, ctx.inputs, {{"axes", axes}, {"keepdims", keepdims}}));
}

Status expect_rank4(const LayerContext& ctx) {
  if (ctx.shape().rank() != 4) return ctx.error("input must have rank 4, got shape " + ctx.shape().to_string());
  return {};
}

}  // namespace

Outputs import_max_pool2d(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_TRY(expect_rank4(ctx));
  return pool2d(ctx, "MaxPool2D", ctx.inputs[0], 2, ctx.name());
}

Outputs import_avg_pool2d(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_TRY(expect_rank4(ctx));
  return pool2d(ctx, "AvgPool2D", ctx.inputs[0], 2, ctx.name());
}

Outputs import_max_pool1d(LayerContext& ctx) { return pool1d(ctx, "MaxPool2D"); }
Outputs import_avg_pool1d(LayerContext& ctx) { return pool1d(ctx, "AvgPool2D"); }
Outputs import_global_avg_pool(LayerContext& ctx) { return global_pool(ctx, "ReduceMean"); }
Outputs import_global_max_pool(LayerContext& ctx) { return global_pool(ctx, "ReduceMax"); }

}  // namespace ingot::keras
