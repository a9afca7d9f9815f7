// Resize: upsampling of a rank-4 NHWC or NCHW activation (Keras UpSampling2D, Caffe/ONNX-style
// Upsample/Resize, Caffe's Interp), by integer `scales` (output (H * scale_h, W * scale_w)) or
// to explicit output `sizes` (align_corners only: the one mapping defined by the sizes alone,
// exactly as with a scale). Each output row dst (columns likewise) maps to a source coordinate
// src in input rows, by `coordinates`:
//   asymmetric:    src = dst / scale                        (TF1 resize_*, old Keras UpSampling2D)
//   half_pixel:    src = max((dst + 0.5) / scale - 0.5, 0)  (TF2 tf.image.resize)
//   align_corners: src = dst * (in - 1) / (out - 1), 0 when out == 1  (align_corners=True)
// mode "nearest" reads row:
//   asymmetric:    floor(src)
//   half_pixel:    round half down of src, i.e. ceil(src - 0.5) (ONNX's round_prefer_floor),
//                  clamped to [0, in - 1]. With an integer scale src + 0.5 is never a whole
//                  number, so this equals TF2's floor((dst + 0.5) / scale) and both equal
//                  floor(dst / scale): plain repetition, as with asymmetric.
//   align_corners: round half up of src, i.e. floor(src + 0.5) (TF1's roundf), computed in
//                  integers so that exact ties, which do occur (in 3, scale 3: dst 2 -> 0.5),
//                  round the same way everywhere.
// mode "bilinear" blends rows lower = clamp(floor(src), 0, in - 1) and
// upper = min(lower + 1, in - 1) with weight t = src - floor(src):
//   top = a + (b - a) * tx, bottom = c + (d - c) * tx, y = top + (bottom - top) * ty
// (TF's order of operations), where a, b are (lower, left/right) and c, d (upper, left/right).
#include <algorithm>
#include <cmath>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace ops {

ResizeTap resize_source_tap(const ResizeParams& p, std::int64_t dst, std::int64_t in, std::int64_t out) {
  // Only reached with `scales` (infer allows `sizes` with align_corners alone): out = in * scale.
  const std::int64_t scale = std::max<std::int64_t>(out / in, 1);
  ResizeTap tap;
  if (p.mode == "nearest") {
    std::int64_t i = 0;
    if (p.coordinates == "asymmetric") {
      i = dst / scale;
    } else if (p.coordinates == "half_pixel") {
      const double src = (static_cast<double>(dst) + 0.5) / static_cast<double>(scale) - 0.5;
      i = static_cast<std::int64_t>(std::ceil(src - 0.5));
    } else if (out > 1) {  // align_corners: floor((dst * (in-1) + (out-1) / 2) / (out-1))
      i = (2 * dst * (in - 1) + (out - 1)) / (2 * (out - 1));
    }
    tap.lo = tap.hi = std::clamp<std::int64_t>(i, 0, in - 1);
    return tap;
  }
  double src = 0.0;
  if (p.coordinates == "asymmetric") {
    src = static_cast<double>(dst) / static_cast<double>(scale);
  } else if (p.coordinates == "half_pixel") {
    src = std::max((static_cast<double>(dst) + 0.5) / static_cast<double>(scale) - 0.5, 0.0);
  } else if (out > 1) {
    src = static_cast<double>(dst) * static_cast<double>(in - 1) / static_cast<double>(out - 1);
  }
  const double floor_src = std::floor(src);
  tap.lo = std::clamp<std::int64_t>(static_cast<std::int64_t>(floor_src), 0, in - 1);
  tap.hi = std::min(tap.lo + 1, in - 1);
  tap.t = static_cast<float>(src - floor_src);
  return tap;
}

}  // namespace ops

namespace {

using ops::ResizeParams;
using Tap = ops::ResizeTap;

Result<std::vector<TensorInfo>> infer_resize(const ResizeParams& p,
                                             std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  INGOT_TRY(ops::expect_rank(in, 0, 4));
  INGOT_TRY(ops::expect_dims_bounded(in, 0));
  const ops::Layout layout = ops::parse_layout(p.layout);
  const ops::ImageGeometry x = ops::image_geometry(in[0].shape, layout);
  if (x.h < 1 || x.w < 1) {
    return bad_input("input height and width must be >= 1, got " + std::to_string(x.h) + " and " +
                     std::to_string(x.w) + " (input " + in[0].shape.to_string() + ", layout " +
                     p.layout + ")");
  }
  if (p.scales.has_value() == p.sizes.has_value()) {
    return bad_input(std::string("parameters 'scales' and 'sizes': give exactly one, got ") +
                     (p.scales ? "both" : "neither"));
  }
  if (p.sizes && p.coordinates != "align_corners") {
    return bad_input("parameter 'sizes' needs coordinates \"align_corners\" (the other mappings are "
                     "defined by an integer scale), got \"" + p.coordinates + "\"");
  }
  // Dims <= 2^40 and scales <= 2^12 (sizes <= 2^20): no overflow before the element-count check.
  const Shape out = p.scales ? ops::image_shape(layout, x.n, x.h * (*p.scales)[0], x.w * (*p.scales)[1], x.c)
                             : ops::image_shape(layout, x.n, (*p.sizes)[0], (*p.sizes)[1], x.c);
  INGOT_TRY(ops::check_output_shape(out));
  return ops::single({out, DType::f32});
}

void resize_kernel(const ResizeParams& p, const KernelArgs& args) {
  // Nothing to write; returning also keeps stride products finite for shapes like [0, 2^30, 2^30].
  if (args.outputs[0]->num_elements() == 0) return;
  const ops::Layout layout = ops::parse_layout(p.layout);
  const ops::ImageGeometry xg = ops::image_geometry(args.inputs[0]->shape(), layout);
  const ops::ImageGeometry yg = ops::image_geometry(args.outputs[0]->shape(), layout);
  const auto x = args.inputs[0]->data<float>();
  auto y = args.outputs[0]->mutable_data<float>();
  const bool nearest = p.mode == "nearest";

  std::vector<Tap> cols(static_cast<std::size_t>(yg.w));
  for (std::int64_t ow = 0; ow < yg.w; ++ow) cols[ow] = ops::resize_source_tap(p, ow, xg.w, yg.w);
  for (std::int64_t n = 0; n < yg.n; ++n) {
    for (std::int64_t oh = 0; oh < yg.h; ++oh) {
      const Tap r = ops::resize_source_tap(p, oh, xg.h, yg.h);
      for (std::int64_t ow = 0; ow < yg.w; ++ow) {
        const Tap& q = cols[ow];
        for (std::int64_t c = 0; c < yg.c; ++c) {
          if (nearest) {  // a copy, so that inf and NaN pass through unblended
            y[yg.offset(n, oh, ow, c)] = x[xg.offset(n, r.lo, q.lo, c)];
            continue;
          }
          const float a = x[xg.offset(n, r.lo, q.lo, c)], b = x[xg.offset(n, r.lo, q.hi, c)];
          const float d0 = x[xg.offset(n, r.hi, q.lo, c)], d1 = x[xg.offset(n, r.hi, q.hi, c)];
          const float top = a + (b - a) * q.t;
          const float bottom = d0 + (d1 - d0) * q.t;
          y[yg.offset(n, oh, ow, c)] = top + (bottom - top) * r.t;
        }
      }
    }
  }
}

}  // namespace

OpDef make_Resize_op() {
  static const auto params =
      ParamList<ResizeParams>()
          .optional("scales", &ResizeParams::scales, "integer upsampling factors (h, w); this or 'sizes'")
          .range(1, 4096)
          .size(2)
          .optional("sizes", &ResizeParams::sizes,
                    "output height and width, with coordinates align_corners; this or 'scales'")
          .range(1, 1 << 20)
          .size(2)
          .optional("mode", &ResizeParams::mode, "nearest", "interpolation")
          .choices({"nearest", "bilinear"})
          .optional("coordinates", &ResizeParams::coordinates, "asymmetric",
                    "output-to-input coordinate mapping (asymmetric: Keras 2 / TF1; "
                    "half_pixel: TF2; align_corners: TF1 align_corners=True)")
          .choices({"asymmetric", "half_pixel", "align_corners"})
          .optional("layout", &ResizeParams::layout, "NHWC",
                    "activation layout of input and output")
          .choices(ops::layout_choices());
  return make_op<ResizeParams>(
      {.name = "Resize",
       // 2: 'sizes' added and 'scales' made optional; version 1 files (scales) read unchanged.
       .version = 2,
       .min_version = 1,
       .doc = "Integer-factor upsampling, or resizing to explicit sizes with aligned corners, "
              "nearest or bilinear, with a choice of coordinate mapping."},
      params, infer_resize, resize_kernel);
}

}  // namespace ingot
