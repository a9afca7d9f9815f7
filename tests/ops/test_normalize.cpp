// Normalize (rykov8/ssd_keras): schema, shape rule, the L2 kernel on hand-checked pixels (all
// zero, below the 1e-12 floor, ordinary), the numpy fixtures and the Keras oracle's
// normalize_layers case. The kernel is shared with L2Normalization (ops/l2_normalize.h).
#include <cmath>
#include <string>
#include <vector>

#include "ops/ssd_test_util.h"

namespace ingot {
namespace ops_test_normalize {

using optest::fails_with;
using optest::tensor;
using ssdtest::infer_shape;

// Against numpy's float64 x / sqrt(max(sum x^2, 1e-12)) * gamma: the squares are summed in
// double, then 1 / norm, x * that and * gamma each round to float once: <= 1.5 ulp (~1e-7)
// relative (observed 9e-8). atol covers outputs near zero.
constexpr double kRtol = 1e-6;
constexpr double kAtol = 1e-7;
// Against the tfjs oracle, which computes everything in float32 (its own sum order and rsqrt):
// outputs up to ~20 agree to a few float32 ulps (observed 1.2e-7 relative, 1.9e-6 absolute); the
// case's own tolerance is 1e-4.
constexpr double kOracleRtol = 1e-6;
constexpr double kOracleAtol = 1e-5;

const optest::Constants kGamma2{{"g", tensor({2}, {2, 10})}};

AttrMap with_gamma(AttrMap extra = {}) {
  extra["gamma"] = TensorRef{"g"};
  return extra;
}

TEST(NormalizeSchema, ScaleIsOptionalAndGammaIsTheWeight) {
  const OpDef& def = optest::op("Normalize");
  ssdtest::expect_documented("Normalize");
  ASSERT_EQ(def.schema.params.size(), 2u);
  const ParamSpec* gamma = def.schema.find_param("gamma");
  EXPECT_TRUE(gamma->required);
  EXPECT_EQ(gamma->type, AttrType::tensor);
  const ParamSpec* scale = def.schema.find_param("scale");
  EXPECT_FALSE(scale->required);
  EXPECT_FALSE(scale->default_value);  // the original has no get_config: usually absent
  EXPECT_EQ(scale->type, AttrType::float_);
  EXPECT_NE(scale->doc.find("initial gamma only"), std::string::npos);
  EXPECT_TRUE(optest::bind_status("Normalize", with_gamma(), kGamma2).ok());
  EXPECT_TRUE(optest::bind_status("Normalize", with_gamma({{"scale", 20.0}}), kGamma2).ok());
}

TEST(NormalizeSchema, RejectsMissingOrMistypedParameters) {
  EXPECT_TRUE(fails_with(optest::bind_status("Normalize", {{"scale", 20.0}}),
                         {"parameter 'gamma' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Normalize", {{"gamma", TensorRef{"missing"}}}),
                         {"read parameter 'gamma'", "tensor 'missing' must name a constant"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Normalize", {{"gamma", 20.0}}),
                         {"parameter 'gamma' must be tensor", "got float 20"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("Normalize", with_gamma({{"scale", std::string("20")}}), kGamma2),
      {"parameter 'scale' must be float", "got string"}));
  EXPECT_TRUE(
      fails_with(optest::bind_status("Normalize", with_gamma({{"gamma_init", 20.0}}), kGamma2),
                 {"parameter 'gamma_init' is not a parameter of op 'Normalize'"}));
}

TEST(NormalizeShape, KeepsTheInputShapeAndChecksGammaAgainstTheChannels) {
  EXPECT_EQ(infer_shape("Normalize", with_gamma(), {2, 5, 7, 2}, kGamma2), (Shape{2, 5, 7, 2}));
  EXPECT_EQ(infer_shape("Normalize", with_gamma(), {0, 5, 7, 2}, kGamma2), (Shape{0, 5, 7, 2}));
  EXPECT_TRUE(fails_with(
      ssdtest::infer_status("Normalize", with_gamma(), {1, 5, 7, 3}, kGamma2),
      {"parameter 'gamma' must be f32 of shape [3]", "3 channels, NHWC", "got f32 [2]"}));
  const optest::Constants rank2{{"g", tensor({1, 2}, {2, 10})}};
  EXPECT_TRUE(fails_with(ssdtest::infer_status("Normalize", with_gamma(), {1, 5, 7, 2}, rank2),
                         {"parameter 'gamma' must be f32 of shape [2]", "got f32 [1, 2]"}));
  EXPECT_TRUE(fails_with(ssdtest::infer_status("Normalize", with_gamma(), {5, 7, 2}, kGamma2),
                         {"input 0 must have rank 4", "got shape [5, 7, 2]"}));
  EXPECT_TRUE(fails_with(
      optest::infer("Normalize", with_gamma(), kGamma2, {{Shape{1, 1, 1, 2}, DType::i32}}),
      {"input 0 must be f32", "got i32"}));
}

TEST(NormalizeKernel, HandCheckedOrdinaryZeroAndTinyPixels) {
  // (3, 4) has norm 5: (0.6, 0.8) * gamma (2, 10) = (1.2, 8). An all-zero pixel stays zero.
  // (3e-7, -4e-7) has sum of squares 2.5e-13 < 1e-12, so it is scaled by 1 / sqrt(1e-12) = 1e6:
  // (0.3, -0.4) * gamma = (0.6, -4), not normalized to unit length.
  const Tensor x = tensor({1, 1, 3, 2}, {3, 4, 0, 0, 3e-7f, -4e-7f});
  const Tensor y = optest::run1("Normalize", with_gamma(), kGamma2, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 3, 2}, {1.2, 8, 0, 0, 0.6, -4}, kRtol, 0));
}

TEST(NormalizeKernel, ScaleNeverChangesTheResult) {
  const Tensor x = tensor({1, 2, 1, 2}, {1, -1, 0.5f, 2});
  const Tensor a = optest::run1("Normalize", with_gamma(), kGamma2, {x});
  const Tensor b = optest::run1("Normalize", with_gamma({{"scale", 1000.0}}), kGamma2, {x});
  EXPECT_TRUE(optest::all_close(b, a, 0, 0));
}

TEST(NormalizeKernel, MatchesNumpy) {
  for (const char* name :
       {"random_nhwc", "zero_and_tiny_pixels", "single_channel_is_sign_times_gamma"})
    optest::expect_fixture("normalize.json", name, kRtol, kAtol);
}

TEST(NormalizeKernel, MatchesTheKerasOracle) {
  // cases/normalize_layers, layer norm_rykov8 (scale 20, trained gamma), incl. an all-zero pixel.
  optest::expect_fixture("normalize.json", "oracle_norm_rykov8", kOracleRtol, kOracleAtol);
}

TEST(NormalizeKernel, EveryFixtureCaseIsReplayed) {
  ssdtest::expect_cases_listed("normalize.json",
                               {"random_nhwc", "zero_and_tiny_pixels",
                                "single_channel_is_sign_times_gamma", "oracle_norm_rykov8"});
}

}  // namespace ops_test_normalize
}  // namespace ingot
