// CaffePriorBox (Caffe SSD PriorBox): schema, shape rule, hand-checked priors (order, truncated
// sizes, steps, offset, clip, variances, image size from parameters or input 1), the helpers, and
// the numpy fixtures of scripts/gen_op_fixtures_caffe.py.
#include <cmath>
#include <string>
#include <vector>

#include "ops/priors.h"
#include "ops/ssd_test_util.h"

namespace ingot {
namespace ops_test_caffe_prior_box {

using optest::fails_with;
using optest::tensor;
using F = std::vector<double>;
using I = std::int64_t;

// Hand-checked values are decimals such as 0.15 that float32 cannot hold: 1e-7 relative.
constexpr double kHandRtol = 1e-7;
// Against the numpy reference, which repeats the original's float32 steps (step, centre) and its
// float64 corner arithmetic: the kernel does the same operations, so the float32 results agree
// bit for bit (observed: every value equal); atol 6e-8 (one float32 ulp just below 1) leaves
// room for a libm that rounds a sqrt the other way.
constexpr double kAtol = 6e-8;

AttrMap base(AttrMap extra = {}) {
  AttrMap a{{"min_size", F{30}}, {"img_size", I{300}}};
  for (auto& [k, v] : extra) a[k] = v;
  return a;
}

Result<std::vector<TensorInfo>> infer(const AttrMap& a, std::initializer_list<Shape> inputs) {
  return optest::infer("CaffePriorBox", a, {}, optest::f32_infos(inputs));
}

Shape shape_of(const AttrMap& a, std::initializer_list<Shape> inputs) {
  auto out = infer(a, inputs);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? (*out)[0].shape : Shape{};
}

Tensor zeros(const Shape& s) { return Tensor::allocate(DType::f32, s).value(); }

TEST(CaffePriorBoxSchema, ParametersAreCaffesPriorBoxParameterFields) {
  const OpDef& def = optest::op("CaffePriorBox");
  ssdtest::expect_documented("CaffePriorBox");
  std::vector<std::string> names;
  for (const ParamSpec& p : def.schema.params) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"min_size", "max_size", "aspect_ratio", "flip", "clip",
                                             "variance", "img_size", "img_h", "img_w", "step",
                                             "step_h", "step_w", "offset"}));
  EXPECT_TRUE(def.schema.find_param("min_size")->required);
  EXPECT_EQ(*def.schema.find_param("max_size")->default_value, AttrValue(F{}));
  EXPECT_EQ(*def.schema.find_param("aspect_ratio")->default_value, AttrValue(F{}));
  EXPECT_EQ(*def.schema.find_param("flip")->default_value, AttrValue(true));
  EXPECT_EQ(*def.schema.find_param("clip")->default_value, AttrValue(false));  // Caffe's default
  EXPECT_EQ(*def.schema.find_param("variance")->default_value, AttrValue(F{}));
  EXPECT_EQ(describe_constraints(*def.schema.find_param("variance")),
            "float list, 0 to 4 elements");
  for (const char* p : {"img_size", "img_h", "img_w"})
    EXPECT_EQ(*def.schema.find_param(p)->default_value, AttrValue(I{0})) << p;
  for (const char* p : {"step", "step_h", "step_w"})
    EXPECT_EQ(*def.schema.find_param(p)->default_value, AttrValue(0.0)) << p;
  EXPECT_EQ(*def.schema.find_param("offset")->default_value, AttrValue(0.5));
  EXPECT_TRUE(def.schema.shape_only);
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 2);
  EXPECT_TRUE(optest::bind_status("CaffePriorBox", {{"min_size", F{30}}}).ok());
}

TEST(CaffePriorBoxSchema, RejectsMissingMistypedAndMissizedParameters) {
  auto bind = [](AttrMap a) { return optest::bind_status("CaffePriorBox", a); };
  EXPECT_TRUE(fails_with(bind({{"img_size", I{300}}}),
                         {"parameter 'min_size' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(bind(base({{"min_size", F{}}})),
                         {"parameter 'min_size' must have 1 to 64 elements", "got []"}));
  EXPECT_TRUE(
      fails_with(bind(base({{"min_size", 30.0}})), {"parameter 'min_size' must be float list"}));
  EXPECT_TRUE(fails_with(bind(base({{"variance", F{0.1, 0.1, 0.2, 0.2, 0.3}}})),
                         {"parameter 'variance' must have 0 to 4 elements"}));
  EXPECT_TRUE(fails_with(bind(base({{"img_size", I{-1}}})),
                         {"parameter 'img_size' must be in [0, 1048576]", "got -1"}));
  EXPECT_TRUE(fails_with(bind(base({{"img_h", 300.0}})), {"parameter 'img_h' must be int"}));
  EXPECT_TRUE(
      fails_with(bind(base({{"step", -8.0}})), {"parameter 'step' must be in [0, 1048576]"}));
  EXPECT_TRUE(fails_with(bind(base({{"offset", NAN}})), {"parameter 'offset' must be in"}));
  EXPECT_TRUE(fails_with(bind(base({{"flip", I{1}}})), {"parameter 'flip' must be bool"}));
  EXPECT_TRUE(fails_with(bind(base({{"aspect_ratios", F{2}}})),
                         {"parameter 'aspect_ratios' is not a parameter of op 'CaffePriorBox'"}));
}

TEST(CaffePriorBoxShape, OutputIsOneByTwoByCellsPriorsFour) {
  // 1 prior per cell, 3 x 5 cells.
  EXPECT_EQ(shape_of(base(), {{2, 8, 3, 5}}), (Shape{1, 2, 60}));
  // min, sqrt(min * max), 2, 1/2, 3, 1/3: 6 priors.
  EXPECT_EQ(shape_of(base({{"max_size", F{60}}, {"aspect_ratio", F{2, 3}}}), {{1, 1, 2, 2}}),
            (Shape{1, 2, 96}));
  // flip false: min, 2, 3; two size groups with max_size, ratio 2, no flip: 2 * (1 + 1 + 1).
  EXPECT_EQ(shape_of(base({{"aspect_ratio", F{2, 3}}, {"flip", false}}), {{1, 1, 1, 1}}),
            (Shape{1, 2, 12}));
  EXPECT_EQ(shape_of(base({{"min_size", F{30, 60}},
                           {"max_size", F{60, 90}},
                           {"aspect_ratio", F{2}},
                           {"flip", false}}),
                     {{1, 1, 1, 1}}),
            (Shape{1, 2, 24}));
  // Ratios 1 and repeats within 1e-6 add nothing.
  EXPECT_EQ(shape_of(base({{"aspect_ratio", F{1, 2, 2.0000001, 0.5}}}), {{1, 1, 1, 1}}),
            (Shape{1, 2, 12}));
  // The image size from input 1.
  EXPECT_EQ(shape_of({{"min_size", F{30}}}, {{1, 1, 2, 2}, {1, 3, 300, 300}}), (Shape{1, 2, 16}));
}

TEST(CaffePriorBoxShape, RejectsWhatCaffeRejectsWithTheParameterName) {
  const Shape x{1, 1, 2, 2};
  auto fails = [&](AttrMap a, std::initializer_list<std::string_view> f) {
    return fails_with(infer(a, {x}), f);
  };
  EXPECT_TRUE(
      fails(base({{"min_size", F{0}}}), {"parameter 'min_size' elements must be > 0", "got [0]"}));
  EXPECT_TRUE(
      fails(base({{"min_size", F{30, -1}}}), {"parameter 'min_size' elements must be > 0"}));
  EXPECT_TRUE(fails(
      base({{"max_size", F{60, 90}}}),
      {"parameter 'max_size' must have as many elements as min_size (1) or none", "got [60, 90]"}));
  EXPECT_TRUE(
      fails(base({{"max_size", F{30}}}),
            {"parameter 'max_size' elements must each be > their min_size [30]", "got [30]"}));
  EXPECT_TRUE(fails(base({{"aspect_ratio", F{2, 0}}}),
                    {"parameter 'aspect_ratio' elements must be > 0", "got [2, 0]"}));
  EXPECT_TRUE(fails(base({{"variance", F{0.1, 0.2}}}),
                    {"parameter 'variance' must have 0 (0.1), 1 or 4 elements", "got [0.1, 0.2]"}));
  EXPECT_TRUE(fails(base({{"variance", F{0.1, 0.1, 0.2}}}),
                    {"parameter 'variance' must have 0 (0.1), 1 or 4 elements"}));
  EXPECT_TRUE(fails(base({{"variance", F{0.1, 0, 0.2, 0.2}}}),
                    {"parameter 'variance' elements must be > 0"}));
  EXPECT_TRUE(fails(base({{"img_h", I{300}}, {"img_w", I{300}}}),
                    {"parameter 'img_size' must be unset when img_h or img_w is set", "got 300"}));
  EXPECT_TRUE(fails({{"min_size", F{30}}, {"img_h", I{300}}},
                    {"parameter 'img_w' is required when the other of img_h and img_w is set"}));
  EXPECT_TRUE(fails({{"min_size", F{30}}, {"img_w", I{300}}},
                    {"parameter 'img_h' is required when the other of img_h and img_w is set"}));
  EXPECT_TRUE(fails(base({{"step", 8.0}, {"step_h", 8.0}, {"step_w", 8.0}}),
                    {"parameter 'step' must be unset when step_h or step_w is set", "got 8"}));
  EXPECT_TRUE(fails(base({{"step_h", 8.0}}),
                    {"parameter 'step_w' is required when the other of step_h and step_w is set"}));
  EXPECT_TRUE(fails(base({{"step_w", 8.0}}),
                    {"parameter 'step_h' is required when the other of step_h and step_w is set"}));
  EXPECT_TRUE(fails({{"min_size", F{30}}},
                    {"parameter 'img_size' (or img_h and img_w) is required when there is no image "
                     "input (input 1), got nothing"}));
}

TEST(CaffePriorBoxShape, RejectsBadInputs) {
  EXPECT_TRUE(
      fails_with(infer(base(), {{1, 2, 2}}), {"input 0 must have rank 4", "got shape [1, 2, 2]"}));
  EXPECT_TRUE(fails_with(infer(base(), {{1, 1, 0, 2}}),
                         {"input 0 (feature map) height and width (NCHW) must be >= 1"}));
  EXPECT_TRUE(fails_with(infer({{"min_size", F{30}}}, {{1, 1, 2, 2}, {1, 300, 300}}),
                         {"input 1 must have rank 4"}));
  EXPECT_TRUE(fails_with(infer({{"min_size", F{30}}}, {{1, 1, 2, 2}, {1, 3, 0, 300}}),
                         {"input 1 (image) height and width (NCHW) must be >= 1"}));
  EXPECT_TRUE(
      fails_with(optest::infer("CaffePriorBox", base(), {}, {{Shape{1, 1, 2, 2}, DType::i32}}),
                 {"input 0 must be f32", "got i32"}));
  EXPECT_TRUE(fails_with(infer(base(), {{1, 1, 1 << 20, 1 << 20}}),
                         {"output must have at most 2^40 elements"}));
}

TEST(CaffePriorBoxKernel, HandCheckedOrderOnOneRowOfTwoCells) {
  // img 100 x 100, feature 1 x 2: steps (100, 50), centres (25, 50) and (75, 50). Per cell the
  // 20 square, then the sqrt(20 * 45) = 30 square, corners divided by 100; variances 0.1.
  const AttrMap a{{"min_size", F{20}}, {"max_size", F{45}}, {"img_size", I{100}}};
  const Tensor y = optest::run1("CaffePriorBox", a, {}, {zeros({1, 3, 1, 2})});
  std::vector<double> want{0.15, 0.40, 0.35, 0.60, 0.10, 0.35, 0.40, 0.65,  //
                           0.65, 0.40, 0.85, 0.60, 0.60, 0.35, 0.90, 0.65};
  want.resize(32, 0.1);
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 16}, want, kHandRtol, 0));
}

TEST(CaffePriorBoxKernel, HandCheckedSizesAreTruncatedAndRatiosFollowTheSquares) {
  // min_size 40.9 -> 40, max_size 90.5 -> 90 (sqrt(3600) = 60), ratio 4 then 1/4 (flip): 80 x 20
  // and 20 x 80. img_h 100, img_w 200 (one cell, centre (100, 50)); 4 variances as given.
  const AttrMap a{{"min_size", F{40.9}},  {"max_size", F{90.5}},
                  {"aspect_ratio", F{4}}, {"img_h", I{100}},
                  {"img_w", I{200}},      {"variance", F{0.1, 0.2, 0.3, 0.4}}};
  const Tensor y = optest::run1("CaffePriorBox", a, {}, {zeros({1, 1, 1, 1})});
  std::vector<double> want{0.40, 0.3, 0.60, 0.7, 0.35, 0.2, 0.65, 0.8,  //
                           0.30, 0.4, 0.70, 0.6, 0.45, 0.1, 0.55, 0.9};
  for (int i = 0; i < 4; ++i) want.insert(want.end(), {0.1, 0.2, 0.3, 0.4});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 16}, want, kHandRtol, 0));
}

TEST(CaffePriorBoxKernel, HandCheckedStepsOffsetAndClip) {
  // step_h 10, step_w 20, offset 0: centres (0, 0) and (20, 0) on a 40 x 40 image (img_h/img_w),
  // a 10 square: the first box starts at -5 / 40. clip clamps it to 0; without clip it stays.
  AttrMap a{{"min_size", F{10}}, {"img_h", I{40}}, {"img_w", I{40}},
            {"step_h", 10.0},    {"step_w", 20.0}, {"offset", 0.0}};
  const std::vector<double> unclipped{-0.125, -0.125, 0.125, 0.125, 0.375, -0.125, 0.625, 0.125,
                                      0.1,    0.1,    0.1,   0.1,   0.1,   0.1,    0.1,   0.1};
  Tensor y = optest::run1("CaffePriorBox", a, {}, {zeros({1, 1, 1, 2})});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 8}, unclipped, kHandRtol, 0));
  a["clip"] = true;
  y = optest::run1("CaffePriorBox", a, {}, {zeros({1, 1, 1, 2})});
  EXPECT_TRUE(optest::all_close(
      y, Shape{1, 2, 8},
      {0, 0, 0.125, 0.125, 0.375, 0, 0.625, 0.125, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1},
      kHandRtol, 0));
}

TEST(CaffePriorBoxKernel, ImageSizeFromParametersOrInputOneGivesTheSameTable) {
  // step = 64 / 4 = 16 by default, or given as step 16: all four agree.
  const AttrMap pb{{"min_size", F{12}}, {"aspect_ratio", F{2}}};
  const Tensor from_input =
      optest::run1("CaffePriorBox", pb, {}, {zeros({1, 1, 4, 4}), zeros({1, 3, 64, 64})});
  AttrMap sized = pb;
  sized["img_size"] = I{64};
  const Tensor from_size = optest::run1("CaffePriorBox", sized, {}, {zeros({1, 1, 4, 4})});
  AttrMap hw = pb;
  hw["img_h"] = I{64};
  hw["img_w"] = I{64};
  hw["step"] = 16.0;
  // Parameters win over input 1's shape.
  const Tensor from_hw =
      optest::run1("CaffePriorBox", hw, {}, {zeros({1, 1, 4, 4}), zeros({1, 3, 7, 9})});
  EXPECT_TRUE(optest::all_close(from_size, from_input, 0, 0));
  EXPECT_TRUE(optest::all_close(from_hw, from_input, 0, 0));
}

TEST(CaffePriorBoxHelpers, AspectRatioExpansionAndTheTable) {
  ops::CaffePriorBoxParams p;
  p.min_size = {30};
  EXPECT_EQ(ops::caffe_aspect_ratios(p), (std::vector<float>{1}));
  p.aspect_ratio = {2, 0.5f, 1, 3, 2.0000001f, 0.333333f};
  EXPECT_EQ(ops::caffe_aspect_ratios(p), (std::vector<float>{1, 2, 0.5f, 3, 1.0f / 3}));
  EXPECT_EQ(ops::caffe_priors_per_cell(p), 5);
  p.flip = false;
  EXPECT_EQ(ops::caffe_aspect_ratios(p), (std::vector<float>{1, 2, 0.5f, 3, 0.333333f}));
  p.max_size = {60};
  EXPECT_EQ(ops::caffe_priors_per_cell(p), 6);
  // The helper is exactly what the kernel writes.
  const AttrMap a{{"min_size", F{30}},
                  {"max_size", F{60}},
                  {"aspect_ratio", F{2, 0.5, 1, 3, 2.0000001, 0.333333}},
                  {"flip", false},
                  {"img_size", I{90}}};
  const Tensor y = optest::run1("CaffePriorBox", a, {}, {zeros({1, 1, 2, 3})});
  const std::vector<float> table = ops::caffe_priors(p, 2, 3, 90, 90);
  ASSERT_EQ(table.size(), 2u * 2 * 3 * 6 * 4);
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 144},
                                std::vector<double>(table.begin(), table.end()), 0, 0));
}

TEST(CaffePriorBoxKernel, MatchesNumpy) {
  const std::vector<std::string> names{"min_only_image_input",
                                       "max_ratios_flip_clip_4_variances_img_size",
                                       "noflip_img_hw_steps_hw_offset",
                                       "two_min_sizes_truncated_step_image_input",
                                       "duplicate_ratios_no_clip_past_the_border",
                                       "fractional_sizes_truncated_like_ssd512",
                                       "nonsquare_image_input_clip_one_variance"};
  for (const auto& name : names) optest::expect_fixture("caffepriorbox.json", name, 0, kAtol);
  ssdtest::expect_cases_listed("caffepriorbox.json", names);
}

}  // namespace ops_test_caffe_prior_box
}  // namespace ingot
