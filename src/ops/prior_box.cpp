// PriorBox: the SSD prior (default) boxes of one feature map, as the Keras layer of
// rykov8/ssd_keras computes them (ssd_layers.py, commit a560b91e, 2017-03-07).
// Parameter names are that class's constructor arguments, so a saved Keras config binds as is.
//
// For an NHWC feature map of H x W (its values are never read), with (img_w, img_h) = img_size:
//   priors: the aspect ratios of ops::rykov8_aspect_ratios (1; 1 again with max_size; each given
//           ratio not yet listed, then its inverse with flip), num_priors of them;
//   sizes:  first ratio 1 -> min_size square; second ratio 1 -> sqrt(min_size * max_size)
//           square; ratio ar -> min_size * sqrt(ar) wide, min_size / sqrt(ar) high;
//   centres: cx = linspace(step_x / 2, img_w - step_x / 2, W) with step_x = img_w / W, and
//           likewise cy over H;
//   box:    ((cx - w/2) / img_w, (cy - h/2) / img_h, (cx + w/2) / img_w, (cy + h/2) / img_h),
//           always clipped to [0, 1] (the original sets self.clip = True whatever `clip` says);
//   then 1 variance repeated 4 times, or 4 variances.
// Output [N, H * W * num_priors, 8], ordered by feature row, column, prior; every batch item
// holds the same table. Computed in double and rounded to float once, as the original's numpy.
#include <algorithm>
#include <cmath>
#include <string>

#include "ops/common.h"
#include "ops/priors.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::PriorBoxParams;

Status expect_positive(const char* name, double v) {
  if (std::isfinite(v) && v > 0) return {};
  return bad_input("parameter " + quote(name) + " must be > 0, got " +
                   attr_to_string(AttrValue(v)));
}

Status check_params(const PriorBoxParams& p) {
  for (double v : p.img_size) {
    if (!(std::isfinite(v) && v > 0))
      return bad_input("parameter 'img_size' elements must be > 0, got " +
                       attr_to_string(p.img_size));
  }
  INGOT_TRY(expect_positive("min_size", p.min_size));
  // The original tests `if max_size:`, so 0 means "no max_size" there too.
  if (p.max_size && *p.max_size != 0.0 &&
      !(std::isfinite(*p.max_size) && *p.max_size >= p.min_size)) {
    return bad_input("parameter 'max_size' must be finite and >= min_size " +
                     attr_to_string(AttrValue(p.min_size)) + " when set (0 counts as unset), got " +
                     attr_to_string(AttrValue(*p.max_size)));
  }
  for (double ar : p.aspect_ratios) {
    if (!(std::isfinite(ar) && ar > 0))
      return bad_input("parameter 'aspect_ratios' elements must be > 0, got " +
                       attr_to_string(p.aspect_ratios));
  }
  if (p.variances.size() != 1 && p.variances.size() != 4) {
    return bad_input("parameter 'variances' must have 1 or 4 elements, got " +
                     attr_to_string(p.variances));
  }
  return {};
}

Result<std::vector<TensorInfo>> infer_prior_box(const PriorBoxParams& p,
                                                std::span<const TensorInfo> in) {
  INGOT_TRY(check_params(p));
  INGOT_TRY(ops::expect_nhwc_feature_map(in));
  const Shape& x = in[0].shape;
  // H * W <= 2^40 (dims bounded); the prior count is at most 2 + 2 * len(aspect_ratios).
  const auto num_priors = static_cast<std::int64_t>(ops::rykov8_aspect_ratios(p).size());
  INGOT_TRY(ops::check_box_count(x[1] * x[2], num_priors, "priors"));
  const Shape out{x[0], x[1] * x[2] * num_priors, 8};
  INGOT_TRY(ops::check_output_shape(out));
  return ops::single({out, DType::f32});
}

void prior_box_kernel(const PriorBoxParams& p, const KernelArgs& args) {
  const Shape& x = args.inputs[0]->shape();
  ops::repeat_per_sample(ops::rykov8_priors(p, x[1], x[2]), *args.outputs[0]);
}

}  // namespace

OpDef make_PriorBox_op() {
  static const auto params =
      ParamList<PriorBoxParams>()
          .required("img_size", &PriorBoxParams::img_size,
                    "network input size as (width, height) in pixels, each > 0; note the order")
          .size(2)
          .required("min_size", &PriorBoxParams::min_size,
                    "side of the first square prior in pixels; > 0")
          .optional("max_size", &PriorBoxParams::max_size,
                    "adds a second square prior of side sqrt(min_size * max_size); >= min_size "
                    "(unset or 0: no second square prior)")
          .optional("aspect_ratios", &PriorBoxParams::aspect_ratios, std::vector<double>{},
                    "extra aspect ratios (width / height), each > 0; 1 and repeats are skipped")
          .optional("flip", &PriorBoxParams::flip, true,
                    "also add 1 / ar for each ratio of aspect_ratios")
          .optional("variances", &PriorBoxParams::variances, std::vector<double>{0.1},
                    "box-decoding variances written after each box: 1 (used for all 4) or 4 "
                    "(x, y, w, h)")
          .size(1, 4)
          .optional("clip", &PriorBoxParams::clip, true,
                    "ignored: the original always clips boxes to [0, 1] whatever this says");
  return make_op<PriorBoxParams>(
      {.name = "PriorBox",
       .doc = "SSD prior boxes of a feature map (rykov8/ssd_keras PriorBox): [N, H*W*priors, 8] "
              "corners in [0, 1] and variances; reads only the input's shape.",
       .shape_only = true,
       // The constructor expands the ratios into self.aspect_ratios (flip applied) and never
       // stores flip; it keeps variances as a numpy array.
       .python_class = PythonClass{
           "rykov8/ssd_keras ssd_layers.py PriorBox",
           {{"aspect_ratios", "[float(r) for r in self.aspect_ratios]",
             "the constructor's expanded list (1, a second 1 with max_size, each ratio, its inverse with flip)"},
            {"flip", "False", "the saved ratios are expanded already: reloading must not flip them again"},
            {"variances", "[float(v) for v in self.variances]", "kept as a numpy array, which JSON cannot hold"}}}},
      params, infer_prior_box, prior_box_kernel);
}

}  // namespace ingot
