// Flatten, Reshape, Permute, Slice, Crop and Tile, then the resampling layers (ArgMax, Interp,
// Upsample). ingot's values for a Caffe model are Caffe's blobs in
// Caffe's (row-major NCHW) order, so these are exact: the importer computes each output shape
// with Caffe's rules and emits Reshape / Transpose / Slice on the same element order.
#include <algorithm>
#include <numeric>
#include <set>

#include "frontends/caffe/layer_context.h"

namespace ingot::caffe_import {
namespace {

using Ints = std::vector<std::int64_t>;

std::int64_t product(Ints::const_iterator a, Ints::const_iterator b) {
  return std::accumulate(a, b, std::int64_t{1}, std::multiplies<>());
}

std::string ints_text(const Ints& v) { return attr_to_string(AttrValue(v)); }

Result<std::vector<std::string>> reshape_to(LayerContext& ctx, const Ints& dims) {
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Reshape", ctx.inputs, {{"shape", dims}}));
  return std::vector{out};
}

}  // namespace

// Flattens axes [axis, end_axis] into one.
Result<std::vector<std::string>> import_flatten(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::FlattenParameter& p = ctx.layer.flatten_param();
  INGOT_ASSIGN_OR_RETURN(std::int64_t a, ctx.axis(p.axis(), "axis"));
  INGOT_ASSIGN_OR_RETURN(std::int64_t e, ctx.axis(p.end_axis(), "end_axis"));
  if (e < a) return ctx.error("field 'end_axis' must not come before 'axis', got axis " + std::to_string(a) + " and end_axis " + std::to_string(e));
  const Ints& d = ctx.shape().dims();
  Ints out(d.begin(), d.begin() + a);
  out.push_back(product(d.begin() + a, d.begin() + e + 1));
  out.insert(out.end(), d.begin() + e + 1, d.end());
  return reshape_to(ctx, out);
}

// Caffe's Reshape: `shape` replaces the bottom's axes [axis, axis + num_axes) (all remaining
// for num_axes -1; a negative axis counts from the end, -1 meaning "after the last"); 0 copies
// the bottom's dim at that position, one -1 is inferred.
Result<std::vector<std::string>> import_reshape(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::ReshapeParameter& p = ctx.layer.reshape_param();
  const Ints& d = ctx.shape().dims();
  const std::int64_t rank = ctx.rank();
  const std::int64_t start = p.axis() >= 0 ? p.axis() : rank + p.axis() + 1;
  if (start < 0 || start > rank) {
    return ctx.error("field 'axis' must be in [" + std::to_string(-rank - 1) + ", " + std::to_string(rank) + "], got " + std::to_string(p.axis()));
  }
  if (p.num_axes() < -1) return ctx.error("field 'num_axes' must be >= -1, got " + std::to_string(p.num_axes()));
  const std::int64_t end = p.num_axes() == -1 ? rank : start + p.num_axes();
  if (end > rank) {
    return ctx.error("fields 'axis' " + std::to_string(p.axis()) + " and 'num_axes' " + std::to_string(p.num_axes()) +
                     " reach past the bottom's " + std::to_string(rank) + " axes");
  }
  Ints mid;
  int inferred = -1;
  for (int i = 0; i < p.shape().dim_size(); ++i) {
    const std::int64_t v = p.shape().dim(i);
    if (v == 0) {
      if (start + i >= rank) return ctx.error("shape dim " + std::to_string(i) + " is 0 (copy) but the bottom has no axis " + std::to_string(start + i));
      mid.push_back(d[static_cast<std::size_t>(start + i)]);
    } else if (v == -1) {
      if (inferred >= 0) return ctx.error("field 'shape' may hold one -1, got " + std::to_string(p.shape().dim_size()) + " dims with several");
      inferred = i;
      mid.push_back(1);
    } else if (v < 0) {
      return ctx.error("field 'shape' dims must be >= -1, got " + std::to_string(v));
    } else {
      mid.push_back(v);
    }
  }
  const std::int64_t replaced = product(d.begin() + start, d.begin() + end);
  const std::int64_t known = product(mid.begin(), mid.end());
  if (inferred >= 0) {
    if (known == 0 || replaced % known != 0) {
      return ctx.error("cannot infer the -1 in 'shape': " + std::to_string(replaced) + " elements do not divide by " + std::to_string(known));
    }
    mid[static_cast<std::size_t>(inferred)] = replaced / known;
  } else if (known != replaced) {
    return ctx.error("field 'shape' must keep the element count of the replaced axes (" + std::to_string(replaced) +
                     " for bottom " + ctx.shape().to_string() + "), got " + ints_text(mid));
  }
  Ints out(d.begin(), d.begin() + start);
  out.insert(out.end(), mid.begin(), mid.end());
  out.insert(out.end(), d.begin() + end, d.end());
  return reshape_to(ctx, out);
}

// Output axis i is bottom axis order[i]; axes the order leaves out follow in increasing order.
Result<std::vector<std::string>> import_permute(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  const std::int64_t rank = ctx.rank();
  Ints perm;
  std::set<std::int64_t> seen;
  for (std::uint32_t a : ctx.layer.permute_param().order()) {
    if (a >= rank || !seen.insert(a).second) {
      Ints order(ctx.layer.permute_param().order().begin(), ctx.layer.permute_param().order().end());
      return ctx.error("field 'order' must list distinct axes below the bottom's rank " + std::to_string(rank) + ", got " + ints_text(order));
    }
    perm.push_back(a);
  }
  for (std::int64_t a = 0; a < rank; ++a) {
    if (!seen.count(a)) perm.push_back(a);
  }
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Transpose", ctx.inputs, {{"perm", perm}}));
  return std::vector{out};
}

// One Slice node per top, named after the top.
Result<std::vector<std::string>> import_slice(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  const caffe::SliceParameter& p = ctx.layer.slice_param();
  const std::int64_t raw = !p.has_axis() && p.has_slice_dim() ? static_cast<std::int64_t>(p.slice_dim()) : p.axis();
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.axis(raw, "axis"));
  const std::int64_t dim = ctx.shape()[static_cast<std::size_t>(axis)];
  const int tops = ctx.layer.top_size();
  if (tops < 1) return ctx.error("it must have at least one top");
  Ints bounds{0};
  if (p.slice_point_size() > 0) {
    if (p.slice_point_size() != tops - 1) {
      return ctx.error("field 'slice_point' must have one value fewer than the tops (" + std::to_string(tops) + "), got " +
                       std::to_string(p.slice_point_size()));
    }
    for (std::uint32_t s : p.slice_point()) {
      if (s <= bounds.back() || s >= dim) {
        Ints pts(p.slice_point().begin(), p.slice_point().end());
        return ctx.error("field 'slice_point' must increase strictly within (0, " + std::to_string(dim) + "), got " + ints_text(pts));
      }
      bounds.push_back(s);
    }
  } else {
    if (dim % tops != 0) {
      return ctx.error("axis " + std::to_string(axis) + " of size " + std::to_string(dim) + " does not split evenly into " +
                       std::to_string(tops) + " tops; give 'slice_point'");
    }
    for (int i = 1; i < tops; ++i) bounds.push_back(dim / tops * i);
  }
  bounds.push_back(dim);
  std::vector<std::string> outs;
  for (int i = 0; i < tops; ++i) {
    INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.layer.top(i), "Slice", ctx.inputs,
                                                    {{"axes", Ints{axis}}, {"begin", Ints{bounds[i]}}, {"end", Ints{bounds[i + 1]}}}));
    outs.push_back(out);
  }
  return outs;
}

// Caffe's CropLayer: bottom 0 cut to bottom 1's dims on every axis from `axis` on, starting at
// `offset` (none: 0; one value: every such axis; else one per axis). Bottom 1 gives only a shape.
Result<std::vector<std::string>> import_crop(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(2, 2));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::CropParameter& p = ctx.layer.crop_param();
  INGOT_ASSIGN_OR_RETURN(std::int64_t start, ctx.axis(p.axis(), "axis"));
  const Ints& d = ctx.shape(0).dims();
  const Ints& ref = ctx.shape(1).dims();
  if (ref.size() != d.size()) {
    return ctx.error("both bottoms must have the same rank, got " + ctx.shape(0).to_string() + " and " + ctx.shape(1).to_string());
  }
  const std::int64_t cropped = ctx.rank() - start;
  if (p.offset_size() > 1 && p.offset_size() != cropped) {
    return ctx.error("field 'offset' must have 0, 1 or " + std::to_string(cropped) + " values (one per axis from " +
                     std::to_string(start) + "), got " + std::to_string(p.offset_size()));
  }
  Ints axes, begin, end;
  for (std::int64_t a = start; a < ctx.rank(); ++a) {
    const std::size_t i = static_cast<std::size_t>(a);
    const std::int64_t off = p.offset_size() == 0 ? 0 : p.offset(p.offset_size() == 1 ? 0 : static_cast<int>(a - start));
    if (ref[i] < 1 || off + ref[i] > d[i]) {
      return ctx.error("axis " + std::to_string(a) + ": offset " + std::to_string(off) + " plus bottom 1's size " +
                       std::to_string(ref[i]) + " must fit in bottom 0's size " + std::to_string(d[i]) + " (bottoms " +
                       ctx.shape(0).to_string() + " and " + ctx.shape(1).to_string() + ")");
    }
    axes.push_back(a);
    begin.push_back(off);
    end.push_back(off + ref[i]);
  }
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Slice", {ctx.inputs[0]},
                                                  {{"axes", axes}, {"begin", begin}, {"end", end}}));
  return std::vector{out};
}

// Caffe's TileLayer repeats the bottom's block from `axis` on `tiles` times: a Concat of copies.
Result<std::vector<std::string>> import_tile(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::TileParameter& p = ctx.layer.tile_param();
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.axis(p.axis(), "axis"));
  if (!p.has_tiles() || p.tiles() < 1) {
    return ctx.error("field 'tiles' must be given and >= 1, got " + (p.has_tiles() ? std::to_string(p.tiles()) : std::string("none")));
  }
  if (p.tiles() == 1) {
    ctx.note("'tiles: 1' is the identity: no node is added");
    return std::vector{ctx.inputs[0]};
  }
  std::vector<std::string> copies(static_cast<std::size_t>(p.tiles()), ctx.inputs[0]);
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Concat", std::move(copies), {{"axis", axis}}));
  return std::vector{out};
}

// ---- resampling: ArgMax, Interp (PSPNet / DeepLab v2) and Upsample (the YOLOv3 ports' form).
// SegNet's Upsample, which un-pools with the mask of a two-top Pooling layer, is rejected: ingot's
// pooling ops have no argmax output for it to read.
namespace {

Status rank4(const LayerContext& ctx, std::size_t input = 0) {
  if (ctx.rank(input) == 4) return {};
  return ctx.unsupported_here("ingot resamples rank-4 NCHW blobs, got bottom " + std::to_string(input) + " of shape " +
                              ctx.shape(input).to_string());
}

// Interp's output size along one axis of effective (cropped) size `in`, by the one rule given.
std::int64_t interp_size(const caffe::InterpParameter& p, std::int64_t in, std::int64_t explicit_size) {
  if (p.has_zoom_factor()) return in + (in - 1) * (p.zoom_factor() - 1);
  if (p.has_shrink_factor()) return (in - 1) / p.shrink_factor() + 1;
  return explicit_size;
}

}  // namespace

// Caffe's ArgMaxLayer: the ArgMax op has its parameters and its shape rule.
Result<std::vector<std::string>> import_argmax(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::ArgMaxParameter& p = ctx.layer.argmax_param();
  if (p.top_k() < 1) return ctx.error("field 'top_k' must be >= 1, got " + std::to_string(p.top_k()));
  AttrMap attrs{{"top_k", static_cast<std::int64_t>(p.top_k())}, {"out_max_val", p.out_max_val()}};
  std::int64_t extent = 1;
  if (p.has_axis()) {
    INGOT_ASSIGN_OR_RETURN(const std::int64_t axis, ctx.axis(p.axis(), "axis"));
    attrs["axis"] = axis;
    extent = ctx.shape()[static_cast<std::size_t>(axis)];
  } else {
    for (std::int64_t a = 1; a < ctx.rank(); ++a) extent *= ctx.shape()[static_cast<std::size_t>(a)];
  }
  if (p.top_k() > extent) {
    return ctx.error("field 'top_k' must be at most the " + std::to_string(extent) + " values it ranks (" +
                     (p.has_axis() ? "along 'axis' " + std::to_string(p.axis()) : std::string("per sample, no 'axis'")) +
                     ", bottom " + ctx.shape().to_string() + "), got " + std::to_string(p.top_k()));
  }
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "ArgMax", ctx.inputs, std::move(attrs)));
  return std::vector{out};
}

// PSPNet's InterpLayer: crop by -pad_beg / -pad_end, then bilinear with aligned corners
// (caffe_cpu_interp2: src = dst * (in - 1) / (out - 1)) to a size from exactly one of
// zoom_factor, shrink_factor, height and width, or bottom 1's height and width.
Result<std::vector<std::string>> import_interp(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 2));
  INGOT_TRY(ctx.expect_tops(1));
  INGOT_TRY(rank4(ctx));
  const caffe::InterpParameter& p = ctx.layer.interp_param();
  if (p.interp_type() != "bilinear") {
    return ctx.unsupported_here("field 'interp_type' must be \"bilinear\", got \"" + p.interp_type() + "\"");
  }
  const bool explicit_size = p.has_height() && p.has_width();
  if (p.has_height() != p.has_width()) return ctx.error("fields 'height' and 'width' must be given together");
  const int specs = int{p.has_zoom_factor()} + int{p.has_shrink_factor()} + int{explicit_size} + int{ctx.inputs.size() == 2};
  if (specs != 1) {
    return ctx.error("give the output size by exactly one of 'zoom_factor', 'shrink_factor', 'height' and 'width', "
                     "or a second bottom, got " + std::to_string(specs));
  }
  if (p.has_zoom_factor() && p.zoom_factor() < 1) {
    return ctx.error("field 'zoom_factor' must be >= 1, got " + std::to_string(p.zoom_factor()));
  }
  if (p.has_shrink_factor() && p.shrink_factor() < 1) {
    return ctx.error("field 'shrink_factor' must be >= 1, got " + std::to_string(p.shrink_factor()));
  }
  if (p.pad_beg() > 0 || p.pad_end() > 0) {
    return ctx.unsupported_here("fields 'pad_beg' and 'pad_end' must be <= 0 (cropping), as in Caffe, got " +
                                std::to_string(p.pad_beg()) + " and " + std::to_string(p.pad_end()));
  }
  const Shape& x = ctx.shape();
  const std::int64_t h_in = x[2] + p.pad_beg() + p.pad_end(), w_in = x[3] + p.pad_beg() + p.pad_end();
  if (h_in < 1 || w_in < 1) {
    return ctx.error("fields 'pad_beg' " + std::to_string(p.pad_beg()) + " and 'pad_end' " + std::to_string(p.pad_end()) +
                     " crop bottom " + x.to_string() + " to nothing");
  }
  std::int64_t h_want = p.height(), w_want = p.width();
  if (ctx.inputs.size() == 2) {
    INGOT_TRY(rank4(ctx, 1));
    h_want = ctx.shape(1)[2];
    w_want = ctx.shape(1)[3];
  }
  const std::int64_t h_out = interp_size(p, h_in, h_want), w_out = interp_size(p, w_in, w_want);
  if (h_out < 1 || w_out < 1) {
    return ctx.error("the output height and width must be >= 1, got " + std::to_string(h_out) + " and " + std::to_string(w_out) +
                     (explicit_size ? " (fields 'height' and 'width')" : ""));
  }
  std::string v = ctx.inputs[0];
  if (h_in != x[2] || w_in != x[3]) {
    const std::int64_t b = -p.pad_beg();
    INGOT_ASSIGN_OR_RETURN(v, ctx.add(ctx.name("crop"), "Slice", {v},
                                      {{"axes", Ints{2, 3}}, {"begin", Ints{b, b}}, {"end", Ints{b + h_in, b + w_in}}}));
  }
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Resize", {v},
                                                  {{"sizes", Ints{h_out, w_out}},
                                                   {"mode", std::string("bilinear")},
                                                   {"coordinates", std::string("align_corners")},
                                                   {"layout", std::string("NCHW")}}));
  return std::vector{out};
}

// Upsample. One bottom with only 'scale': the YOLOv3 ports' layer, y[h][w] = x[h / scale][w / scale]
// (Resize nearest). Two bottoms, or SegNet's other fields: SegNet's max-unpooling, unsupported.
Result<std::vector<std::string>> import_upsample(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::UpsampleParameter& p = ctx.layer.upsample_param();
  if (ctx.inputs.size() == 2) {
    return ctx.unsupported_here("a second bottom (SegNet's max-unpooling Upsample, fed the mask top of a Pooling "
                                "layer) is not supported: ingot's pooling has no argmax mask output; only the "
                                "one-bottom nearest-neighbour Upsample (upsample_param { scale }) is");
  }
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  for (const auto& [set, field] : {std::pair{p.has_scale_h(), "scale_h"}, {p.has_scale_w(), "scale_w"},
                                   {p.has_pad_out_h(), "pad_out_h"}, {p.has_pad_out_w(), "pad_out_w"},
                                   {p.has_upsample_h(), "upsample_h"}, {p.has_upsample_w(), "upsample_w"}}) {
    if (set) {
      return ctx.unsupported_here("field " + quote(field) + " belongs to SegNet's max-unpooling Upsample, which needs "
                                  "the pooling mask as a second bottom and is not supported; the one-bottom "
                                  "Upsample takes only 'scale'");
    }
  }
  INGOT_TRY(rank4(ctx));
  if (p.scale() < 1) return ctx.error("field 'scale' must be >= 1, got " + std::to_string(p.scale()));
  const std::int64_t s = p.scale();
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Resize", ctx.inputs,
                                                  {{"scales", Ints{s, s}},
                                                   {"mode", std::string("nearest")},
                                                   {"layout", std::string("NCHW")}}));
  return std::vector{out};
}

}  // namespace ingot::caffe_import
