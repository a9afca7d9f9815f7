// DecodeDetections: the SSD output decoder of pierluigiferrari/ssd_keras
// (keras_layers/keras_layer_DecodeDetections.py, read at commit bd30eaa5; not part of the
// oracle), with the NMS and top-k semantics of the TF ops it calls; the Keras counterpart of
// Caffe's DetectionOutput. Parameter names are that class's constructor arguments, so a saved
// Keras config binds as is.
//
// Input [N, B, K + 12] per box: K class confidences (class 0 is the background), 4 predicted
// offsets (dcx, dcy, dw, dh), the anchor (acx, acy, aw, ah) and 4 variances (vcx, vcy, vw, vh),
// the layout of that repository's models. Per batch item, in float32 as TF computes it:
//   1. decode: cx = dcx * vcx * aw + acx, cy = dcy * vcy * ah + acy, w = exp(dw * vw) * aw,
//      h = exp(dh * vh) * ah; corners cx -+ 0.5 * w, cy -+ 0.5 * h; with normalize_coords,
//      x * img_width and y * img_height;
//   2. per class k = 1 .. K-1: keep boxes with confidence > confidence_thresh, then greedy NMS as
//      tf.image.non_max_suppression: by descending confidence (ties: lower box index first),
//      drop a box whose IoU with an already kept one is > iou_threshold (IoU 0 when either box
//      has no area), at most nms_max_output_size boxes;
//   3. all kept rows (class_id, confidence, xmin, ymin, xmax, ymax), class by class, then sorted
//      by descending confidence, stably (tf.nn.top_k's order), cut to top_k and zero padded.
// Output [N, top_k, 6]. The original pads every class to nms_max_output_size zero rows before
// the top-k; with confidence_thresh >= 0 every kept row has confidence > 0 and sorts ahead of
// those, so the result is the same without materializing them.
#include <algorithm>
#include <cmath>
#include <string>

#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct DecodeDetectionsParams {
  double confidence_thresh = 0.01;
  double iou_threshold = 0.45;
  std::int64_t top_k = 200;
  std::int64_t nms_max_output_size = 400;
  std::string coords;
  bool normalize_coords = true;
  std::optional<std::int64_t> img_height;
  std::optional<std::int64_t> img_width;
};

constexpr std::int64_t kBoxColumns = 12;  // offsets, anchor, variances

Result<std::vector<TensorInfo>> infer_decode_detections(const DecodeDetectionsParams& p,
                                                        std::span<const TensorInfo> in) {
  if (p.normalize_coords && (!p.img_height || !p.img_width)) {
    return bad_input(std::string("parameter ") + (p.img_height ? "'img_width'" : "'img_height'") +
                     " is required when normalize_coords is true (to scale the boxes back to "
                     "pixels), got nothing");
  }
  INGOT_TRY(ops::expect_f32(in, 0));
  INGOT_TRY(ops::expect_rank(in, 0, 3));
  const Shape& x = in[0].shape;
  if (x[2] < kBoxColumns + 1) {
    return bad_input(
        "input 0 last dim must be n_classes + 12 with n_classes >= 1 (class 0 is "
        "the background), got shape " +
        x.to_string());
  }
  const Shape out{x[0], p.top_k, 6};
  INGOT_TRY(ops::check_output_shape(out));
  return ops::single({out, DType::f32});
}

struct CornerBox {
  float xmin, ymin, xmax, ymax;
};

struct ScoredBox {
  float class_id, confidence;
  CornerBox box;
};

// tf.image.non_max_suppression's IoU, in float: corners ordered per axis, no area -> 0.
float iou(const CornerBox& a, const CornerBox& b) {
  const float ax0 = std::min(a.xmin, a.xmax), ax1 = std::max(a.xmin, a.xmax);
  const float ay0 = std::min(a.ymin, a.ymax), ay1 = std::max(a.ymin, a.ymax);
  const float bx0 = std::min(b.xmin, b.xmax), bx1 = std::max(b.xmin, b.xmax);
  const float by0 = std::min(b.ymin, b.ymax), by1 = std::max(b.ymin, b.ymax);
  const float area_a = (ay1 - ay0) * (ax1 - ax0);
  const float area_b = (by1 - by0) * (bx1 - bx0);
  if (area_a <= 0 || area_b <= 0) return 0.0f;
  const float inter = std::max(std::min(ay1, by1) - std::max(ay0, by0), 0.0f) *
                      std::max(std::min(ax1, bx1) - std::max(ax0, bx0), 0.0f);
  return inter / (area_a + area_b - inter);
}

std::vector<CornerBox> decode_boxes(const DecodeDetectionsParams& p, const float* rows,
                              std::int64_t n_boxes, std::int64_t row_size) {
  const float scale_x = p.normalize_coords ? static_cast<float>(*p.img_width) : 1.0f;
  const float scale_y = p.normalize_coords ? static_cast<float>(*p.img_height) : 1.0f;
  std::vector<CornerBox> boxes(static_cast<std::size_t>(n_boxes));
  for (std::int64_t i = 0; i < n_boxes; ++i) {
    const float* t = rows + i * row_size + row_size - kBoxColumns;
    const float cx = t[0] * t[8] * t[6] + t[4];
    const float cy = t[1] * t[9] * t[7] + t[5];
    const float w = std::exp(t[2] * t[10]) * t[6];
    const float h = std::exp(t[3] * t[11]) * t[7];
    CornerBox& b = boxes[static_cast<std::size_t>(i)];
    b = {cx - 0.5f * w, cy - 0.5f * h, cx + 0.5f * w, cy + 0.5f * h};
    if (p.normalize_coords) {
      b.xmin *= scale_x, b.xmax *= scale_x;
      b.ymin *= scale_y, b.ymax *= scale_y;
    }
  }
  return boxes;
}

// Confidence thresholding and NMS of one class, appending the kept boxes to `out`.
void select_class(const DecodeDetectionsParams& p, const float* rows, std::int64_t n_boxes,
                  std::int64_t row_size, std::int64_t k, const std::vector<CornerBox>& boxes,
                  std::vector<ScoredBox>& out) {
  const auto thresh = static_cast<float>(p.confidence_thresh);
  const auto iou_thresh = static_cast<float>(p.iou_threshold);
  auto conf = [&](std::int64_t i) { return rows[i * row_size + k]; };
  std::vector<std::int64_t> candidates;
  for (std::int64_t i = 0; i < n_boxes; ++i) {
    if (conf(i) > thresh) candidates.push_back(i);
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](std::int64_t a, std::int64_t b) { return conf(a) > conf(b); });
  std::vector<std::int64_t> kept;
  for (std::int64_t i : candidates) {
    if (static_cast<std::int64_t>(kept.size()) >= p.nms_max_output_size) break;
    const bool suppressed = std::any_of(kept.begin(), kept.end(), [&](std::int64_t j) {
      return iou(boxes[static_cast<std::size_t>(i)], boxes[static_cast<std::size_t>(j)]) >
             iou_thresh;
    });
    if (!suppressed) kept.push_back(i);
  }
  for (std::int64_t i : kept) {
    out.push_back({static_cast<float>(k), conf(i), boxes[static_cast<std::size_t>(i)]});
  }
}

void decode_detections_kernel(const DecodeDetectionsParams& p, const KernelArgs& args) {
  const Shape& s = args.inputs[0]->shape();
  const std::int64_t n_boxes = s[1], row_size = s[2], n_classes = row_size - kBoxColumns;
  const float* x = args.inputs[0]->data<float>().data();
  float* y = args.outputs[0]->mutable_data<float>().data();
  for (std::int64_t n = 0; n < s[0]; ++n) {
    const float* rows = x + n * n_boxes * row_size;
    const std::vector<CornerBox> boxes = decode_boxes(p, rows, n_boxes, row_size);
    std::vector<ScoredBox> found;
    for (std::int64_t k = 1; k < n_classes; ++k) {
      select_class(p, rows, n_boxes, row_size, k, boxes, found);
    }
    std::stable_sort(found.begin(), found.end(), [](const ScoredBox& a, const ScoredBox& b) {
      return a.confidence > b.confidence;
    });
    float* out = y + n * p.top_k * 6;
    for (std::int64_t r = 0; r < p.top_k; ++r, out += 6) {
      if (r < static_cast<std::int64_t>(found.size())) {
        const ScoredBox& d = found[static_cast<std::size_t>(r)];
        const float row[6] = {d.class_id, d.confidence, d.box.xmin,
                              d.box.ymin, d.box.xmax,   d.box.ymax};
        std::copy(row, row + 6, out);
      } else {
        std::fill(out, out + 6, 0.0f);
      }
    }
  }
}

}  // namespace

OpDef make_DecodeDetections_op() {
  static const auto params =
      ParamList<DecodeDetectionsParams>()
          .optional("confidence_thresh", &DecodeDetectionsParams::confidence_thresh, 0.01,
                    "a box enters NMS for a class only with a confidence above this")
          .range(0, 1)
          .optional("iou_threshold", &DecodeDetectionsParams::iou_threshold, 0.45,
                    "NMS drops a box whose IoU with a kept box of its class is above this")
          .range(0, 1)
          .optional("top_k", &DecodeDetectionsParams::top_k, 200,
                    "detections per image in the output, best first, zero rows after the last")
          .range(0, 1 << 30)
          .optional("nms_max_output_size", &DecodeDetectionsParams::nms_max_output_size, 400,
                    "boxes kept per class by NMS at most")
          .range(1, 1 << 30)
          .optional("coords", &DecodeDetectionsParams::coords, "centroids",
                    "box format of the model's offsets and anchors; the original supports only "
                    "centroids")
          .choices({"centroids"})
          .optional("normalize_coords", &DecodeDetectionsParams::normalize_coords, true,
                    "the anchors are relative (AnchorBoxes normalize_coords): scale the boxes "
                    "by img_width and img_height to pixels")
          .optional("img_height", &DecodeDetectionsParams::img_height,
                    "network input height in pixels; required when normalize_coords is true")
          .min(1)
          .optional("img_width", &DecodeDetectionsParams::img_width,
                    "network input width in pixels; required when normalize_coords is true")
          .min(1);
  return make_op<DecodeDetectionsParams>(
      {.name = "DecodeDetections",
       .doc = "SSD box decoding, per-class NMS and top-k (pierluigiferrari/ssd_keras "
              "DecodeDetections): [N, boxes, classes + 12] -> [N, top_k, 6] rows (class_id, "
              "confidence, xmin, ymin, xmax, ymax).",
       .python_class = PythonClass{"pierluigiferrari/ssd_keras keras_layers/keras_layer_DecodeDetections.py DecodeDetections", {}}},
      params, infer_decode_detections, decode_detections_kernel);
}

}  // namespace ingot
