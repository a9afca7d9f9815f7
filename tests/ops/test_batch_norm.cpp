#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_batch_norm {

using mathtest::filled;
using optest::Constants;
using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-5 + 1e-5 * |want|. numpy evaluates
// (x - mean) / sqrt(variance + eps) * scale + offset in float64; the kernel folds it into
// x * inv + shift in float32 (sqrt, divide, two products and two sums, each rounding by
// 2^-24 relative). With |x| <= 1, variance >= 0.1 and scale <= 1.5 the terms stay below ~8, so
// the difference stays near 2e-6. Using a wrong channel moves outputs by ~0.1 or more.
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-5;

// BatchNorm over constants "m", "v" (and "s", "o" when given) of C channels.
struct Bn {
  AttrMap attrs{{"mean", TensorRef{"m"}}, {"variance", TensorRef{"v"}}};
  Constants constants;

  Bn(std::vector<float> mean, std::vector<float> variance, std::vector<float> scale = {},
     std::vector<float> offset = {}) {
    const auto c = static_cast<std::int64_t>(mean.size());
    constants["m"] = tensor({c}, mean);
    constants["v"] = tensor({c}, variance);
    if (!scale.empty()) {
      constants["s"] = tensor({c}, scale);
      attrs["scale"] = TensorRef{"s"};
    }
    if (!offset.empty()) {
      constants["o"] = tensor({c}, offset);
      attrs["offset"] = TensorRef{"o"};
    }
  }
  Bn& with(const std::string& key, AttrValue value) {
    attrs[key] = std::move(value);
    return *this;
  }
  Status bind() const { return optest::bind_status("BatchNorm", attrs, constants); }
  Result<std::vector<TensorInfo>> infer(const Shape& x) const {
    return optest::infer("BatchNorm", attrs, constants, optest::f32_infos({x}));
  }
  Tensor run(const Tensor& x) const { return optest::run1("BatchNorm", attrs, constants, {x}); }
};

Bn three_channels() { return Bn({0, 0, 0}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}); }

TEST(BatchNormSchema, IsRegisteredWithKerasDefaults) {
  const OpDef& def = optest::op("BatchNorm");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(def.schema.find_param("mean")->required);
  EXPECT_TRUE(def.schema.find_param("variance")->required);
  EXPECT_FALSE(def.schema.find_param("scale")->required);
  EXPECT_FALSE(def.schema.find_param("scale")->default_value.has_value());   // unset: 1
  EXPECT_FALSE(def.schema.find_param("offset")->default_value.has_value());  // unset: 0
  EXPECT_EQ(*def.schema.find_param("epsilon")->default_value, AttrValue(0.001));
  EXPECT_EQ(*def.schema.find_param("axis")->default_value, AttrValue(std::int64_t{-1}));
  EXPECT_EQ(describe_constraints(*def.schema.find_param("epsilon")), "float in [0, 1]");
  EXPECT_EQ(describe_constraints(*def.schema.find_param("axis")), "int in [-8, 7]");
}

TEST(BatchNormSchema, AcceptsRequiredAloneAndEveryParameter) {
  EXPECT_TRUE(Bn({0, 0}, {1, 1}).bind().ok());
  const Status st =
      Bn({0, 0}, {1, 1}, {1, 1}, {0, 0}).with("epsilon", 1e-5).with("axis", std::int64_t{1}).bind();
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(Bn({0}, {1}).with("epsilon", 0.0).with("axis", std::int64_t{-8}).bind().ok());
  EXPECT_TRUE(Bn({0}, {1}).with("epsilon", 1.0).with("axis", std::int64_t{7}).bind().ok());
}

TEST(BatchNormSchema, RejectsMissingRequiredTensors) {
  const Constants c{{"m", filled({2}, 0)}, {"v", filled({2}, 1)}};
  EXPECT_TRUE(fails_with(optest::bind_status("BatchNorm", {{"variance", TensorRef{"v"}}}, c),
                         {"parameter 'mean' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(optest::bind_status("BatchNorm", {{"mean", TensorRef{"m"}}}, c),
                         {"parameter 'variance' is required", "got nothing"}));
}

TEST(BatchNormSchema, RejectsOutOfRangeAndWrongTypes) {
  EXPECT_TRUE(fails_with(Bn({0}, {1}).with("epsilon", -0.001).bind(),
                         {"parameter 'epsilon' must be in [0, 1]", "got -0.001"}));
  EXPECT_TRUE(fails_with(Bn({0}, {1}).with("epsilon", 1.5).bind(),
                         {"parameter 'epsilon' must be in [0, 1]", "got 1.5"}));
  EXPECT_TRUE(
      fails_with(Bn({0}, {1}).with("epsilon", std::numeric_limits<double>::quiet_NaN()).bind(),
                 {"parameter 'epsilon' must be in [0, 1]", "got nan"}));
  EXPECT_TRUE(fails_with(Bn({0}, {1}).with("epsilon", std::int64_t{0}).bind(),
                         {"parameter 'epsilon' must be float", "got int 0"}));
  EXPECT_TRUE(fails_with(Bn({0}, {1}).with("axis", std::int64_t{8}).bind(),
                         {"parameter 'axis' must be in [-8, 7]", "got 8"}));
  EXPECT_TRUE(fails_with(Bn({0}, {1}).with("axis", std::int64_t{-9}).bind(),
                         {"parameter 'axis' must be in [-8, 7]", "got -9"}));
  EXPECT_TRUE(fails_with(Bn({0}, {1}).with("axis", 1.0).bind(),
                         {"parameter 'axis' must be int", "got float 1"}));
  EXPECT_TRUE(fails_with(Bn({0}, {1}).with("scale", 2.0).bind(),
                         {"parameter 'scale' must be tensor", "got float 2"}));
  EXPECT_TRUE(fails_with(Bn({0}, {1}).with("offset", std::vector<double>{0.5}).bind(),
                         {"parameter 'offset' must be tensor", "got float list [0.5]"}));
}

TEST(BatchNormSchema, RejectsUnknownAndUnresolvedParameters) {
  EXPECT_TRUE(
      fails_with(Bn({0}, {1}).with("momentum", 0.99).bind(),
                 {"parameter 'momentum' is not a parameter of op 'BatchNorm'",
                  "(its parameters: mean, variance, scale, offset, epsilon, axis)", "got 0.99"}));
  EXPECT_TRUE(fails_with(
      Bn({0}, {1}).with("scale", TensorRef{"gamma"}).bind(),
      {"read parameter 'scale'", "tensor 'gamma' must name a constant", "got none of that name"}));
}

TEST(BatchNormShape, KeepsTheInputOnAnyChannelAxis) {
  const Bn bn = three_channels();
  EXPECT_EQ(mathtest::infer_shape("BatchNorm", bn.attrs, bn.constants, {{1, 5, 5, 3}}),
            (Shape{1, 5, 5, 3}));
  EXPECT_EQ(mathtest::infer_shape("BatchNorm", bn.attrs, bn.constants, {{3}}), (Shape{3}));
  EXPECT_EQ(mathtest::infer_shape("BatchNorm", bn.attrs, bn.constants, {{0, 3}}), (Shape{0, 3}));
  Bn nchw = three_channels();
  nchw.with("axis", std::int64_t{1});
  EXPECT_EQ(mathtest::infer_shape("BatchNorm", nchw.attrs, nchw.constants, {{2, 3, 4, 4}}),
            (Shape{2, 3, 4, 4}));
  nchw.with("axis", std::int64_t{-3});
  EXPECT_EQ(mathtest::infer_shape("BatchNorm", nchw.attrs, nchw.constants, {{2, 3, 4, 4}}),
            (Shape{2, 3, 4, 4}));
}

TEST(BatchNormShape, RejectsAxisOutsideTheInputRank) {
  EXPECT_TRUE(fails_with(three_channels().with("axis", std::int64_t{2}).infer({4, 3}),
                         {"parameter 'axis' must be in [-2, 1] (input 0 has rank 2)", "got 2"}));
  EXPECT_TRUE(fails_with(three_channels().with("axis", std::int64_t{-3}).infer({4, 3}),
                         {"parameter 'axis' must be in [-2, 1]", "got -3"}));
}

TEST(BatchNormShape, RejectsScalarAndNonF32Input) {
  EXPECT_TRUE(
      fails_with(three_channels().infer({}), {"input 0 must have rank >= 1", "got shape []"}));
  const Bn bn = three_channels();
  EXPECT_TRUE(
      fails_with(optest::infer("BatchNorm", bn.attrs, bn.constants, {{Shape{3}, DType::f16}}),
                 {"input 0 must be f32", "got f16"}));
}

TEST(BatchNormShape, RejectsParametersThatDoNotMatchTheChannels) {
  // The default axis -1 of [1, 2, 2, 4] has 4 channels; the parameters have 3.
  EXPECT_TRUE(fails_with(three_channels().infer({1, 2, 2, 4}),
                         {"parameter 'mean' must be f32 of shape [4] (input 0 [1, 2, 2, 4] along "
                          "axis -1)",
                          "got f32 [3]"}));
  // NCHW data with the NHWC default axis: the classic importer mistake.
  EXPECT_TRUE(fails_with(three_channels().infer({1, 3, 5, 5}),
                         {"parameter 'mean' must be f32 of shape [5]", "got f32 [3]"}));
  Bn bn = three_channels();
  bn.constants["v"] = filled({1, 3}, 1);
  EXPECT_TRUE(fails_with(bn.infer({2, 3}),
                         {"parameter 'variance' must be f32 of shape [3]", "got f32 [1, 3]"}));
  bn = three_channels();
  bn.constants["s"] = filled({4}, 1);
  EXPECT_TRUE(
      fails_with(bn.infer({2, 3}), {"parameter 'scale' must be f32 of shape [3]", "got f32 [4]"}));
  bn = three_channels();
  bn.constants["o"] = Tensor::allocate(DType::f16, Shape{3}).value();
  EXPECT_TRUE(
      fails_with(bn.infer({2, 3}), {"parameter 'offset' must be f32 of shape [3]", "got f16 [3]"}));
}

TEST(BatchNormShape, RejectsVariancesThatGiveInfOrNaN) {
  EXPECT_TRUE(fails_with(Bn({0, 0}, {1, -0.5f}).infer({2}),
                         {"parameter 'variance' values must be >= 0", "got -0.5 at index 1"}));
  EXPECT_TRUE(fails_with(Bn({0}, {std::numeric_limits<float>::quiet_NaN()}).infer({1}),
                         {"parameter 'variance' values must be >= 0", "got nan at index 0"}));
  EXPECT_TRUE(fails_with(Bn({0, 0}, {1, 0}).with("epsilon", 0.0).infer({2}),
                         {"parameter 'variance' values plus 'epsilon' must be > 0 in float32",
                          "got 0 + 0 at index 1"}));
  // 1e-50 is 0 in float32, where the kernel adds it.
  EXPECT_TRUE(fails_with(Bn({0}, {0}).with("epsilon", 1e-50).infer({1}),
                         {"must be > 0 in float32", "got 0 + 1e-50 at index 0"}));
  // A zero variance is fine once epsilon is positive.
  EXPECT_TRUE(Bn({0}, {0}).infer({1}).ok());
}

// The hand-checked cases use exact binary fractions, so float32 reproduces them exactly.

TEST(BatchNormKernel, HandCheckedAxisLastWithScaleAndOffset) {
  // epsilon 0.25: sqrt(variance + eps) = [2, 0.5]; inv = scale / that = [1 / 2, 3 / 0.5] = [0.5, 6]
  // shift = offset - mean * inv = [0.5 - 1 * 0.5, -1 - (-2) * 6] = [0, 11]
  // x [1, 2, 2] (channel last) = [[3, 1], [-1, 0.5]]:
  //   [3 * 0.5 + 0, 1 * 6 + 11, -1 * 0.5 + 0, 0.5 * 6 + 11] = [1.5, 17, -0.5, 14]
  const Tensor y = Bn({1, -2}, {3.75f, 0}, {1, 3}, {0.5f, -1})
                       .with("epsilon", 0.25)
                       .run(tensor({1, 2, 2}, {3, 1, -1, 0.5f}));
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 2}, {1.5, 17, -0.5, 14}, 0, 0));
}

TEST(BatchNormKernel, HandCheckedNchwAxis1WithoutScaleOrOffset) {
  // epsilon 0.25: sqrt(variance + eps) = [1, 2]; inv = [1, 0.5]; shift = -mean * inv = [-1, 0.5]
  // x [1, 2, 1, 2] NCHW: channel 0 = [2, 4] -> [1, 3]; channel 1 = [3, -1] -> [2, 0]
  const Tensor y = Bn({1, -1}, {0.75f, 3.75f})
                       .with("epsilon", 0.25)
                       .with("axis", std::int64_t{1})
                       .run(tensor({1, 2, 1, 2}, {2, 4, 3, -1}));
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 2}, {1, 3, 2, 0}, 0, 0));
}

TEST(BatchNormKernel, DefaultEpsilonIsUsed) {
  // variance 0.999 and the default epsilon 0.001 make sqrt(1) (within float32 rounding):
  // (x - mean) = 2 - 0.5 = 1.5. Without epsilon it would be 1.5 / sqrt(0.999) = 1.50075.
  const Tensor y = Bn({0.5f}, {0.999f}).run(tensor({1}, {2}));
  EXPECT_TRUE(optest::all_close(y, Shape{1}, {1.5}, 1e-6, 0));
}

TEST(BatchNormKernel, NhwcAndNchwAgreeBitForBit) {
  // Same data in both layouts, normalized on axis -1 and axis 1: the same float32 operations per
  // element, so the results are identical.
  std::vector<float> values;
  for (int i = 0; i < 2 * 3 * 2 * 4; ++i)
    values.push_back(static_cast<float>((i * 37) % 19) / 7 - 1);
  const Tensor nhwc = tensor({2, 3, 2, 4}, values);
  Bn bn({0.1f, -0.2f, 0.3f, 0}, {0.5f, 1, 1.5f, 2}, {1, 0.5f, 2, -1}, {0, 0.25f, -0.5f, 1});
  const Tensor y_nhwc = bn.run(nhwc);
  const Tensor y_nchw = bn.with("axis", std::int64_t{1}).run(optest::nhwc_to_nchw(nhwc));
  EXPECT_TRUE(optest::all_close(y_nchw, optest::nhwc_to_nchw(y_nhwc), 0, 0));
}

TEST(BatchNormKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases("batchnorm.json",
                                 {"nhwc_axis_last", "nhwc_axis_last_no_scale_offset", "nchw_axis1",
                                  "nchw_axis1_no_scale_offset", "rank2_axis_last"},
                                 kRtol, kAtol);
}

}  // namespace ops_test_batch_norm
}  // namespace ingot
