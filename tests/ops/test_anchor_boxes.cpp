// AnchorBoxes (pierluigiferrari/ssd_keras): schema, shape rule, hand-checked anchors, the numpy
// fixtures and the Keras oracle's anchorboxes_corners_5d case.
#include <cmath>
#include <string>
#include <vector>

#include "ops/priors.h"
#include "ops/ssd_test_util.h"

namespace ingot {
namespace ops_test_anchor_boxes {

using optest::fails_with;
using ssdtest::infer_shape;
using ssdtest::infer_status;
using F = std::vector<double>;
using I = std::int64_t;

// Against numpy's float64 anchors: the kernel computes in double and rounds once, so each value is
// within half a float32 ulp (2^-24 ~ 6e-8 relative) of numpy's, plus double noise from a
// different operation order (observed <= 5.3e-8 relative). Pixel values reach a few hundred;
// atol covers clipped zeros.
constexpr double kRtol = 1e-7;
constexpr double kAtol = 1e-7;

AttrMap base(AttrMap extra = {}) {
  AttrMap a{
      {"img_height", I{100}}, {"img_width", I{100}}, {"this_scale", 0.2}, {"next_scale", 0.45}};
  for (auto& [k, v] : extra) a[k] = v;
  return a;
}

Tensor feature(const Shape& shape) {
  return Tensor::from_floats(
      shape, std::vector<float>(static_cast<std::size_t>(shape.num_elements()), 3.0f));
}

TEST(AnchorBoxesSchema, ParametersAreTheKerasConstructorArguments) {
  const OpDef& def = optest::op("AnchorBoxes");
  ssdtest::expect_documented("AnchorBoxes");
  std::vector<std::string> names;
  for (const ParamSpec& p : def.schema.params) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"img_height", "img_width", "this_scale", "next_scale",
                                             "aspect_ratios", "two_boxes_for_ar1", "this_steps",
                                             "this_offsets", "clip_boxes", "variances", "coords",
                                             "normalize_coords"}));
  for (const char* p : {"img_height", "img_width", "this_scale", "next_scale"})
    EXPECT_TRUE(def.schema.find_param(p)->required) << p;
  EXPECT_EQ(describe_constraints(*def.schema.find_param("img_height")), "int >= 1");
  EXPECT_EQ(describe_constraints(*def.schema.find_param("this_scale")), "float in [0, 1]");
  EXPECT_EQ(describe_constraints(*def.schema.find_param("next_scale")), "float >= 0");
  EXPECT_EQ(*def.schema.find_param("aspect_ratios")->default_value, AttrValue(F{0.5, 1.0, 2.0}));
  EXPECT_EQ(*def.schema.find_param("two_boxes_for_ar1")->default_value, AttrValue(true));
  EXPECT_FALSE(def.schema.find_param("this_steps")->default_value);
  EXPECT_FALSE(def.schema.find_param("this_offsets")->default_value);
  EXPECT_EQ(*def.schema.find_param("clip_boxes")->default_value, AttrValue(false));
  EXPECT_EQ(*def.schema.find_param("variances")->default_value, AttrValue(F{0.1, 0.1, 0.2, 0.2}));
  EXPECT_EQ(*def.schema.find_param("coords")->default_value, AttrValue(std::string("centroids")));
  EXPECT_EQ(describe_constraints(*def.schema.find_param("coords")),
            "string, one of \"centroids\", \"minmax\", \"corners\"");
  EXPECT_EQ(*def.schema.find_param("normalize_coords")->default_value, AttrValue(false));
  EXPECT_TRUE(optest::bind_status("AnchorBoxes", base()).ok());
  // The original's own bounds: this_scale in [0, 1], next_scale >= 0, both ends included.
  EXPECT_TRUE(
      optest::bind_status("AnchorBoxes", base({{"this_scale", 0.0}, {"next_scale", 0.0}})).ok());
  EXPECT_TRUE(
      optest::bind_status("AnchorBoxes", base({{"this_scale", 1.0}, {"next_scale", 3.0}})).ok());
}

TEST(AnchorBoxesSchema, RejectsMissingMistypedOutOfRangeAndMissizedParameters) {
  EXPECT_TRUE(fails_with(optest::bind_status("AnchorBoxes", {{"img_height", I{100}}}),
                         {"parameter 'img_width' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(optest::bind_status("AnchorBoxes", base({{"img_height", I{0}}})),
                         {"parameter 'img_height' must be >= 1", "got 0"}));
  EXPECT_TRUE(fails_with(optest::bind_status("AnchorBoxes", base({{"img_width", 100.0}})),
                         {"parameter 'img_width' must be int", "got float 100"}));
  EXPECT_TRUE(fails_with(optest::bind_status("AnchorBoxes", base({{"this_scale", 1.5}})),
                         {"parameter 'this_scale' must be in [0, 1]", "got 1.5"}));
  EXPECT_TRUE(fails_with(optest::bind_status("AnchorBoxes", base({{"next_scale", -0.1}})),
                         {"parameter 'next_scale' must be >= 0", "got -0.1"}));
  EXPECT_TRUE(fails_with(optest::bind_status("AnchorBoxes", base({{"aspect_ratios", F{}}})),
                         {"parameter 'aspect_ratios' must have 1 to 65536 elements", "got []"}));
  EXPECT_TRUE(fails_with(optest::bind_status("AnchorBoxes", base({{"this_steps", F{8, 8, 8}}})),
                         {"parameter 'this_steps' must have 1 to 2 elements", "got [8, 8, 8]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("AnchorBoxes", base({{"this_offsets", 0.5}})),
                         {"parameter 'this_offsets' must be float list", "got float 0.5"}));
  EXPECT_TRUE(
      fails_with(optest::bind_status("AnchorBoxes", base({{"variances", F{0.1, 0.1, 0.2}}})),
                 {"parameter 'variances' must have 4 elements", "got [0.1, 0.1, 0.2]"}));
  EXPECT_TRUE(
      fails_with(optest::bind_status("AnchorBoxes", base({{"coords", std::string("xywh")}})),
                 {"parameter 'coords' must be one of \"centroids\", \"minmax\", \"corners\"",
                  "got \"xywh\""}));
  EXPECT_TRUE(
      fails_with(optest::bind_status("AnchorBoxes", base({{"clip_boxes", std::string("yes")}})),
                 {"parameter 'clip_boxes' must be bool"}));
}

TEST(AnchorBoxesShape, OutputIsBatchHeightWidthBoxesEight) {
  EXPECT_EQ(infer_shape("AnchorBoxes", base(), {2, 4, 5, 7}), (Shape{2, 4, 5, 4, 8}));
  EXPECT_EQ(infer_shape("AnchorBoxes", base({{"two_boxes_for_ar1", false}}), {2, 4, 5, 7}),
            (Shape{2, 4, 5, 3, 8}));
  EXPECT_EQ(infer_shape("AnchorBoxes", base({{"aspect_ratios", F{2, 3}}}), {0, 1, 1, 1}),
            (Shape{0, 1, 1, 2, 8}));
  // A repeated 1 is fine without the second box (the original counts one box per ratio).
  EXPECT_EQ(
      infer_shape("AnchorBoxes", base({{"aspect_ratios", F{1, 1}}, {"two_boxes_for_ar1", false}}),
                  {1, 2, 2, 1}),
      (Shape{1, 2, 2, 2, 8}));
}

TEST(AnchorBoxesShape, RejectsBadValuesAndInputs) {
  const Shape x{1, 2, 2, 1};
  EXPECT_TRUE(fails_with(infer_status("AnchorBoxes", base({{"aspect_ratios", F{1, 0}}}), x),
                         {"parameter 'aspect_ratios' elements must be > 0", "got [1, 0]"}));
  EXPECT_TRUE(fails_with(infer_status("AnchorBoxes", base({{"aspect_ratios", F{-0.5}}}), x),
                         {"parameter 'aspect_ratios' elements must be > 0", "got [-0.5]"}));
  EXPECT_TRUE(
      fails_with(infer_status("AnchorBoxes", base({{"aspect_ratios", F{1, 2, 1}}}), x),
                 {"parameter 'aspect_ratios' must hold 1 at most once when two_boxes_for_ar1",
                  "got [1, 2, 1]"}));
  EXPECT_TRUE(fails_with(infer_status("AnchorBoxes", base({{"variances", F{0.1, 0, 0.2, 0.2}}}), x),
                         {"parameter 'variances' elements must be > 0", "got [0.1, 0, 0.2, 0.2]"}));
  EXPECT_TRUE(fails_with(infer_status("AnchorBoxes", base(), {1, 2, 2, 1, 1}),
                         {"input 0 must have rank 4", "got shape [1, 2, 2, 1, 1]"}));
  EXPECT_TRUE(fails_with(optest::infer("AnchorBoxes", base(), {}, {{x, DType::f16}}),
                         {"input 0 must be f32", "got f16"}));
  EXPECT_TRUE(
      fails_with(infer_status("AnchorBoxes", base(), {1, 2, 0, 1}),
                 {"input 0 height and width (NHWC) must be >= 1", "got shape [1, 2, 0, 1]"}));
  EXPECT_TRUE(fails_with(infer_status("AnchorBoxes", base(), {1, 1 << 20, 1 << 20, 1}),
                         {"output must have at most 2^40 elements"}));
}

// One cell of a 100 x 100 image, centre (50, 50); scale 0.2 of 100: ratio 1 -> 20 x 20, the
// second ratio-1 box sqrt(0.2 * 0.45) * 100 = 30 x 30, ratio 4 -> 40 x 10.
TEST(AnchorBoxesKernel, HandCheckedFormats) {
  const AttrMap a = base({{"aspect_ratios", F{1, 4}}});
  const std::vector<double> var{0.1, 0.1, 0.2, 0.2};
  auto with_var = [&](std::vector<double> boxes) {
    std::vector<double> out;
    for (std::size_t i = 0; i < boxes.size(); i += 4) {
      out.insert(out.end(), boxes.begin() + static_cast<std::ptrdiff_t>(i),
                 boxes.begin() + static_cast<std::ptrdiff_t>(i + 4));
      out.insert(out.end(), var.begin(), var.end());
    }
    return out;
  };
  const Tensor x = feature({1, 1, 1, 2});
  EXPECT_TRUE(optest::all_close(optest::run1("AnchorBoxes", a, {}, {x}), Shape{1, 1, 1, 3, 8},
                                with_var({50, 50, 20, 20, 50, 50, 30, 30, 50, 50, 40, 10}), kRtol,
                                0));
  AttrMap corners = a;
  corners["coords"] = std::string("corners");
  EXPECT_TRUE(optest::all_close(optest::run1("AnchorBoxes", corners, {}, {x}), Shape{1, 1, 1, 3, 8},
                                with_var({40, 40, 60, 60, 35, 35, 65, 65, 30, 45, 70, 55}), kRtol,
                                0));
  AttrMap minmax = a;
  minmax["coords"] = std::string("minmax");
  EXPECT_TRUE(optest::all_close(optest::run1("AnchorBoxes", minmax, {}, {x}), Shape{1, 1, 1, 3, 8},
                                with_var({40, 60, 40, 60, 35, 65, 35, 65, 30, 70, 45, 55}), kRtol,
                                0));
}

TEST(AnchorBoxesKernel, HandCheckedClipThenNormalizeThenCentroids) {
  // Image 60 high, 100 wide; one cell at (50, 30); scale 1 of min side 60: corners
  // (20, 0, 80, 60). Clipping turns ymax 60 (>= 60) into 59, then normalizing divides x by 100 and
  // y by 60: (0.2, 0, 0.8, 59/60); as centroids (0.5, 59/120, 0.6, 59/60).
  const AttrMap a{{"img_height", I{60}}, {"img_width", I{100}},      {"this_scale", 1.0},
                  {"next_scale", 1.0},   {"aspect_ratios", F{1}},    {"two_boxes_for_ar1", false},
                  {"clip_boxes", true},  {"normalize_coords", true}, {"variances", F{1, 2, 3, 4}}};
  const Tensor y = optest::run1("AnchorBoxes", a, {}, {feature({2, 1, 1, 1})});
  const std::vector<double> box{0.5, 59.0 / 120, 0.6, 59.0 / 60, 1, 2, 3, 4};
  std::vector<double> want = box;
  want.insert(want.end(), box.begin(), box.end());  // the same for each batch item
  EXPECT_TRUE(optest::all_close(y, Shape{2, 1, 1, 1, 8}, want, kRtol, 0));
}

TEST(AnchorBoxesKernel, HandCheckedStepsAndOffsets) {
  // 2 x 3 cells, steps (h 10, w 20), offsets (h 0, w 1): cy = linspace(0, 10, 2),
  // cx = linspace(20, 60, 3); one 10 x 10 box per cell, as centroids.
  AttrMap a{{"img_height", I{100}},    {"img_width", I{100}},     {"this_scale", 0.1},
            {"next_scale", 0.2},       {"aspect_ratios", F{1}},   {"two_boxes_for_ar1", false},
            {"this_steps", F{10, 20}}, {"this_offsets", F{0, 1}}, {"variances", F{1, 1, 1, 1}}};
  auto centres = [](std::vector<double> xy) {
    std::vector<double> out;
    for (std::size_t i = 0; i < xy.size(); i += 2)
      out.insert(out.end(), {xy[i], xy[i + 1], 10, 10, 1, 1, 1, 1});
    return out;
  };
  EXPECT_TRUE(optest::all_close(optest::run1("AnchorBoxes", a, {}, {feature({1, 2, 3, 1})}),
                                Shape{1, 2, 3, 1, 8},
                                centres({20, 0, 40, 0, 60, 0, 20, 10, 40, 10, 60, 10}), kRtol, 0));
  // One value serves both axes: step 10, offset 0.5.
  a["this_steps"] = F{10};
  a["this_offsets"] = F{0.5};
  EXPECT_TRUE(optest::all_close(optest::run1("AnchorBoxes", a, {}, {feature({1, 2, 3, 1})}),
                                Shape{1, 2, 3, 1, 8},
                                centres({5, 5, 15, 5, 25, 5, 5, 15, 15, 15, 25, 15}), kRtol, 0));
}

TEST(AnchorBoxesHelpers, TheFoldableTableIsWhatTheKernelWrites) {
  ops::AnchorBoxesParams p;
  p.img_height = 120, p.img_width = 200, p.this_scale = 0.5, p.next_scale = 0.8;
  p.aspect_ratios = {1, 2, 0.5};
  p.variances = {0.1, 0.1, 0.2, 0.2};
  p.coords = "centroids";
  p.clip_boxes = true;
  EXPECT_EQ(ops::anchor_boxes_per_cell(p), 4);
  const std::vector<float> table = ops::pierluigi_anchors(p, 3, 4);
  ASSERT_EQ(table.size(), 3u * 4 * 4 * 8);
  const AttrMap a{{"img_height", I{120}}, {"img_width", I{200}},           {"this_scale", 0.5},
                  {"next_scale", 0.8},    {"aspect_ratios", F{1, 2, 0.5}}, {"clip_boxes", true}};
  EXPECT_TRUE(optest::all_close(optest::run1("AnchorBoxes", a, {}, {feature({1, 3, 4, 1})}),
                                Shape{1, 3, 4, 4, 8},
                                std::vector<double>(table.begin(), table.end()), 0, 0));
}

TEST(AnchorBoxesKernel, MatchesNumpy) {
  for (const char* name :
       {"defaults_centroids", "clip_normalize_centroids_batch2",
        "minmax_two_value_steps_and_offsets", "corners_one_value_steps_offsets_normalized",
        "one_cell_full_scale_clipped"}) {
    optest::expect_fixture("anchorboxes.json", name, kRtol, kAtol);
  }
}

TEST(AnchorBoxesKernel, MatchesTheKerasOracleExactly) {
  // cases/anchorboxes_corners_5d: the oracle computes in float64 and rounds once, as the kernel
  // does, with the same operations in the same order, so the float32 values agree bit for bit.
  optest::expect_fixture("anchorboxes.json", "oracle_anchors_corners", 0, 0);
  optest::expect_fixture("anchorboxes.json", "oracle_anchors_default", 0, 0);
}

TEST(AnchorBoxesKernel, EveryFixtureCaseIsReplayed) {
  ssdtest::expect_cases_listed(
      "anchorboxes.json",
      {"defaults_centroids", "clip_normalize_centroids_batch2",
       "minmax_two_value_steps_and_offsets", "corners_one_value_steps_offsets_normalized",
       "one_cell_full_scale_clipped", "oracle_anchors_corners", "oracle_anchors_default"});
}

}  // namespace ops_test_anchor_boxes
}  // namespace ingot
