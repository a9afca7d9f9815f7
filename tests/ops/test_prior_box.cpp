// PriorBox (rykov8/ssd_keras): schema, shape rule, hand-checked priors, the numpy fixtures and
// the Keras oracle's priorbox_variants case.
#include <cmath>
#include <string>
#include <vector>

#include "ops/priors.h"
#include "ops/ssd_test_util.h"

namespace ingot {
namespace ops_test_prior_box {

using optest::fails_with;
using ssdtest::infer_shape;
using ssdtest::infer_status;
using F = std::vector<double>;

// Against numpy's float64 priors: the kernel computes in double and rounds once, so each value is
// within half a float32 ulp (2^-24 ~ 6e-8 relative) of numpy's, plus double noise from a
// different operation order (observed <= 4e-8 relative). Values are in [0, 1] or variances;
// atol covers clipped zeros.
constexpr double kRtol = 1e-7;
constexpr double kAtol = 1e-7;

AttrMap base(AttrMap extra = {}) {
  AttrMap a{{"img_size", F{300, 300}}, {"min_size", 30.0}};
  for (auto& [k, v] : extra) a[k] = v;
  return a;
}

TEST(PriorBoxSchema, ParametersAreTheKerasConstructorArguments) {
  const OpDef& def = optest::op("PriorBox");
  ssdtest::expect_documented("PriorBox");
  std::vector<std::string> names;
  for (const ParamSpec& p : def.schema.params) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"img_size", "min_size", "max_size", "aspect_ratios",
                                             "flip", "variances", "clip"}));
  EXPECT_TRUE(def.schema.find_param("img_size")->required);
  EXPECT_EQ(describe_constraints(*def.schema.find_param("img_size")), "float list, 2 elements");
  EXPECT_TRUE(def.schema.find_param("min_size")->required);
  const ParamSpec* max_size = def.schema.find_param("max_size");
  EXPECT_FALSE(max_size->required);
  EXPECT_FALSE(max_size->default_value);  // unset, as the original's None
  EXPECT_EQ(*def.schema.find_param("aspect_ratios")->default_value, AttrValue(F{}));
  EXPECT_EQ(*def.schema.find_param("flip")->default_value, AttrValue(true));
  EXPECT_EQ(*def.schema.find_param("variances")->default_value, AttrValue(F{0.1}));
  EXPECT_EQ(describe_constraints(*def.schema.find_param("variances")),
            "float list, 1 to 4 elements");
  EXPECT_EQ(*def.schema.find_param("clip")->default_value, AttrValue(true));
  EXPECT_NE(def.schema.find_param("clip")->doc.find("ignored"), std::string::npos);
  EXPECT_TRUE(optest::bind_status("PriorBox", base()).ok());
}

TEST(PriorBoxSchema, RejectsMissingMistypedAndMissizedParameters) {
  EXPECT_TRUE(fails_with(optest::bind_status("PriorBox", {{"min_size", 30.0}}),
                         {"parameter 'img_size' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(optest::bind_status("PriorBox", {{"img_size", F{300, 300}}}),
                         {"parameter 'min_size' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(optest::bind_status("PriorBox", base({{"img_size", F{300, 300, 3}}})),
                         {"parameter 'img_size' must have 2 elements", "got [300, 300, 3]"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("PriorBox", base({{"img_size", std::vector<std::int64_t>{300, 300}}})),
      {"parameter 'img_size' must be float list", "got int list [300, 300]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("PriorBox", base({{"variances", F{}}})),
                         {"parameter 'variances' must have 1 to 4 elements", "got []"}));
  EXPECT_TRUE(fails_with(optest::bind_status("PriorBox", base({{"variances", F{1, 1, 1, 1, 1}}})),
                         {"parameter 'variances' must have 1 to 4 elements"}));
  EXPECT_TRUE(fails_with(optest::bind_status("PriorBox", base({{"flip", std::int64_t{1}}})),
                         {"parameter 'flip' must be bool", "got int 1"}));
  EXPECT_TRUE(fails_with(optest::bind_status("PriorBox", base({{"max_size", std::string("60")}})),
                         {"parameter 'max_size' must be float", "got string"}));
  EXPECT_TRUE(fails_with(optest::bind_status("PriorBox", base({{"step", 8.0}})),
                         {"parameter 'step' is not a parameter of op 'PriorBox'"}));
}

TEST(PriorBoxShape, OutputIsBatchByPriorsByEight) {
  // Ratios 1, 1 (max_size), 2, 0.5: 4 priors on 3 x 5 positions.
  const AttrMap a = base({{"max_size", 60.0}, {"aspect_ratios", F{2}}});
  EXPECT_EQ(infer_shape("PriorBox", a, {2, 3, 5, 7}), (Shape{2, 60, 8}));
  EXPECT_EQ(infer_shape("PriorBox", a, {0, 3, 5, 7}), (Shape{0, 60, 8}));
  EXPECT_EQ(infer_shape("PriorBox", base(), {1, 1, 1, 1}), (Shape{1, 1, 8}));
  // flip=false: 1, 2, 3; an already expanded list: 1, 1, 2, 0.5.
  EXPECT_EQ(
      infer_shape("PriorBox", base({{"aspect_ratios", F{2, 3}}, {"flip", false}}), {1, 2, 2, 1}),
      (Shape{1, 12, 8}));
  EXPECT_EQ(infer_shape("PriorBox", base({{"max_size", 60.0}, {"aspect_ratios", F{1, 1, 2, 0.5}}}),
                        {1, 2, 2, 1}),
            (Shape{1, 16, 8}));
}

TEST(PriorBoxShape, AcceptsWhatTheOriginalAccepts) {
  // max_size == min_size passes the original's `max_size < min_size` check; 0 is falsy there.
  EXPECT_EQ(infer_shape("PriorBox", base({{"max_size", 30.0}}), {1, 2, 2, 1}), (Shape{1, 8, 8}));
  EXPECT_EQ(infer_shape("PriorBox", base({{"max_size", 0.0}}), {1, 2, 2, 1}), (Shape{1, 4, 8}));
  EXPECT_EQ(infer_shape("PriorBox", base({{"variances", F{0.1, 0.1, 0.2, 0.2}}}), {1, 2, 2, 1}),
            (Shape{1, 4, 8}));
}

TEST(PriorBoxShape, RejectsBadValuesWithTheParameterName) {
  const Shape x{1, 2, 2, 1};
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"img_size", F{300, 0}}}), x),
                         {"parameter 'img_size' elements must be > 0", "got [300, 0]"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"img_size", F{NAN, 300}}}), x),
                         {"parameter 'img_size' elements must be > 0"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"min_size", 0.0}}), x),
                         {"parameter 'min_size' must be > 0", "got 0"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"min_size", -4.0}}), x),
                         {"parameter 'min_size' must be > 0", "got -4"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"max_size", 20.0}}), x),
                         {"parameter 'max_size' must be finite and >= min_size 30", "got 20"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"max_size", -60.0}}), x),
                         {"parameter 'max_size' must be finite and >= min_size 30", "got -60"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"max_size", INFINITY}}), x),
                         {"parameter 'max_size' must be finite"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"aspect_ratios", F{2, 0}}}), x),
                         {"parameter 'aspect_ratios' elements must be > 0", "got [2, 0]"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"aspect_ratios", F{-2}}}), x),
                         {"parameter 'aspect_ratios' elements must be > 0", "got [-2]"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"variances", F{0.1, 0.2}}}), x),
                         {"parameter 'variances' must have 1 or 4 elements", "got [0.1, 0.2]"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base({{"variances", F{0.1, 0.2, 0.3}}}), x),
                         {"parameter 'variances' must have 1 or 4 elements"}));
}

TEST(PriorBoxShape, RejectsBadInputs) {
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base(), {1, 2, 2}),
                         {"input 0 must have rank 4", "got shape [1, 2, 2]"}));
  EXPECT_TRUE(fails_with(optest::infer("PriorBox", base(), {}, {{Shape{1, 2, 2, 1}, DType::i32}}),
                         {"input 0 must be f32", "got i32"}));
  EXPECT_TRUE(
      fails_with(infer_status("PriorBox", base(), {1, 0, 2, 1}),
                 {"input 0 height and width (NHWC) must be >= 1", "got shape [1, 0, 2, 1]"}));
  EXPECT_TRUE(fails_with(infer_status("PriorBox", base(), {1, 1 << 20, 1 << 20, 1}),
                         {"output must have at most 2^40 elements"}));
}

TEST(PriorBoxKernel, HandCheckedSquarePriorsOnOneRowOfTwoCells) {
  // img 100 x 100, feature 1 x 2: cx = linspace(25, 75, 2), cy = 50. Prior 0: 20 square
  // (half 10); prior 1: sqrt(20 * 45) = 30 square (half 15). Corners divided by 100.
  const AttrMap a{{"img_size", F{100, 100}}, {"min_size", 20.0}, {"max_size", 45.0}};
  const Tensor y =
      optest::run1("PriorBox", a, {}, {optest::tensor({1, 1, 2, 3}, std::vector<float>(6, 7.0f))});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 4, 8}, {0.15, 0.40, 0.35, 0.60, 0.1, 0.1, 0.1, 0.1,  //
                                                    0.10, 0.35, 0.40, 0.65, 0.1, 0.1, 0.1, 0.1,  //
                                                    0.65, 0.40, 0.85, 0.60, 0.1, 0.1, 0.1, 0.1,  //
                                                    0.60, 0.35, 0.90, 0.65, 0.1, 0.1, 0.1, 0.1},
                                kRtol, 0));
}

TEST(PriorBoxKernel, HandCheckedRatiosOnANonSquareImageForEveryBatchItem) {
  // img_size is (width 200, height 100); one cell: centre (100, 50). Ratios 1, 4, 1/4 of
  // min_size 40: 40 x 40, 80 x 20, 20 x 80. Four variances, written as given.
  const AttrMap a{{"img_size", F{200, 100}},
                  {"min_size", 40.0},
                  {"aspect_ratios", F{4}},
                  {"variances", F{0.1, 0.2, 0.3, 0.4}}};
  const std::vector<double> item{0.40, 0.3, 0.60, 0.7, 0.1, 0.2, 0.3, 0.4,  //
                                 0.30, 0.4, 0.70, 0.6, 0.1, 0.2, 0.3, 0.4,  //
                                 0.45, 0.1, 0.55, 0.9, 0.1, 0.2, 0.3, 0.4};
  std::vector<double> want = item;
  want.insert(want.end(), item.begin(), item.end());
  const Tensor y = optest::run1("PriorBox", a, {}, {optest::tensor({2, 1, 1, 1}, {1, -1})});
  EXPECT_TRUE(optest::all_close(y, Shape{2, 3, 8}, want, kRtol, 0));
}

TEST(PriorBoxKernel, AlwaysClipsWhateverClipSays) {
  // A 150 square around (100, 50) on 200 x 100: (25, -25, 175, 125) -> (0.125, 0, 0.875, 1).
  for (bool clip : {true, false}) {
    SCOPED_TRACE(clip);
    const AttrMap a{{"img_size", F{200, 100}}, {"min_size", 150.0}, {"clip", clip}};
    const Tensor y = optest::run1("PriorBox", a, {}, {optest::tensor({1, 1, 1, 1}, {0})});
    EXPECT_TRUE(
        optest::all_close(y, Shape{1, 1, 8}, {0.125, 0, 0.875, 1, 0.1, 0.1, 0.1, 0.1}, kRtol, 0));
  }
}

TEST(PriorBoxHelpers, AspectRatioExpansionAndTheFoldableTable) {
  ops::PriorBoxParams p;
  p.img_size = {300, 300};
  p.min_size = 30;
  p.variances = {0.1};
  EXPECT_EQ(ops::rykov8_aspect_ratios(p), (F{1}));
  p.max_size = 0.0;  // falsy in the original
  EXPECT_EQ(ops::rykov8_aspect_ratios(p), (F{1}));
  p.max_size = 60.0;
  p.aspect_ratios = {2, 0.5, 1, 3};
  EXPECT_EQ(ops::rykov8_aspect_ratios(p), (F{1, 1, 2, 0.5, 3, 1.0 / 3}));
  p.flip = false;
  EXPECT_EQ(ops::rykov8_aspect_ratios(p), (F{1, 1, 2, 0.5, 3}));
  // The helper is exactly what the kernel writes for each batch item.
  const AttrMap a = base({{"max_size", 60.0}, {"aspect_ratios", F{2, 0.5, 1, 3}}, {"flip", false}});
  const Tensor y =
      optest::run1("PriorBox", a, {}, {optest::tensor({2, 2, 3, 1}, std::vector<float>(12, 0))});
  std::vector<float> table = ops::rykov8_priors(p, 2, 3);
  ASSERT_EQ(table.size(), 2u * 3 * 5 * 8);
  table.insert(table.end(), table.begin(), table.end());
  EXPECT_TRUE(
      optest::all_close(y, Shape{2, 30, 8}, std::vector<double>(table.begin(), table.end()), 0, 0));
}

TEST(PriorBoxHelpers, LinspaceIsNumpys) {
  EXPECT_EQ(ops::linspace(25, 75, 2), (F{25, 75}));
  EXPECT_EQ(ops::linspace(50, 50, 1), (F{50}));
  EXPECT_EQ(ops::linspace(3, 7, 1), (F{3}));  // numpy returns start for a single point
  EXPECT_EQ(ops::linspace(0.1, 0.7, 4).back(), 0.7);
}

TEST(PriorBoxKernel, MatchesNumpy) {
  const std::vector<std::string> names{"min_only",
                                       "max_size_ratios_flip_4_variances",
                                       "noflip_nonsquare_image",
                                       "expanded_ratios_expand_to_themselves",
                                       "max_size_zero_is_unset_clip_false_ignored",
                                       "one_cell_boxes_past_the_border"};
  for (const auto& name : names) optest::expect_fixture("priorbox.json", name, kRtol, kAtol);
}

TEST(PriorBoxKernel, MatchesTheKerasOracleExactly) {
  // cases/priorbox_variants: the oracle computes in float64 and rounds once, as the kernel does,
  // with the same operations in the same order, so the float32 values agree bit for bit.
  const std::vector<std::string> names{"oracle_pb_min_only", "oracle_pb_noflip",
                                       "oracle_pb_noclip"};
  for (const auto& name : names) optest::expect_fixture("priorbox.json", name, 0, 0);
}

TEST(PriorBoxKernel, EveryFixtureCaseIsReplayed) {
  ssdtest::expect_cases_listed(
      "priorbox.json",
      {"min_only", "max_size_ratios_flip_4_variances", "noflip_nonsquare_image",
       "expanded_ratios_expand_to_themselves", "max_size_zero_is_unset_clip_false_ignored",
       "one_cell_boxes_past_the_border", "oracle_pb_min_only", "oracle_pb_noflip",
       "oracle_pb_noclip"});
}

}  // namespace ops_test_prior_box
}  // namespace ingot
