#include <cmath>
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_scale {

using mathtest::filled;
using optest::Constants;
using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-6 + 1e-6 * |want|. numpy computes
// x * scale + bias in float64 from the same float32 values; the kernel rounds the product and the
// sum once each in float32 (2^-24 ~ 6e-8 relative of terms below 3). A wrong channel moves
// outputs by ~0.1 or more.
constexpr double kRtol = 1e-6;
constexpr double kAtol = 1e-6;

AttrMap scale_attrs(bool bias = false, std::int64_t axis = -1) {
  AttrMap a{{"scale", TensorRef{"s"}}, {"axis", axis}};
  if (bias) a["bias"] = TensorRef{"b"};
  return a;
}

Constants channels(std::vector<float> scale, std::vector<float> bias = {}) {
  Constants c{{"s", tensor({static_cast<std::int64_t>(scale.size())}, scale)}};
  if (!bias.empty()) c["b"] = tensor({static_cast<std::int64_t>(bias.size())}, bias);
  return c;
}

Result<std::vector<TensorInfo>> infer_scale(const AttrMap& attrs, const Constants& c,
                                            const Shape& x) {
  return optest::infer("Scale", attrs, c, optest::f32_infos({x}));
}

TEST(ScaleSchema, IsRegisteredWithAxisDefaultLast) {
  const OpDef& def = optest::op("Scale");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(def.schema.find_param("scale")->required);
  EXPECT_FALSE(def.schema.find_param("bias")->required);
  EXPECT_FALSE(def.schema.find_param("bias")->default_value.has_value());
  EXPECT_EQ(*def.schema.find_param("axis")->default_value, AttrValue(std::int64_t{-1}));
}

TEST(ScaleSchema, AcceptsScaleAloneAndEveryParameter) {
  const Constants c = channels({1, 2}, {0, 1});
  EXPECT_TRUE(optest::bind_status("Scale", {{"scale", TensorRef{"s"}}}, c).ok());
  EXPECT_TRUE(optest::bind_status("Scale", scale_attrs(true, 1), c).ok());
}

TEST(ScaleSchema, RejectsMissingOutOfRangeWrongTypedAndUnknownParameters) {
  const Constants c = channels({1, 2}, {0, 1});
  EXPECT_TRUE(fails_with(optest::bind_status("Scale", {{"bias", TensorRef{"b"}}}, c),
                         {"parameter 'scale' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Scale", scale_attrs(false, 8), c),
                         {"parameter 'axis' must be in [-8, 7]", "got 8"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Scale", {{"scale", 2.0}}, c),
                         {"parameter 'scale' must be tensor", "got float 2"}));
  AttrMap a = scale_attrs();
  a["bias_term"] = true;
  EXPECT_TRUE(fails_with(optest::bind_status("Scale", a, c),
                         {"parameter 'bias_term' is not a parameter of op 'Scale'",
                          "(its parameters: scale, bias, axis)", "got true"}));
  a = scale_attrs();
  a["bias"] = TensorRef{"nope"};
  EXPECT_TRUE(fails_with(optest::bind_status("Scale", a, c),
                         {"read parameter 'bias'", "tensor 'nope' must name a constant"}));
}

TEST(ScaleShape, KeepsTheInputOnAnyAxis) {
  const Constants c = channels({1, 2, 3}, {0, 0, 0});
  EXPECT_EQ(mathtest::infer_shape("Scale", scale_attrs(true, 1), c, {{2, 3, 4, 4}}),
            (Shape{2, 3, 4, 4}));
  EXPECT_EQ(mathtest::infer_shape("Scale", scale_attrs(true), c, {{2, 3}}), (Shape{2, 3}));
  EXPECT_EQ(mathtest::infer_shape("Scale", scale_attrs(false, -2), c, {{5, 3, 1}}),
            (Shape{5, 3, 1}));
}

TEST(ScaleShape, RejectsBadAxisInputAndParameterShapes) {
  const Constants c = channels({1, 2, 3}, {0, 0, 0});
  EXPECT_TRUE(fails_with(infer_scale(scale_attrs(false, 3), c, {2, 3, 4}),
                         {"parameter 'axis' must be in [-3, 2] (input 0 has rank 3)", "got 3"}));
  EXPECT_TRUE(fails_with(infer_scale(scale_attrs(), c, {}),
                         {"input 0 must have rank >= 1", "got shape []"}));
  EXPECT_TRUE(fails_with(optest::infer("Scale", scale_attrs(), c, {{Shape{3}, DType::i32}}),
                         {"input 0 must be f32", "got i32"}));
  EXPECT_TRUE(
      fails_with(infer_scale(scale_attrs(false, 1), c, {1, 4, 3}),
                 {"parameter 'scale' must be f32 of shape [4] (input 0 [1, 4, 3] along axis 1)",
                  "got f32 [3]"}));
  const Constants short_bias = channels({1, 2, 3}, {0, 0});
  EXPECT_TRUE(fails_with(infer_scale(scale_attrs(true), short_bias, {1, 3}),
                         {"parameter 'bias' must be f32 of shape [3]", "got f32 [2]"}));
  Constants half = channels({1, 2, 3});
  half["s"] = Tensor::allocate(DType::f16, Shape{3}).value();
  EXPECT_TRUE(fails_with(infer_scale(scale_attrs(), half, {1, 3}),
                         {"parameter 'scale' must be f32", "got f16 [3]"}));
}

TEST(ScaleKernel, HandCheckedNchwAxis1WithBias) {
  // x [1, 2, 1, 3]: channel 0 = [1, 2, 3] * 2 + 1 = [3, 5, 7]; channel 1 = [4, 5, 6] * -0.5 + 0.25
  //   = [-1.75, -2.25, -2.75]   (exact binary fractions)
  const Tensor y = optest::run1("Scale", scale_attrs(true, 1), channels({2, -0.5f}, {1, 0.25f}),
                                {tensor({1, 2, 1, 3}, {1, 2, 3, 4, 5, 6})});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 3}, {3, 5, 7, -1.75, -2.25, -2.75}, 0, 0));
}

TEST(ScaleKernel, HandCheckedAxisLastWithoutBias) {
  // x [2, 3] * [1, 10, -1] per column: [[1, 20, -3], [4, 50, -6]]
  const Tensor y = optest::run1("Scale", scale_attrs(), channels({1, 10, -1}),
                                {tensor({2, 3}, {1, 2, 3, 4, 5, 6})});
  EXPECT_TRUE(optest::all_close(y, Shape{2, 3}, {1, 20, -3, 4, 50, -6}, 0, 0));
}

TEST(ScaleKernel, WithoutBiasKeepsNegativeZero) {
  // y = x * scale exactly: -1 * 0 = -0 (adding a zero bias would give +0).
  const Tensor y = optest::run1("Scale", scale_attrs(), channels({0}), {tensor({1}, {-1})});
  ASSERT_FALSE(y.empty());
  EXPECT_TRUE(std::signbit(y.data<float>()[0]));
}

TEST(ScaleKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases(
      "scale.json", {"nchw_axis1_bias", "axis_last_no_bias", "axis_minus2_bias"}, kRtol, kAtol);
}

}  // namespace ops_test_scale
}  // namespace ingot
