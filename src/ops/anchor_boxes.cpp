// AnchorBoxes: the SSD anchor boxes of one feature map, as the Keras layer of
// pierluigiferrari/ssd_keras computes them (keras_layers/keras_layer_AnchorBoxes.py and
// convert_coordinates of bounding_box_utils/bounding_box_utils.py, commit 3ac9adaf, 2018-05-10).
// Parameter names are that class's constructor arguments, so a saved Keras config binds as is.
//
// For an NHWC feature map of H x W (its values are never read), with size = min(img_height,
// img_width):
//   boxes:  per ratio ar in aspect_ratios: ar == 1 -> this_scale * size square, plus a
//           sqrt(this_scale * next_scale) * size square with two_boxes_for_ar1; other ar ->
//           this_scale * size * sqrt(ar) wide, this_scale * size / sqrt(ar) high;
//   centres: cy = linspace(off_h * step_h, (off_h + H - 1) * step_h, H), cx likewise over W,
//           with (step_h, step_w) = this_steps or (img_height / H, img_width / W) and
//           (off_h, off_w) = this_offsets or (0.5, 0.5);
//   then, in the original's order: centroids -> corners; with clip_boxes, a coordinate
//   >= the image side becomes side - 1, then one < 0 becomes 0; with normalize_coords, x /
//   img_width and y / img_height; finally corners -> coords: centroids (cx, cy, w, h), minmax
//   (xmin, xmax, ymin, ymax) or corners (xmin, ymin, xmax, ymax); then the 4 variances.
// Output [N, H, W, n_boxes, 8]; every batch item holds the same table. Computed in double and
// rounded to float once, as the original's numpy. The original's get_config does not save
// this_steps / this_offsets, so a reloaded Keras model always runs with them unset.
#include <algorithm>
#include <cmath>
#include <string>

#include "ops/common.h"
#include "ops/priors.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::AnchorBoxesParams;

Status check_params(const AnchorBoxesParams& p) {
  std::size_t ones = 0;
  for (double ar : p.aspect_ratios) {
    if (!(std::isfinite(ar) && ar > 0))
      return bad_input("parameter 'aspect_ratios' elements must be > 0, got " +
                       attr_to_string(p.aspect_ratios));
    ones += ar == 1.0;
  }
  // The original sizes its box tensor for one extra box in all, so a repeated 1 breaks it.
  if (p.two_boxes_for_ar1 && ones > 1) {
    return bad_input(
        "parameter 'aspect_ratios' must hold 1 at most once when two_boxes_for_ar1 "
        "is set, got " +
        attr_to_string(p.aspect_ratios));
  }
  for (double v : p.variances) {
    if (!(v > 0))
      return bad_input("parameter 'variances' elements must be > 0, got " +
                       attr_to_string(p.variances));
  }
  return {};
}

Result<std::vector<TensorInfo>> infer_anchor_boxes(const AnchorBoxesParams& p,
                                                   std::span<const TensorInfo> in) {
  INGOT_TRY(check_params(p));
  INGOT_TRY(ops::expect_nhwc_feature_map(in));
  const Shape& x = in[0].shape;
  const std::int64_t n_boxes = ops::anchor_boxes_per_cell(p);
  INGOT_TRY(ops::check_box_count(x[1] * x[2], n_boxes, "boxes"));
  const Shape out{x[0], x[1], x[2], n_boxes, 8};
  INGOT_TRY(ops::check_output_shape(out));
  return ops::single({out, DType::f32});
}

void anchor_boxes_kernel(const AnchorBoxesParams& p, const KernelArgs& args) {
  const Shape& x = args.inputs[0]->shape();
  ops::repeat_per_sample(ops::pierluigi_anchors(p, x[1], x[2]), *args.outputs[0]);
}

}  // namespace

OpDef make_AnchorBoxes_op() {
  static const auto params =
      ParamList<AnchorBoxesParams>()
          .required("img_height", &AnchorBoxesParams::img_height, "network input height in pixels")
          .min(1)
          .required("img_width", &AnchorBoxesParams::img_width, "network input width in pixels")
          .min(1)
          .required("this_scale", &AnchorBoxesParams::this_scale,
                    "box size of this feature map as a fraction of min(img_height, img_width)")
          .range(0, 1)
          .required("next_scale", &AnchorBoxesParams::next_scale,
                    "scale of the next feature map; sizes the second ratio-1 box")
          .min(0)
          .optional("aspect_ratios", &AnchorBoxesParams::aspect_ratios,
                    std::vector<double>{0.5, 1.0, 2.0},
                    "box aspect ratios (width / height), each > 0, one box each in this order")
          .size(1, 1 << 16)
          .optional("two_boxes_for_ar1", &AnchorBoxesParams::two_boxes_for_ar1, true,
                    "add a sqrt(this_scale * next_scale) square after the ratio-1 box")
          .optional("this_steps", &AnchorBoxesParams::this_steps,
                    "distance between box centres in pixels, (h, w) or one value for both "
                    "(unset: image size / feature map size; Keras never saves it)")
          .size(1, 2)
          .optional("this_offsets", &AnchorBoxesParams::this_offsets,
                    "first box centre in steps, (h, w) or one value for both (unset: 0.5; Keras "
                    "never saves it)")
          .size(1, 2)
          .optional("clip_boxes", &AnchorBoxesParams::clip_boxes, false,
                    "clamp box corners into the image: >= side becomes side - 1, < 0 becomes 0")
          .optional("variances", &AnchorBoxesParams::variances,
                    std::vector<double>{0.1, 0.1, 0.2, 0.2},
                    "box-decoding variances written after each box, each > 0")
          .size(4)
          .optional("coords", &AnchorBoxesParams::coords, "centroids",
                    "box format: centroids (cx, cy, w, h), minmax (xmin, xmax, ymin, ymax) or "
                    "corners (xmin, ymin, xmax, ymax)")
          .choices({"centroids", "minmax", "corners"})
          .optional("normalize_coords", &AnchorBoxesParams::normalize_coords, false,
                    "divide x by img_width and y by img_height (after clipping)");
  return make_op<AnchorBoxesParams>(
      {.name = "AnchorBoxes",
       .doc = "SSD anchor boxes of a feature map (pierluigiferrari/ssd_keras AnchorBoxes): "
              "[N, H, W, boxes, 8] coordinates and variances; reads only the input's shape.",
       .shape_only = true,
       // The class has a get_config(), but it leaves out this_steps and this_offsets.
       .python_class = PythonClass{
           "pierluigiferrari/ssd_keras keras_layers/keras_layer_AnchorBoxes.py AnchorBoxes",
           {{"aspect_ratios", "list(self.aspect_ratios)", "a list or tuple as given"},
            {"variances", "[float(v) for v in self.variances]", "kept as a numpy array, which JSON cannot hold"}}}},
      params, infer_anchor_boxes, anchor_boxes_kernel);
}

}  // namespace ingot
