// L2Normalization (pierluigiferrari/ssd_keras): schema, shape rule, a hand-checked pixel, the
// numpy fixtures and the Keras oracle's normalize_layers case. The kernel is Normalize's
// (ops/l2_normalize.h); test_normalize.cpp covers its zero and below-the-floor pixels in detail.
#include <string>
#include <vector>

#include "ops/ssd_test_util.h"

namespace ingot {
namespace ops_test_l2_normalization {

using optest::fails_with;
using optest::tensor;

// Same bounds as test_normalize.cpp: <= 1.5 float32 ulp from numpy's float64; a few ulps from
// the float32 tfjs oracle (whose own tolerance is 1e-4).
constexpr double kRtol = 1e-6;
constexpr double kAtol = 1e-7;
constexpr double kOracleRtol = 1e-6;
constexpr double kOracleAtol = 1e-5;

const optest::Constants kGamma3{{"w", tensor({3}, {20, 20, 5})}};
const AttrMap kAttrs{{"gamma", TensorRef{"w"}}};

TEST(L2NormalizationSchema, GammaInitDefaultsTo20AndGammaIsTheWeight) {
  const OpDef& def = optest::op("L2Normalization");
  ssdtest::expect_documented("L2Normalization");
  ASSERT_EQ(def.schema.params.size(), 2u);
  EXPECT_TRUE(def.schema.find_param("gamma")->required);
  EXPECT_EQ(def.schema.find_param("gamma")->type, AttrType::tensor);
  const ParamSpec* init = def.schema.find_param("gamma_init");
  EXPECT_EQ(*init->default_value, AttrValue(20.0));
  EXPECT_NE(init->doc.find("initial gamma only"), std::string::npos);
  EXPECT_TRUE(optest::bind_status("L2Normalization", kAttrs, kGamma3).ok());
}

TEST(L2NormalizationSchema, RejectsMissingOrMistypedParameters) {
  EXPECT_TRUE(fails_with(optest::bind_status("L2Normalization", {{"gamma_init", 20.0}}),
                         {"parameter 'gamma' is required", "got nothing"}));
  EXPECT_TRUE(
      fails_with(optest::bind_status("L2Normalization",
                                     {{"gamma", TensorRef{"w"}}, {"gamma_init", true}}, kGamma3),
                 {"parameter 'gamma_init' must be float", "got bool true"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("L2Normalization", {{"gamma", TensorRef{"w"}}, {"scale", 20.0}}, kGamma3),
      {"parameter 'scale' is not a parameter of op 'L2Normalization'"}));
}

TEST(L2NormalizationShape, KeepsTheInputShapeAndChecksGamma) {
  EXPECT_EQ(ssdtest::infer_shape("L2Normalization", kAttrs, {2, 4, 4, 3}, kGamma3),
            (Shape{2, 4, 4, 3}));
  EXPECT_TRUE(fails_with(ssdtest::infer_status("L2Normalization", kAttrs, {2, 4, 4, 5}, kGamma3),
                         {"parameter 'gamma' must be f32 of shape [5]", "got f32 [3]"}));
  EXPECT_TRUE(fails_with(ssdtest::infer_status("L2Normalization", kAttrs, {2, 3}, kGamma3),
                         {"input 0 must have rank 4", "got shape [2, 3]"}));
}

TEST(L2NormalizationKernel, HandCheckedPixels) {
  // (2, -1, 2) has norm 3: (2/3, -1/3, 2/3) * (20, 20, 5); the zero pixel stays zero.
  const Tensor x = tensor({1, 2, 1, 3}, {2, -1, 2, 0, 0, 0});
  const Tensor y = optest::run1("L2Normalization", kAttrs, kGamma3, {x});
  EXPECT_TRUE(
      optest::all_close(y, Shape{1, 2, 1, 3}, {40.0 / 3, -20.0 / 3, 10.0 / 3, 0, 0, 0}, kRtol, 0));
}

TEST(L2NormalizationKernel, MatchesNumpy) {
  for (const char* name :
       {"random_nhwc", "zero_and_tiny_pixels", "single_channel_is_sign_times_gamma"})
    optest::expect_fixture("l2normalization.json", name, kRtol, kAtol);
}

TEST(L2NormalizationKernel, MatchesTheKerasOracle) {
  // cases/normalize_layers, layer norm_pierluigi (gamma_init 10, trained gamma).
  optest::expect_fixture("l2normalization.json", "oracle_norm_pierluigi", kOracleRtol, kOracleAtol);
}

TEST(L2NormalizationKernel, EveryFixtureCaseIsReplayed) {
  ssdtest::expect_cases_listed("l2normalization.json",
                               {"random_nhwc", "zero_and_tiny_pixels",
                                "single_channel_is_sign_times_gamma", "oracle_norm_pierluigi"});
}

}  // namespace ops_test_l2_normalization
}  // namespace ingot
