// DecodeDetections (pierluigiferrari/ssd_keras): schema, shape rule, hand-checked decoding, NMS
// (strict IoU threshold, per class), confidence threshold, top-k order and padding, and the numpy
// fixtures (an independent float64 implementation in scripts/gen_op_fixtures_ssd.py).
#include <cmath>
#include <string>
#include <vector>

#include "ops/ssd_test_util.h"

namespace ingot {
namespace ops_test_decode_detections {

using optest::fails_with;
using optest::tensor;
using ssdtest::infer_shape;
using ssdtest::infer_status;
using I = std::int64_t;

// Hand-checked rows: confidences and class ids are copied, boxes are anchors (zero offsets) of
// small integers, so the only error is writing 0.9 for 0.9f: rtol 1e-7.
constexpr double kHandRtol = 1e-7;
// Against numpy's float64: the kernel decodes in float32 as TF does (a few roundings plus expf,
// ~4 ulps relative), boxes are then scaled to pixels (<= 80 here), and cx - w/2 can cancel:
// 1e-5 relative plus 1e-4 absolute (observed <= 1.1e-7 relative, 1e-5 absolute). Confidences
// and class ids are copied exactly; choosing a different box or order shifts values by far more
// (the generator keeps every compared IoU 1e-4 away from the threshold, so float32 and float64
// NMS agree).
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-4;

AttrMap pixels(AttrMap extra = {}) {
  extra["normalize_coords"] = false;
  return extra;
}

// Rows (bg, A, B, 4 zero offsets, anchor cx, cy, w, h, variances): the decoded box is the anchor.
//   b0 (0, 0, 4, 1)       A 0.9   B 0.05
//   b1 (0, 0, 2, 1)       A 0.8   B 0.6    IoU with b0 and b3: 2 / 4 = 0.5 exactly
//   b2 (10, 10, 12, 12)   A 0.7   B 0      background 0.99, never reported
//   b3 (0, 0, 4, 1)       A 0.01  B 0.7    A at the threshold 0.01: not above it
Tensor four_boxes(std::int64_t batch = 1) {
  const std::vector<float> rows{
      0.05f, 0.9f,  0.05f, 0, 0, 0, 0, 2,  0.5f, 4, 1, 0.1f, 0.1f, 0.2f, 0.2f,
      0.0f,  0.8f,  0.6f,  0, 0, 0, 0, 1,  0.5f, 2, 1, 0.1f, 0.1f, 0.2f, 0.2f,
      0.99f, 0.7f,  0.0f,  0, 0, 0, 0, 11, 11,   2, 2, 0.1f, 0.1f, 0.2f, 0.2f,
      0.2f,  0.01f, 0.7f,  0, 0, 0, 0, 2,  0.5f, 4, 1, 0.1f, 0.1f, 0.2f, 0.2f};
  std::vector<float> all;
  for (std::int64_t n = 0; n < batch; ++n) all.insert(all.end(), rows.begin(), rows.end());
  return tensor({batch, 4, 15}, all);
}

std::vector<double> padded(std::vector<double> rows, std::size_t top_k) {
  rows.resize(top_k * 6, 0.0);
  return rows;
}

TEST(DecodeDetectionsSchema, ParametersAreTheKerasConstructorArguments) {
  const OpDef& def = optest::op("DecodeDetections");
  ssdtest::expect_documented("DecodeDetections");
  std::vector<std::string> names;
  for (const ParamSpec& p : def.schema.params) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"confidence_thresh", "iou_threshold", "top_k",
                                             "nms_max_output_size", "coords", "normalize_coords",
                                             "img_height", "img_width"}));
  EXPECT_EQ(*def.schema.find_param("confidence_thresh")->default_value, AttrValue(0.01));
  EXPECT_EQ(*def.schema.find_param("iou_threshold")->default_value, AttrValue(0.45));
  EXPECT_EQ(*def.schema.find_param("top_k")->default_value, AttrValue(I{200}));
  EXPECT_EQ(*def.schema.find_param("nms_max_output_size")->default_value, AttrValue(I{400}));
  EXPECT_EQ(*def.schema.find_param("coords")->default_value, AttrValue(std::string("centroids")));
  EXPECT_EQ(*def.schema.find_param("normalize_coords")->default_value, AttrValue(true));
  for (const char* p : {"img_height", "img_width"}) {
    EXPECT_FALSE(def.schema.find_param(p)->required) << p;
    EXPECT_FALSE(def.schema.find_param(p)->default_value) << p;
  }
  for (const ParamSpec& p : def.schema.params) EXPECT_FALSE(p.required) << p.name;
  EXPECT_EQ(describe_constraints(*def.schema.find_param("iou_threshold")), "float in [0, 1]");
  EXPECT_EQ(describe_constraints(*def.schema.find_param("coords")), "string, one of \"centroids\"");
  EXPECT_TRUE(optest::bind_status("DecodeDetections", {}).ok());  // infer checks the image size
}

TEST(DecodeDetectionsSchema, RejectsOutOfRangeAndMistypedParameters) {
  auto bind = [](AttrMap a) { return optest::bind_status("DecodeDetections", a); };
  EXPECT_TRUE(fails_with(bind({{"iou_threshold", 1.5}}),
                         {"parameter 'iou_threshold' must be in [0, 1]", "got 1.5"}));
  EXPECT_TRUE(fails_with(bind({{"confidence_thresh", -0.1}}),
                         {"parameter 'confidence_thresh' must be in [0, 1]", "got -0.1"}));
  EXPECT_TRUE(fails_with(bind({{"top_k", I{-1}}}),
                         {"parameter 'top_k' must be in [0, 1073741824]", "got -1"}));
  EXPECT_TRUE(
      fails_with(bind({{"top_k", 200.0}}), {"parameter 'top_k' must be int", "got float 200"}));
  EXPECT_TRUE(fails_with(bind({{"nms_max_output_size", I{0}}}),
                         {"parameter 'nms_max_output_size' must be in [1, 1073741824]", "got 0"}));
  EXPECT_TRUE(fails_with(bind({{"coords", std::string("corners")}}),
                         {"parameter 'coords' must be one of \"centroids\"", "got \"corners\""}));
  EXPECT_TRUE(
      fails_with(bind({{"img_height", I{0}}}), {"parameter 'img_height' must be >= 1", "got 0"}));
  EXPECT_TRUE(fails_with(bind({{"img_width", 300.0}}),
                         {"parameter 'img_width' must be int", "got float 300"}));
  EXPECT_TRUE(fails_with(bind({{"normalize_coords", I{1}}}),
                         {"parameter 'normalize_coords' must be bool"}));
}

TEST(DecodeDetectionsShape, OutputIsBatchByTopKBySix) {
  const AttrMap sized{{"img_height", I{300}}, {"img_width", I{300}}};
  EXPECT_EQ(infer_shape("DecodeDetections", sized, {2, 10, 15}), (Shape{2, 200, 6}));
  EXPECT_EQ(infer_shape("DecodeDetections", pixels({{"top_k", I{7}}}), {1, 3, 13}),
            (Shape{1, 7, 6}));
  EXPECT_EQ(infer_shape("DecodeDetections", pixels({{"top_k", I{0}}}), {2, 3, 14}),
            (Shape{2, 0, 6}));
  EXPECT_EQ(infer_shape("DecodeDetections", pixels(), {1, 0, 14}), (Shape{1, 200, 6}));
}

TEST(DecodeDetectionsShape, RejectsAMissingImageSizeAndBadInputs) {
  EXPECT_TRUE(fails_with(
      infer_status("DecodeDetections", {{"img_width", I{300}}}, {1, 3, 15}),
      {"parameter 'img_height' is required when normalize_coords is true", "got nothing"}));
  EXPECT_TRUE(fails_with(
      infer_status("DecodeDetections", {{"img_height", I{300}}}, {1, 3, 15}),
      {"parameter 'img_width' is required when normalize_coords is true", "got nothing"}));
  EXPECT_TRUE(fails_with(infer_status("DecodeDetections", pixels(), {3, 15}),
                         {"input 0 must have rank 3", "got shape [3, 15]"}));
  EXPECT_TRUE(fails_with(
      infer_status("DecodeDetections", pixels(), {1, 3, 12}),
      {"input 0 last dim must be n_classes + 12 with n_classes >= 1", "got shape [1, 3, 12]"}));
  EXPECT_TRUE(
      fails_with(optest::infer("DecodeDetections", pixels(), {}, {{Shape{1, 3, 15}, DType::i32}}),
                 {"input 0 must be f32", "got i32"}));
  EXPECT_TRUE(fails_with(
      infer_status("DecodeDetections", pixels({{"top_k", I{1} << 30}}), {1 << 12, 3, 15}),
      {"infer output shape"}));
}

TEST(DecodeDetectionsKernel, HandCheckedNmsKeepsAnIouEqualToTheThreshold) {
  // iou_threshold 0.5: IoU 0.5 is not above it, so class A keeps b0, b1, b2. Class B sorts
  // b3 (0.7), b1 (0.6), b0 (0.05): b1 stays, b0 (IoU 1 with b3) goes. The tie at 0.7 keeps class
  // order (A before B); a zero row pads to top_k 6.
  const Tensor y = optest::run1(
      "DecodeDetections", pixels({{"iou_threshold", 0.5}, {"top_k", I{6}}}), {}, {four_boxes()});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 6, 6},
                                padded({1, 0.9, 0,  0,  4,  1,   //
                                        1, 0.8, 0,  0,  2,  1,   //
                                        1, 0.7, 10, 10, 12, 12,  //
                                        2, 0.7, 0,  0,  4,  1,   //
                                        2, 0.6, 0,  0,  2,  1},
                                       6),
                                kHandRtol, 0));
}

TEST(DecodeDetectionsKernel, HandCheckedDefaultIouSuppressesPerClassOnly) {
  // iou_threshold 0.45 < 0.5: b1 goes in both classes; b3 of class B survives although class A
  // kept the identical b0, since NMS runs per class. The second batch item gets the same rows.
  const Tensor y = optest::run1("DecodeDetections", pixels({{"top_k", I{4}}}), {}, {four_boxes(2)});
  const std::vector<double> item = padded({1, 0.9, 0, 0, 4, 1,      //
                                           1, 0.7, 10, 10, 12, 12,  //
                                           2, 0.7, 0, 0, 4, 1},
                                          4);
  std::vector<double> want = item;
  want.insert(want.end(), item.begin(), item.end());
  EXPECT_TRUE(optest::all_close(y, Shape{2, 4, 6}, want, kHandRtol, 0));
}

TEST(DecodeDetectionsKernel, HandCheckedNmsCapAndTopKCut) {
  // nms_max_output_size 1: the best box of each class only.
  Tensor y =
      optest::run1("DecodeDetections",
                   pixels({{"iou_threshold", 0.5}, {"nms_max_output_size", I{1}}, {"top_k", I{3}}}),
                   {}, {four_boxes()});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 3, 6},
                                padded({1, 0.9, 0, 0, 4, 1, 2, 0.7, 0, 0, 4, 1}, 3), kHandRtol, 0));
  // top_k 2 cuts after the two best of all classes.
  y = optest::run1("DecodeDetections", pixels({{"iou_threshold", 0.5}, {"top_k", I{2}}}), {},
                   {four_boxes()});
  EXPECT_TRUE(
      optest::all_close(y, Shape{1, 2, 6}, {1, 0.9, 0, 0, 4, 1, 1, 0.8, 0, 0, 2, 1}, kHandRtol, 0));
  // Above 0.75 only b0 and b1 of class A are left, and b1 overlaps b0 by 0.5 > 0.45.
  y = optest::run1("DecodeDetections", pixels({{"confidence_thresh", 0.75}, {"top_k", I{2}}}), {},
                   {four_boxes()});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 6}, padded({1, 0.9, 0, 0, 4, 1}, 2), kHandRtol, 0));
  // top_k 0 leaves nothing.
  y = optest::run1("DecodeDetections", pixels({{"top_k", I{0}}}), {}, {four_boxes()});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 0, 6}, {}, 0, 0));
}

TEST(DecodeDetectionsKernel, HandCheckedDecodingAndScalingToPixels) {
  // Anchor (0.5, 0.5, 0.2, 0.4), variances (0.1, 0.1, 0.2, 0.2), offsets (1, -1, 5, 0):
  //   cx = 1 * 0.1 * 0.2 + 0.5 = 0.52, cy = -1 * 0.1 * 0.4 + 0.5 = 0.46,
  //   w = exp(5 * 0.2) * 0.2 = 0.2e, h = exp(0) * 0.4 = 0.4;
  // corners (0.52 -+ 0.1e, 0.46 -+ 0.2) times (img_width 200, img_height 100).
  const Tensor x =
      tensor({1, 1, 14}, {0.1f, 0.9f, 1, -1, 5, 0, 0.5f, 0.5f, 0.2f, 0.4f, 0.1f, 0.1f, 0.2f, 0.2f});
  const double e = std::exp(1.0);
  const Tensor y =
      optest::run1("DecodeDetections",
                   {{"img_height", I{100}}, {"img_width", I{200}}, {"top_k", I{1}}}, {}, {x});
  // float32 decoding: a few ulps.
  EXPECT_TRUE(
      optest::all_close(y, Shape{1, 1, 6}, {1, 0.9, 104 - 20 * e, 26, 104 + 20 * e, 66}, 1e-6, 0));
  // Without normalize_coords the same box stays relative.
  const Tensor rel = optest::run1("DecodeDetections", pixels({{"top_k", I{1}}}), {}, {x});
  EXPECT_TRUE(optest::all_close(rel, Shape{1, 1, 6},
                                {1, 0.9, 0.52 - 0.1 * e, 0.26, 0.52 + 0.1 * e, 0.66}, 1e-6, 0));
}

TEST(DecodeDetectionsKernel, OnlyBackgroundMeansNoDetections) {
  const Tensor x = tensor({1, 1, 13}, {1, 0, 0, 0, 0, 0.5f, 0.5f, 1, 1, 0.1f, 0.1f, 0.2f, 0.2f});
  const Tensor y = optest::run1("DecodeDetections", pixels({{"top_k", I{2}}}), {}, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 6}, std::vector<double>(12, 0.0), 0, 0));
}

TEST(DecodeDetectionsKernel, MatchesNumpy) {
  for (const char* name : {"normalized_batch2_topk_cut", "pixels_nms_cap_zero_padded",
                           "defaults_with_image_size", "iou_0_7_confidence_0_02_batch2"}) {
    optest::expect_fixture("decodedetections.json", name, kRtol, kAtol);
  }
  ssdtest::expect_cases_listed("decodedetections.json",
                               {"normalized_batch2_topk_cut", "pixels_nms_cap_zero_padded",
                                "defaults_with_image_size", "iou_0_7_confidence_0_02_batch2"});
}

}  // namespace ops_test_decode_detections
}  // namespace ingot
