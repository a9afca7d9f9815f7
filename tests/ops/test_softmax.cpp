#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_softmax {

using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-7 + 2e-6 * |want|. numpy computes
// exp(x - max) / sum in float64; the kernel does the same in float32: x - max is exact wherever
// the result is not negligible (Sterbenz), expf is within ~1 ulp, and the sum of <= 6 terms and
// the division add a few roundings of 2^-24, so <= ~5e-7 relative (2e-7 measured). The absolute
// 1e-7 covers probabilities that underflow float32 (exp(-2000)) but not float64. A wrong axis or
// a missing max shift (inf / inf = NaN at 1000) fails by far more.
constexpr double kRtol = 2e-6;
constexpr double kAtol = 1e-7;

Tensor softmax(const Tensor& x, std::int64_t axis = -1) {
  return optest::run1("Softmax", {{"axis", axis}}, {}, {x});
}

TEST(SoftmaxSchema, IsRegisteredWithAxisDefaultLast) {
  const OpDef& def = optest::op("Softmax");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_EQ(*def.schema.find_param("axis")->default_value, AttrValue(std::int64_t{-1}));
  EXPECT_TRUE(optest::bind_status("Softmax", {}).ok());
  EXPECT_TRUE(optest::bind_status("Softmax", {{"axis", std::int64_t{1}}}).ok());
}

TEST(SoftmaxSchema, RejectsBadAxisAndUnknownParameters) {
  EXPECT_TRUE(fails_with(optest::bind_status("Softmax", {{"axis", std::int64_t{-9}}}),
                         {"parameter 'axis' must be in [-8, 7]", "got -9"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Softmax", {{"axis", std::string("channels")}}),
                         {"parameter 'axis' must be int", "got string \"channels\""}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("Softmax", {{"beta", 1.0}}),
      {"parameter 'beta' is not a parameter of op 'Softmax'", "(its parameters: axis)", "got 1"}));
}

TEST(SoftmaxShape, KeepsTheInput) {
  EXPECT_EQ(mathtest::infer_shape("Softmax", {}, {}, {{2, 10}}), (Shape{2, 10}));
  EXPECT_EQ(mathtest::infer_shape("Softmax", {{"axis", std::int64_t{1}}}, {}, {{1, 5, 7, 7}}),
            (Shape{1, 5, 7, 7}));
  EXPECT_EQ(mathtest::infer_shape("Softmax", {}, {}, {{0, 3}}), (Shape{0, 3}));
}

TEST(SoftmaxShape, RejectsScalarNonF32AndAxisOutsideTheRank) {
  EXPECT_TRUE(fails_with(optest::infer("Softmax", {}, {}, optest::f32_infos({{}})),
                         {"input 0 must have rank >= 1", "got shape []"}));
  EXPECT_TRUE(fails_with(optest::infer("Softmax", {}, {}, {{Shape{3}, DType::f16}}),
                         {"input 0 must be f32", "got f16"}));
  EXPECT_TRUE(fails_with(
      optest::infer("Softmax", {{"axis", std::int64_t{2}}}, {}, optest::f32_infos({{2, 10}})),
      {"parameter 'axis' must be in [-2, 1] (input 0 has rank 2)", "got 2"}));
}

TEST(SoftmaxKernel, HandCheckedLargeValuesOnTheLastAxis) {
  // softmax([1000, 1001, 1002]) = softmax([0, 1, 2]) = [1, e, e^2] / (1 + e + e^2)
  //   = [0.0900305732, 0.2447284711, 0.6652409558]. Without the max shift exp(1000) = inf.
  const Tensor y = softmax(tensor({1, 3}, {1000, 1001, 1002}));
  EXPECT_TRUE(
      optest::all_close(y, Shape{1, 3}, {0.0900305732, 0.2447284711, 0.6652409558}, 1e-6, 0));
  // All very negative: exp(-1000) is 0 in float32, so an unshifted softmax gives 0 / 0.
  const Tensor z = softmax(tensor({2}, {-1000, -1000}));
  EXPECT_TRUE(optest::all_close(z, Shape{2}, {0.5, 0.5}, 0, 0));
}

TEST(SoftmaxKernel, HandCheckedLargeValuesOnAxis1Nchw) {
  // x [1, 2, 1, 2] NCHW: channel 0 = [1000, 1001], channel 1 = [1000, 1000]. Over the channels:
  //   pixel 0: softmax(1000, 1000) = [0.5, 0.5]
  //   pixel 1: softmax(1001, 1000) = [e, 1] / (e + 1) = [0.7310585786, 0.2689414214]
  const Tensor y = softmax(tensor({1, 2, 1, 2}, {1000, 1001, 1000, 1000}), 1);
  EXPECT_TRUE(
      optest::all_close(y, Shape{1, 2, 1, 2}, {0.5, 0.7310585786, 0.5, 0.2689414214}, 1e-6, 0));
  // The same data over the last axis gives other numbers: the axis is honored.
  const Tensor last = softmax(tensor({1, 2, 1, 2}, {1000, 1001, 1000, 1000}));
  EXPECT_TRUE(
      optest::all_close(last, Shape{1, 2, 1, 2}, {0.2689414214, 0.7310585786, 0.5, 0.5}, 1e-6, 0));
}

TEST(SoftmaxKernel, NhwcAxisLastEqualsNchwAxis1) {
  std::vector<float> values;
  for (int i = 0; i < 2 * 2 * 3 * 4; ++i) values.push_back(static_cast<float>((i * 7) % 11) - 5);
  const Tensor nhwc = tensor({2, 2, 3, 4}, values);
  const Tensor y_nhwc = softmax(nhwc);
  const Tensor y_nchw = softmax(optest::nhwc_to_nchw(nhwc), 1);
  // Same float32 operations per element in the same order: identical results.
  EXPECT_TRUE(optest::all_close(y_nchw, optest::nhwc_to_nchw(y_nhwc), 0, 0));
}

TEST(SoftmaxKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases(
      "softmax.json",
      {"axis_last", "nchw_axis1", "axis0", "large_values_axis_last", "large_values_nchw_axis1"},
      kRtol, kAtol);
}

}  // namespace ops_test_softmax
}  // namespace ingot
