// CaffeNormalize (Caffe SSD Normalize): schema, shape rule, hand-checked norms in the four modes
// (eps inside the square root), and the numpy fixtures of scripts/gen_op_fixtures_caffe.py.
#include <cmath>
#include <string>
#include <vector>

#include "ops/ssd_test_util.h"

namespace ingot {
namespace ops_test_caffe_normalize {

using optest::fails_with;
using optest::tensor;
using ssdtest::infer_shape;
using ssdtest::infer_status;

// Against numpy's float64: the kernel rounds the norm (and across the sample its inverse) to
// float32 once, then multiplies by the scale in float32: about three roundings, <= 2e-7
// relative (observed <= 1.1e-7); 5e-7 relative leaves room, atol 1e-7 covers outputs near 0.
constexpr double kRtol = 5e-7;
constexpr double kAtol = 1e-7;

optest::Constants scale(std::vector<float> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return {{"s", tensor({n}, v)}};
}

AttrMap attrs(bool across, bool shared, AttrMap extra = {}) {
  extra["across_spatial"] = across;
  extra["channel_shared"] = shared;
  extra["scale"] = TensorRef{"s"};
  return extra;
}

TEST(CaffeNormalizeSchema, ParametersAreCaffesNormalizeParameterFieldsAndTheScaleBlob) {
  const OpDef& def = optest::op("CaffeNormalize");
  ssdtest::expect_documented("CaffeNormalize");
  std::vector<std::string> names;
  for (const ParamSpec& p : def.schema.params) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"across_spatial", "channel_shared", "eps", "scale", "axis"}));
  EXPECT_EQ(*def.schema.find_param("across_spatial")->default_value, AttrValue(true));
  EXPECT_EQ(*def.schema.find_param("channel_shared")->default_value, AttrValue(true));
  EXPECT_EQ(*def.schema.find_param("eps")->default_value, AttrValue(1e-10));
  EXPECT_TRUE(def.schema.find_param("scale")->required);
  EXPECT_EQ(def.schema.find_param("scale")->type, AttrType::tensor);
}

TEST(CaffeNormalizeSchema, RejectsAMissingScaleAndANegativeEps) {
  EXPECT_TRUE(fails_with(optest::bind_status("CaffeNormalize", {}),
                         {"parameter 'scale' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("CaffeNormalize", attrs(true, true, {{"eps", -1e-3}}), scale({1})),
      {"parameter 'eps' must be >= 0", "got -0.001"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("CaffeNormalize", attrs(true, true, {{"eps", INFINITY}}), scale({1})),
      {"parameter 'eps' must be >= 0"}));
  AttrMap mistyped = attrs(true, true);
  mistyped["across_spatial"] = std::int64_t{1};
  EXPECT_TRUE(fails_with(optest::bind_status("CaffeNormalize", mistyped, scale({1})),
                         {"parameter 'across_spatial' must be bool"}));
}

TEST(CaffeNormalizeShape, OutputIsTheInputShapeOfRankTwoToFour) {
  EXPECT_EQ(infer_shape("CaffeNormalize", attrs(true, true), {2, 3, 4, 5}, scale({1})),
            (Shape{2, 3, 4, 5}));
  EXPECT_EQ(infer_shape("CaffeNormalize", attrs(false, false), {2, 3, 4}, scale({1, 2, 3})),
            (Shape{2, 3, 4}));
  EXPECT_EQ(infer_shape("CaffeNormalize", attrs(true, false), {2, 3}, scale({1, 2, 3})),
            (Shape{2, 3}));
}

TEST(CaffeNormalizeShape, RejectsAScaleOfTheWrongShapeAndBadInputs) {
  EXPECT_TRUE(fails_with(
      infer_status("CaffeNormalize", attrs(true, true), {1, 3, 2, 2}, scale({1, 2, 3})),
      {"parameter 'scale' must be f32 of shape [1] (channel_shared is true)", "got f32 [3]"}));
  EXPECT_TRUE(
      fails_with(infer_status("CaffeNormalize", attrs(false, false), {1, 3, 2, 2}, scale({1})),
                 {"parameter 'scale' must be f32 of shape [3] (channel_shared is false and input 0 "
                  "[1, 3, 2, 2] has 3 channels on axis 1)",
                  "got f32 [1]"}));
  EXPECT_TRUE(fails_with(infer_status("CaffeNormalize", attrs(true, true), {3}, scale({1})),
                         {"input 0 must have rank 2 to 4", "got shape [3]"}));
  EXPECT_TRUE(
      fails_with(infer_status("CaffeNormalize", attrs(true, true), {1, 1, 1, 1, 1}, scale({1})),
                 {"input 0 must have rank 2 to 4", "got shape [1, 1, 1, 1, 1]"}));
  EXPECT_TRUE(fails_with(optest::infer("CaffeNormalize", attrs(true, true), scale({1}),
                                       {{Shape{1, 3, 2, 2}, DType::i32}}),
                         {"input 0 must be f32", "got i32"}));
}

// x = [1, 2, 1, 2] (C = 2, one row of 2 pixels): channel 0 (3, 0), channel 1 (4, 0).
Tensor two_pixels() { return tensor({1, 2, 1, 2}, {3, 0, 4, 0}); }

TEST(CaffeNormalizeKernel, HandCheckedAcrossSpatial) {
  // One norm for the sample: sqrt(9 + 16 + eps) = 5 (eps 1e-10 is far below float resolution).
  Tensor y = optest::run1("CaffeNormalize", attrs(true, true), scale({2}), {two_pixels()});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 2}, {1.2, 0, 1.6, 0}, 1e-7, 0));
  y = optest::run1("CaffeNormalize", attrs(true, false), scale({2, 10}), {two_pixels()});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 2}, {1.2, 0, 8, 0}, 1e-7, 0));
}

TEST(CaffeNormalizeKernel, HandCheckedPerPixelWithEpsInsideTheSquareRoot) {
  // Pixel 0 has norm 5; pixel 1 is zero and stays 0 (norm sqrt(eps)). eps 11 makes the inside of
  // the root visible: pixel 0's norm is sqrt(25 + 11) = 6.
  Tensor y = optest::run1("CaffeNormalize", attrs(false, false), scale({2, 10}), {two_pixels()});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 2}, {1.2, 0, 8, 0}, 1e-7, 0));
  y = optest::run1("CaffeNormalize", attrs(false, true, {{"eps", 11.0}}), scale({3}),
                   {two_pixels()});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 2}, {1.5, 0, 2, 0}, 1e-7, 0));
  // Across the sample with eps 11: sqrt(25 + 11) = 6 as well.
  y = optest::run1("CaffeNormalize", attrs(true, true, {{"eps", 11.0}}), scale({3}),
                   {two_pixels()});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 2}, {1.5, 0, 2, 0}, 1e-7, 0));
}

TEST(CaffeNormalizeKernel, EachSampleHasItsOwnNorm) {
  // Sample 0 (3, 4) -> norm 5, sample 1 (0, 2) -> norm 2; rank 2 input.
  const Tensor y =
      optest::run1("CaffeNormalize", attrs(true, true), scale({1}), {tensor({2, 2}, {3, 4, 0, 2})});
  EXPECT_TRUE(optest::all_close(y, Shape{2, 2}, {0.6, 0.8, 0, 1}, 1e-7, 0));
}

TEST(CaffeNormalizeKernel, EmptyInputWritesNothing) {
  const Tensor y =
      optest::run1("CaffeNormalize", attrs(true, true), scale({1}), {tensor({0, 2, 1, 1}, {})});
  EXPECT_TRUE(optest::all_close(y, Shape{0, 2, 1, 1}, {}, 0, 0));
}

TEST(CaffeNormalizeKernel, MatchesNumpy) {
  const std::vector<std::string> names{
      "across_spatial_channel_shared",      "across_spatial_per_channel",
      "per_pixel_channel_shared",           "per_pixel_per_channel_ssd_conv4_3",
      "per_pixel_zero_and_tiny_pixels_eps", "rank2_across_spatial"};
  for (const auto& name : names) optest::expect_fixture("caffenormalize.json", name, kRtol, kAtol);
  ssdtest::expect_cases_listed("caffenormalize.json", names);
}

}  // namespace ops_test_caffe_normalize
}  // namespace ingot
