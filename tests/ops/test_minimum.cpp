#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_minimum {

using optest::fails_with;
using optest::tensor;

// The minimum selects one of its float32 inputs, so it matches numpy exactly.
constexpr double kRtol = 0;
constexpr double kAtol = 0;

Result<std::vector<TensorInfo>> infer_minimum(std::initializer_list<Shape> shapes) {
  return optest::infer("Minimum", {}, {}, optest::f32_infos(shapes));
}

Tensor minimum(const std::vector<Tensor>& inputs) {
  return optest::run1("Minimum", {}, {}, inputs);
}

TEST(MinimumSchema, IsVariadicWithNoParameters) {
  const OpDef& def = optest::op("Minimum");
  EXPECT_EQ(def.schema.min_inputs, 2);
  EXPECT_EQ(def.schema.max_inputs, kVariadic);
  EXPECT_TRUE(def.schema.params.empty());
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(fails_with(optest::bind_status("Minimum", {{"axis", std::int64_t{-1}}}),
                         {"parameter 'axis' is not a parameter of op 'Minimum'", "got -1"}));
}

TEST(MinimumShape, BroadcastsLikeNumpy) {
  auto shape = [](std::initializer_list<Shape> s) {
    return mathtest::infer_shape("Minimum", {}, {}, s);
  };
  EXPECT_EQ(shape({{2, 3}, {2, 3}}), (Shape{2, 3}));
  EXPECT_EQ(shape({{2, 1, 4}, {3, 1}, {4}}), (Shape{2, 3, 4}));
  EXPECT_EQ(shape({{}, {5}}), (Shape{5}));
}

TEST(MinimumShape, RejectsOneInputIncompatibleShapesAndNonF32) {
  EXPECT_TRUE(
      fails_with(infer_minimum({{2}}), {"op 'Minimum' must have at least 2 inputs", "got 1"}));
  EXPECT_TRUE(
      fails_with(infer_minimum({{2, 3}, {3, 3}}),
                 {"input 1 shape [3, 3] must broadcast with [2, 3] (input 0;", "got 3 against 2"}));
  EXPECT_TRUE(
      fails_with(optest::infer("Minimum", {}, {}, {{Shape{2}, DType::f32}, {Shape{2}, DType::u8}}),
                 {"input 1 must be f32", "got u8"}));
}

TEST(MinimumKernel, HandCheckedBroadcast) {
  // min([[1, 5], [3, -2]], [2, 2]) = [[1, 2], [2, -2]]; then min with [[0], [4]] per row:
  //   [[0, 0], [2, -2]]
  const Tensor a = tensor({2, 2}, {1, 5, 3, -2});
  EXPECT_TRUE(
      optest::all_close(minimum({a, tensor({2}, {2, 2})}), Shape{2, 2}, {1, 2, 2, -2}, 0, 0));
  EXPECT_TRUE(optest::all_close(minimum({a, tensor({2}, {2, 2}), tensor({2, 1}, {0, 4})}),
                                Shape{2, 2}, {0, 0, 2, -2}, 0, 0));
}

TEST(MinimumKernel, NaNWinsInEitherPositionAndTiesKeepTheEarlierInput) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor y = minimum({tensor({2}, {nan, 1}), tensor({2}, {1, nan})});
  ASSERT_FALSE(y.empty());
  EXPECT_TRUE(std::isnan(y.data<float>()[0]));
  EXPECT_TRUE(std::isnan(y.data<float>()[1]));
  // 0 and -0 compare equal: the first input's zero is kept.
  const Tensor z = minimum({tensor({2}, {0.0f, -0.0f}), tensor({2}, {-0.0f, 0.0f})});
  ASSERT_FALSE(z.empty());
  EXPECT_FALSE(std::signbit(z.data<float>()[0]));
  EXPECT_TRUE(std::signbit(z.data<float>()[1]));
}

TEST(MinimumKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases(
      "minimum.json", {"two_same_shape", "two_broadcast", "three_broadcast", "four_rank4"}, kRtol,
      kAtol);
}

}  // namespace ops_test_minimum
}  // namespace ingot
