// The default boxes of the two Keras SSD ports, PriorBox (rykov8/ssd_keras) and AnchorBoxes
// (pierluigiferrari/ssd_keras), and of Caffe SSD's PriorBox (CaffePriorBox, weiliu89/caffe). The
// boxes depend on the feature map's height and width (and the image size) and on the parameters
// only, never on the feature values, so an importer can fold them into a constant with these
// functions; the op kernels broadcast the same table over the batch.
//
// The Keras ports compute in double, as the originals' numpy code does, and round to float once
// at the end (Keras turns the float64 array into a float32 constant); the Caffe boxes follow the
// C++ original's float and double steps (see caffe_priors).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ingot/status.h"
#include "ingot/tensor.h"

namespace ingot::ops {

// numpy.linspace(start, stop, n) with endpoint=True, bit for bit: start + i * step with
// step = (stop - start) / (n - 1), the last point exactly stop; n == 1 gives {start}.
std::vector<double> linspace(double start, double stop, std::int64_t n);

// The boxes of `positions` feature positions, `per_position` boxes each and 8 values per box
// (4 coordinates, 4 variances), must fit in 2^40 elements; `unit` names the boxes ("priors").
Status check_box_count(std::int64_t positions, std::int64_t per_position, const char* unit);
// Input 0 of a Keras box layer: an f32 NHWC feature map with bounded dims, height and width >= 1.
Status expect_nhwc_feature_map(std::span<const TensorInfo> in);
// Writes one sample's boxes (`table`) into every sample of `out`, whose dim 0 is the batch:
// the boxes depend only on shapes, so each sample gets the same ones.
void repeat_per_sample(const std::vector<float>& table, Tensor& out);

// ----------------------------------------------------------------------------- PriorBox

struct PriorBoxParams {
  std::vector<double> img_size;  // (width, height)
  double min_size = 0.0;
  std::optional<double> max_size;
  std::vector<double> aspect_ratios;
  bool flip = true;
  std::vector<double> variances;
  bool clip = true;  // accepted and ignored: the original always clips
};

// The expanded aspect-ratio list, one entry per prior: 1; 1 again when max_size is set and
// non-zero (Python truthiness); then each given ratio not yet in the list, followed by its
// inverse when flip. An already expanded list ([1, 1, 2, 0.5]) therefore expands to itself.
std::vector<double> rykov8_aspect_ratios(const PriorBoxParams& p);

// The [feature_h * feature_w * num_priors, 8] prior table, row-major: feature rows (y) outer,
// then columns (x), then priors in rykov8_aspect_ratios order. Each row is xmin, ymin, xmax, ymax
// relative to img_size and clipped to [0, 1], then the 4 variances (one variance is repeated).
// `p` passed PriorBox's shape rule; feature_h, feature_w >= 1.
std::vector<float> rykov8_priors(const PriorBoxParams& p, std::int64_t feature_h,
                                 std::int64_t feature_w);

// ----------------------------------------------------------------------------- AnchorBoxes

struct AnchorBoxesParams {
  std::int64_t img_height = 0;
  std::int64_t img_width = 0;
  double this_scale = 0.0;
  double next_scale = 0.0;
  std::vector<double> aspect_ratios;
  bool two_boxes_for_ar1 = true;
  std::optional<std::vector<double>> this_steps;    // (h, w), or one value for both
  std::optional<std::vector<double>> this_offsets;  // (h, w), or one value for both
  bool clip_boxes = false;
  std::vector<double> variances;
  std::string coords;  // "centroids", "minmax" or "corners"
  bool normalize_coords = false;
};

// Boxes per feature-map cell: one per aspect ratio, plus one for ratio 1 with two_boxes_for_ar1.
std::int64_t anchor_boxes_per_cell(const AnchorBoxesParams& p);

// The [feature_h, feature_w, anchor_boxes_per_cell, 8] anchor table, row-major. Each box is 4
// coordinates in `coords` format, then the 4 variances. `p` passed AnchorBoxes' shape rule;
// feature_h, feature_w >= 1.
std::vector<float> pierluigi_anchors(const AnchorBoxesParams& p, std::int64_t feature_h,
                                     std::int64_t feature_w);

// ----------------------------------------------------------------------------- CaffePriorBox

// Caffe's PriorBoxParameter fields, as Caffe holds them (floats; 0 means unset where Caffe's
// forward pass tests for 0).
struct CaffePriorBoxParams {
  std::vector<float> min_size;
  std::vector<float> max_size;      // empty, or one per min_size
  std::vector<float> aspect_ratio;  // as given; see caffe_aspect_ratios
  bool flip = true;
  bool clip = false;
  std::vector<float> variance;  // empty (0.1), 1 or 4 values
  std::int64_t img_size = 0, img_h = 0, img_w = 0;
  float step = 0.0f, step_h = 0.0f, step_w = 0.0f;
  float offset = 0.5f;
};

// The expanded ratio list: 1 first, then each given ratio not within 1e-6 of one already listed,
// followed by float(1 / ar) with flip. Ratios within 1e-6 of 1 add no box (the 1 box exists).
std::vector<float> caffe_aspect_ratios(const CaffePriorBoxParams& p);

// Boxes per feature-map cell: per min_size one square, one sqrt(min * max) square with max_size,
// and one box per expanded ratio other than 1.
std::int64_t caffe_priors_per_cell(const CaffePriorBoxParams& p);

// The [2, feature_h * feature_w * priors_per_cell * 4] table of Caffe's PriorBox output (its
// leading dim 1 dropped): row 0 the corners (xmin, ymin, xmax, ymax) relative to the image, by
// feature row, column, then prior; row 1 the variances. img_h, img_w are the resolved image size
// (parameters or image input); `p` passed CaffePriorBox's shape rule; all sizes >= 1.
std::vector<float> caffe_priors(const CaffePriorBoxParams& p, std::int64_t feature_h,
                                std::int64_t feature_w, std::int64_t img_h, std::int64_t img_w);

}  // namespace ingot::ops
