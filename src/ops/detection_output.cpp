// DetectionOutput: the SSD detection layer of Caffe (weiliu89/caffe, branch "ssd",
// src/caffe/layers/detection_output_layer.cpp, Forward_cpu, with DecodeBBox, JaccardOverlap and
// ApplyNMSFast of src/caffe/util/bbox_util.cpp). Parameter names are caffe.proto's
// DetectionOutputParameter fields, with nms_param's nms_threshold, top_k and eta flattened.
//
// Inputs: loc (N * P * L * 4 values, L = num_classes without share_location, else 1; per image
// prior by prior, per prior L boxes), conf (N * P * num_classes values, per image prior by prior)
// and the priors [1, 2, P * 4] of CaffePriorBox (row 0 corners, row 1 variances). N is loc's
// first dim. Per image, all in float as the original:
//   1. decode every loc box against its prior (no clipping: Forward_cpu passes clip false):
//      CORNER       prior corner + v * d               (v = 1 with variance_encoded_in_target)
//      CENTER_SIZE  centre = v * d * prior size + prior centre, size = exp(v * d) * prior size
//      CORNER_SIZE  prior corner + v * d * prior size;
//   2. per class c != background_label_id: the boxes scoring > confidence_threshold (unset: all,
//      the original's -FLT_MAX), by descending score, ties by lower prior index (the original's
//      std::stable_sort), cut to top_k; then greedy NMS: a box is kept when its IoU with every
//      box kept so far is <= the threshold, which starts at nms_threshold and, when eta < 1, is
//      multiplied by eta after each kept box while it is > 0.5 (adaptive NMS);
//      IoU is JaccardOverlap: 0 unless the boxes' intersection has width and height > 0; a box
//      with xmax < xmin or ymax < ymin has area 0;
//   3. with keep_top_k >= 0 and more than keep_top_k detections: the keep_top_k best by score
//      over all classes;
//   4. rows (image_id, label, score, xmin, ymin, xmax, ymax): images in order, labels ascending,
//      within a label in NMS order (or, after step 3, by descending score).
// Output [1, 1, rows, 7]; with no detection in any image, N rows (i, -1, -1, -1, -1, -1, -1).
// The shape rule gives the largest output: max(N, N * per image), per image = (classes other
// than the background) * min(top_k, P), at most keep_top_k; the kernel shrinks it.
//
// Decisions:
//   - Ties in step 3: the original uses std::sort (unspecified order for equal scores); this
//     uses a stable sort over (label ascending, NMS order), so equal scores keep that order.
//   - background_label_id -1 with share_location: Caffe's CPU forward skips decoding the shared
//     boxes (their label -1 equals the background id) and then aborts ("Could not find location
//     predictions"); this decodes them and treats every class as foreground, as Caffe's GPU
//     forward does.
//   - Caffe aborts on a prior of width or height <= 0 with CENTER_SIZE/CORNER_SIZE; priors are
//     data here, so they decode as the arithmetic gives.
//   - exp is taken in double on the float argument (the era's ::exp overload), rounded to float.
//
// OpenCV 4.6 (modules/dnn/src/layers/detection_output_layer.cpp), the peer of the model tests,
// differs: it sorts each image's rows by score over all classes (unless its group_by_classes);
// it always outputs N * keep_top_k rows, zero padded, so all-zero rows when nothing is found;
// keep_top_k, share_location and background_label_id have no defaults there and
// confidence_threshold defaults to 0; top_k 0 means all; eta is ignored; its caffe.proto lacks
// CORNER_SIZE (any code_type but CENTER_SIZE decodes as CORNER); it can clip decoded boxes (its
// own `clip` option); its prior centre is xmin + width * 0.5; with variance_encoded_in_target it
// wants priors [1, 1, P * 4]. Background -1 with shared boxes fails there as in Caffe's CPU code.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct DetectionOutputParams {
  std::int64_t num_classes = 0;
  bool share_location = true;
  std::int64_t background_label_id = 0;
  double nms_threshold = 0.3;
  std::int64_t top_k = -1;
  double eta = 1.0;
  std::string code_type;
  bool variance_encoded_in_target = false;
  std::int64_t keep_top_k = -1;
  std::optional<double> confidence_threshold;
};

// Sizes read from the inputs; infer and the kernel agree on them.
struct Geometry {
  std::int64_t images = 0, priors = 0, loc_classes = 0;
};

Geometry geometry(const DetectionOutputParams& p, const Shape& loc, const Shape& priors) {
  return {loc[0], priors[2] / 4, p.share_location ? 1 : p.num_classes};
}

bool is_background(const DetectionOutputParams& p, std::int64_t c) {
  return c == p.background_label_id;
}

// count == images * per_image, without overflowing.
bool count_matches(std::int64_t count, std::int64_t images, std::int64_t per_image) {
  if (images == 0) return count == 0;
  return count % images == 0 && count / images == per_image;
}

// " = <product>" when it is a valid element count, else nothing.
std::string product_text(std::int64_t images, std::int64_t per_image) {
  if (per_image != 0 && images > kMaxElements / per_image) return "";
  return " = " + std::to_string(images * per_image);
}

Result<std::vector<TensorInfo>> infer_detection_output(const DetectionOutputParams& p,
                                                       std::span<const TensorInfo> in) {
  if (!(p.eta > 0)) {
    return bad_input("parameter 'eta' must be in (0, 1], got " + attr_to_string(AttrValue(p.eta)));
  }
  for (std::size_t i = 0; i < 3; ++i) INGOT_TRY(ops::expect_f32(in, i));
  INGOT_TRY(ops::expect_rank(in, 2, 3));
  const Shape& priors = in[2].shape;
  if (priors[0] != 1 || priors[1] != 2 || priors[2] % 4 != 0) {
    return bad_input("input 2 (priors) must have shape [1, 2, P * 4] (CaffePriorBox), got shape " +
                     priors.to_string());
  }
  if (in[0].shape.rank() < 1) {
    return bad_input("input 0 (loc) must have rank >= 1 (N first), got shape " +
                     in[0].shape.to_string());
  }
  const Geometry g = geometry(p, in[0].shape, priors);
  // P <= 2^37 (the priors tensor holds 8 P values) and classes <= 2^20, so the per-image counts
  // fit; N times them may not, hence the comparisons by division.
  const std::int64_t loc_per_image = g.priors * g.loc_classes * 4;
  if (!count_matches(in[0].shape.num_elements(), g.images, loc_per_image)) {
    return bad_input("input 0 (loc) must have N * priors * " +
                     std::string(p.share_location ? "1 (share_location)" : "num_classes") +
                     " * 4 = " + std::to_string(g.images) + " * " + std::to_string(g.priors) +
                     " * " + std::to_string(g.loc_classes) + " * 4" +
                     product_text(g.images, loc_per_image) + " elements (P from input 2 " +
                     priors.to_string() + "), got shape " + in[0].shape.to_string());
  }
  const std::int64_t conf_per_image = g.priors * p.num_classes;
  if (!count_matches(in[1].shape.num_elements(), g.images, conf_per_image)) {
    return bad_input(
        "input 1 (conf) must have N * priors * num_classes = " + std::to_string(g.images) + " * " +
        std::to_string(g.priors) + " * " + std::to_string(p.num_classes) +
        product_text(g.images, conf_per_image) + " elements, got shape " + in[1].shape.to_string());
  }
  const bool bg_is_class = p.background_label_id >= 0 && p.background_label_id < p.num_classes;
  const std::int64_t classes = p.num_classes - (bg_is_class ? 1 : 0);
  const std::int64_t per_class = p.top_k >= 0 ? std::min(p.top_k, g.priors) : g.priors;
  std::int64_t per_image = classes * per_class;
  if (p.keep_top_k >= 0) per_image = std::min(per_image, p.keep_top_k);
  const Shape out{1, 1, std::max(g.images, g.images * per_image), 7};
  INGOT_TRY(ops::check_output_shape(out));
  return ops::single({out, DType::f32});
}

struct Box {
  float xmin, ymin, xmax, ymax;
};

// BBoxSize of a normalized box: 0 when inverted.
float box_size(const Box& b) {
  if (b.xmax < b.xmin || b.ymax < b.ymin) return 0.0f;
  return (b.xmax - b.xmin) * (b.ymax - b.ymin);
}

// JaccardOverlap (normalized): no overlap unless the intersection has positive width and height.
float jaccard(const Box& a, const Box& b) {
  if (b.xmin > a.xmax || b.xmax < a.xmin || b.ymin > a.ymax || b.ymax < a.ymin) return 0.0f;
  const float w = std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin);
  const float h = std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin);
  if (!(w > 0 && h > 0)) return 0.0f;
  const float inter = w * h;
  return inter / (box_size(a) + box_size(b) - inter);
}

Box decode(const DetectionOutputParams& p, const float* prior, const float* var, const float* d) {
  const bool enc = p.variance_encoded_in_target;
  const float v0 = enc ? 1.0f : var[0], v1 = enc ? 1.0f : var[1];
  const float v2 = enc ? 1.0f : var[2], v3 = enc ? 1.0f : var[3];
  // With variance_encoded_in_target Caffe has separate formulas without the variance factor;
  // multiplying by 1.0f is exact, so one formula serves both.
  if (p.code_type == "CORNER") {
    return {prior[0] + v0 * d[0], prior[1] + v1 * d[1], prior[2] + v2 * d[2], prior[3] + v3 * d[3]};
  }
  const float pw = prior[2] - prior[0], ph = prior[3] - prior[1];
  if (p.code_type == "CORNER_SIZE") {
    return {prior[0] + v0 * d[0] * pw, prior[1] + v1 * d[1] * ph, prior[2] + v2 * d[2] * pw,
            prior[3] + v3 * d[3] * ph};
  }
  const auto pcx = static_cast<float>((prior[0] + prior[2]) / 2.0);
  const auto pcy = static_cast<float>((prior[1] + prior[3]) / 2.0);
  const float cx = v0 * d[0] * pw + pcx, cy = v1 * d[1] * ph + pcy;
  const auto w = static_cast<float>(std::exp(static_cast<double>(v2 * d[2])) * pw);
  const auto h = static_cast<float>(std::exp(static_cast<double>(v3 * d[3])) * ph);
  return {static_cast<float>(cx - w / 2.0), static_cast<float>(cy - h / 2.0),
          static_cast<float>(cx + w / 2.0), static_cast<float>(cy + h / 2.0)};
}

// ApplyNMSFast for one class: the kept prior indices, in keeping order.
std::vector<std::int64_t> nms(const DetectionOutputParams& p, const std::vector<Box>& boxes,
                              const float* conf, std::int64_t stride) {
  const float threshold =
      p.confidence_threshold ? static_cast<float>(*p.confidence_threshold) : -FLT_MAX;
  std::vector<std::int64_t> order;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(boxes.size()); ++i) {
    if (conf[i * stride] > threshold) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return conf[a * stride] > conf[b * stride];
  });
  if (p.top_k >= 0 && p.top_k < static_cast<std::int64_t>(order.size())) order.resize(p.top_k);
  auto adaptive = static_cast<float>(p.nms_threshold);
  const auto eta = static_cast<float>(p.eta);
  std::vector<std::int64_t> kept;
  for (std::int64_t i : order) {
    const bool keep = std::all_of(kept.begin(), kept.end(), [&](std::int64_t j) {
      return jaccard(boxes[i], boxes[j]) <= adaptive;
    });
    if (!keep) continue;
    kept.push_back(i);
    if (eta < 1 && adaptive > 0.5f) adaptive *= eta;
  }
  return kept;
}

struct Detection {
  std::int64_t label;
  float score;
  Box box;
};

// Steps 1 to 3 for one image: its detections in output order.
std::vector<Detection> detect(const DetectionOutputParams& p, const Geometry& g, const float* loc,
                              const float* conf, const float* priors) {
  const float* variances = priors + g.priors * 4;
  std::vector<std::vector<Box>> boxes(static_cast<std::size_t>(g.loc_classes));
  for (std::int64_t l = 0; l < g.loc_classes; ++l) {
    if (!p.share_location && is_background(p, l)) continue;
    auto& out = boxes[static_cast<std::size_t>(l)];
    for (std::int64_t i = 0; i < g.priors; ++i) {
      out.push_back(
          decode(p, priors + i * 4, variances + i * 4, loc + (i * g.loc_classes + l) * 4));
    }
  }
  std::vector<Detection> found;
  for (std::int64_t c = 0; c < p.num_classes; ++c) {
    if (is_background(p, c)) continue;
    const float* scores = conf + c;
    const auto& class_boxes = boxes[static_cast<std::size_t>(p.share_location ? 0 : c)];
    for (std::int64_t i : nms(p, class_boxes, scores, p.num_classes)) {
      found.push_back({c, scores[i * p.num_classes], class_boxes[static_cast<std::size_t>(i)]});
    }
  }
  if (p.keep_top_k >= 0 && static_cast<std::int64_t>(found.size()) > p.keep_top_k) {
    std::stable_sort(found.begin(), found.end(),
                     [](const Detection& a, const Detection& b) { return a.score > b.score; });
    found.resize(static_cast<std::size_t>(p.keep_top_k));
    std::stable_sort(found.begin(), found.end(),
                     [](const Detection& a, const Detection& b) { return a.label < b.label; });
  }
  return found;
}

void detection_output_kernel(const DetectionOutputParams& p, const KernelArgs& args) {
  const Geometry g = geometry(p, args.inputs[0]->shape(), args.inputs[2]->shape());
  const float* loc = args.inputs[0]->data<float>().data();
  const float* conf = args.inputs[1]->data<float>().data();
  const float* priors = args.inputs[2]->data<float>().data();
  float* y = args.outputs[0]->mutable_data<float>().data();
  std::int64_t rows = 0;
  for (std::int64_t n = 0; n < g.images; ++n) {
    const std::vector<Detection> found = detect(p, g, loc + n * g.priors * g.loc_classes * 4,
                                                conf + n * g.priors * p.num_classes, priors);
    for (const Detection& d : found) {
      const float row[7] = {static_cast<float>(n),
                            static_cast<float>(d.label),
                            d.score,
                            d.box.xmin,
                            d.box.ymin,
                            d.box.xmax,
                            d.box.ymax};
      std::copy(row, row + 7, y + rows * 7);
      ++rows;
    }
  }
  if (rows == 0) {
    for (std::int64_t n = 0; n < g.images; ++n) {
      std::fill(y + n * 7, y + n * 7 + 7, -1.0f);
      y[n * 7] = static_cast<float>(n);
    }
    rows = g.images;
  }
  args.outputs[0]->shrink(Shape{1, 1, rows, 7});
}

}  // namespace

OpDef make_DetectionOutput_op() {
  using P = DetectionOutputParams;
  static const auto params =
      ParamList<P>()
          .required("num_classes", &P::num_classes, "classes scored per prior, background included")
          .range(1, 1 << 20)
          .optional("share_location", &P::share_location, true,
                    "one box per prior for all classes (true) or one per class (false)")
          .optional("background_label_id", &P::background_label_id, 0,
                    "class never reported (-1: none)")
          .range(-1, 1 << 20)
          .optional("nms_threshold", &P::nms_threshold, 0.3,
                    "NMS drops a box whose IoU with a kept box of its class is above this")
          .range(0, 1e6)
          .optional("top_k", &P::top_k, -1,
                    "boxes per class entering NMS, best first (-1: all); nms_param.top_k")
          .range(-1, 1 << 30)
          .optional("eta", &P::eta, 1.0,
                    "adaptive NMS: after each kept box a threshold above 0.5 is multiplied by eta; "
                    "in (0, 1], 1 keeps it fixed")
          .range(0, 1)
          .optional("code_type", &P::code_type, "CORNER", "how loc encodes a box against its prior")
          .choices({"CORNER", "CENTER_SIZE", "CORNER_SIZE"})
          .optional("variance_encoded_in_target", &P::variance_encoded_in_target, false,
                    "loc already includes the variances: the prior variances are not applied")
          .optional("keep_top_k", &P::keep_top_k, -1,
                    "detections per image kept over all classes, best first (-1: all)")
          .range(-1, 1 << 30)
          .optional("confidence_threshold", &P::confidence_threshold,
                    "a box enters NMS for a class only with a score above this (unset: every box)")
          .range(-1e30, 1e30);
  return make_op<P>(
      {.name = "DetectionOutput",
       .doc = "SSD box decoding, per-class NMS and keep-top-k (Caffe SSD DetectionOutput): loc, "
              "conf, priors -> [1, 1, rows, 7] rows (image_id, label, score, xmin, ymin, xmax, "
              "ymax); the row count depends on the data.",
       .min_inputs = 3,
       .max_inputs = 3,
       .variable_output = true},
      params, infer_detection_output, detection_output_kernel);
}

}  // namespace ingot
