// ZeroPadding, Cropping and UpSampling (1-D and 2-D).
#include "frontends/keras/layers.h"

namespace ingot::keras {
namespace {

// Spatial axes of a rank-4 value in the layer's data_format, or of a rank-3 one for the 1-D
// layers, which Keras defines on axis 1 only (they have no data_format).
Result<std::vector<std::int64_t>> spatial_axes(const LayerContext& ctx, std::size_t spatial_rank) {
  std::string layout = "NHWC";
  if (spatial_rank == 2) {
    INGOT_ASSIGN_OR_RETURN(layout, layout_of(ctx));
  }
  const std::int64_t first = layout == "NHWC" ? 1 : 2;
  std::vector<std::int64_t> axes;
  for (std::size_t i = 0; i < spatial_rank; ++i) axes.push_back(first + static_cast<std::int64_t>(i));
  if (ctx.shape().rank() != spatial_rank + 2) {
    return ctx.error("input must have rank " + std::to_string(spatial_rank + 2) + ", got shape " + ctx.shape().to_string());
  }
  return axes;
}

// {begin, end} per spatial axis -> Pad's [begins..., ends...] over the whole rank.
Outputs pad(LayerContext& ctx, const std::vector<std::int64_t>& axes, const std::vector<std::int64_t>& begin_end) {
  const std::size_t rank = ctx.shape().rank();
  std::vector<std::int64_t> pads(2 * rank, 0);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (begin_end[2 * i] < 0 || begin_end[2 * i + 1] < 0) return ctx.error("key 'padding' values must be >= 0");
    pads[static_cast<std::size_t>(axes[i])] = begin_end[2 * i];
    pads[rank + static_cast<std::size_t>(axes[i])] = begin_end[2 * i + 1];
  }
  return single_output(ctx.add(ctx.name(), "Pad", ctx.inputs, {{"pads", pads}}));
}

Outputs crop(LayerContext& ctx, const std::vector<std::int64_t>& axes, const std::vector<std::int64_t>& begin_end) {
  std::vector<std::int64_t> begin, end;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const std::int64_t size = ctx.shape()[static_cast<std::size_t>(axes[i])];
    const std::int64_t b = begin_end[2 * i], e = begin_end[2 * i + 1];
    if (b < 0 || e < 0 || b + e >= size) {
      return ctx.error("key 'cropping' must leave at least one element of axis " + std::to_string(axes[i]) + " (size " +
                       std::to_string(size) + "), got " + std::to_string(b) + " and " + std::to_string(e));
    }
    begin.push_back(b);
    end.push_back(size - e);
  }
  return single_output(ctx.add(ctx.name(), "Slice", ctx.inputs, {{"axes", axes}, {"begin", begin}, {"end", end}}));
}

// Keras 2.x up to 2.2 (and tf.keras of TF 1.x, "2.2.4-tf") resizes with TF1's
// resize_bilinear (align_corners=False, half_pixel_centers=False): "asymmetric". tf.keras of
// TF 2.x moved to resize v2 (half-pixel centers).
std::string bilinear_coordinates(const ImportSettings& settings) {
  return settings.half_pixel_resize ? "half_pixel" : "asymmetric";
}

// ZeroPadding and Cropping read {begin, end} per spatial axis from one key: pairs in 2-D
// (an int, a pair, or a pair of pairs), a pair or an int in 1-D.
using SpatialEdit = Outputs (*)(LayerContext&, const std::vector<std::int64_t>& axes,
                                const std::vector<std::int64_t>& begin_end);

Outputs edit_spatial_axes(LayerContext& ctx, std::size_t spatial_rank, const std::string& key, SpatialEdit edit) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_ASSIGN_OR_RETURN(auto axes, spatial_axes(ctx, spatial_rank));
  INGOT_ASSIGN_OR_RETURN(auto begin_end, spatial_rank == 2 ? ctx.config.pairs2d(key) : ctx.config.ints(key, 2, 1));
  return edit(ctx, axes, begin_end);
}

}  // namespace

Outputs import_zero_padding2d(LayerContext& ctx) { return edit_spatial_axes(ctx, 2, "padding", pad); }
Outputs import_zero_padding1d(LayerContext& ctx) { return edit_spatial_axes(ctx, 1, "padding", pad); }
Outputs import_cropping2d(LayerContext& ctx) { return edit_spatial_axes(ctx, 2, "cropping", crop); }
Outputs import_cropping1d(LayerContext& ctx) { return edit_spatial_axes(ctx, 1, "cropping", crop); }

Outputs import_upsampling2d(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_TRY(spatial_axes(ctx, 2).status());
  INGOT_ASSIGN_OR_RETURN(std::string layout, layout_of(ctx));
  INGOT_ASSIGN_OR_RETURN(auto size, ctx.config.ints("size", 2, 2));
  INGOT_ASSIGN_OR_RETURN(std::string mode, ctx.config.string("interpolation", "nearest", {"nearest", "bilinear"}));
  AttrMap attrs{{"scales", size}, {"mode", mode}, {"layout", layout}};
  if (mode == "bilinear") attrs["coordinates"] = bilinear_coordinates(ctx.settings);
  return single_output(ctx.add(ctx.name(), "Resize", ctx.inputs, std::move(attrs)));
}

Outputs import_upsampling1d(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  const Shape& s = ctx.shape();
  if (s.rank() != 3) return ctx.error("input must have rank 3, got shape " + s.to_string());
  INGOT_ASSIGN_OR_RETURN(std::int64_t size, ctx.config.integer("size", 2));
  // (N, L, C) repeats along L: seen as (N, L, 1, C), a 2-D nearest resize by (size, 1).
  INGOT_ASSIGN_OR_RETURN(std::string as2d, ctx.add(ctx.name("to_2d"), "Reshape", ctx.inputs,
                                                    {{"shape", ctx.open_reshape({s[0], s[1], 1, s[2]}, 1)}}));
  INGOT_ASSIGN_OR_RETURN(std::string up, ctx.add(ctx.name("resize"), "Resize", {as2d},
                                                  {{"scales", std::vector<std::int64_t>{size, 1}}}));
  return single_output(ctx.add(ctx.name(), "Reshape", {up}, {{"shape", ctx.open_reshape({s[0], s[1] * size, s[2]}, 1)}}));
}

}  // namespace ingot::keras
