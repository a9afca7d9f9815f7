#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_maximum {

using optest::fails_with;
using optest::tensor;

// The maximum selects one of its float32 inputs, so it matches numpy exactly.
constexpr double kRtol = 0;
constexpr double kAtol = 0;

Result<std::vector<TensorInfo>> infer_maximum(std::initializer_list<Shape> shapes) {
  return optest::infer("Maximum", {}, {}, optest::f32_infos(shapes));
}

Tensor maximum(const std::vector<Tensor>& inputs) {
  return optest::run1("Maximum", {}, {}, inputs);
}

TEST(MaximumSchema, IsVariadicWithNoParameters) {
  const OpDef& def = optest::op("Maximum");
  EXPECT_EQ(def.schema.min_inputs, 2);
  EXPECT_EQ(def.schema.max_inputs, kVariadic);
  EXPECT_TRUE(def.schema.params.empty());
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(fails_with(optest::bind_status("Maximum", {{"axis", std::int64_t{-1}}}),
                         {"parameter 'axis' is not a parameter of op 'Maximum'", "got -1"}));
}

TEST(MaximumShape, BroadcastsLikeNumpy) {
  auto shape = [](std::initializer_list<Shape> s) {
    return mathtest::infer_shape("Maximum", {}, {}, s);
  };
  EXPECT_EQ(shape({{2, 3}, {2, 3}}), (Shape{2, 3}));
  EXPECT_EQ(shape({{2, 1, 4}, {3, 1}, {4}}), (Shape{2, 3, 4}));
  EXPECT_EQ(shape({{}, {5}}), (Shape{5}));
}

TEST(MaximumShape, RejectsOneInputIncompatibleShapesAndNonF32) {
  EXPECT_TRUE(
      fails_with(infer_maximum({{2}}), {"op 'Maximum' must have at least 2 inputs", "got 1"}));
  EXPECT_TRUE(
      fails_with(infer_maximum({{2, 3}, {3, 3}}),
                 {"input 1 shape [3, 3] must broadcast with [2, 3] (input 0;", "got 3 against 2"}));
  EXPECT_TRUE(
      fails_with(optest::infer("Maximum", {}, {}, {{Shape{2}, DType::f32}, {Shape{2}, DType::u8}}),
                 {"input 1 must be f32", "got u8"}));
}

TEST(MaximumKernel, HandCheckedBroadcast) {
  // max([[1, 5], [3, -2]], [2, 2]) = [[2, 5], [3, 2]]; then max with [[0], [4]] per row:
  //   [[2, 5], [4, 4]]
  const Tensor a = tensor({2, 2}, {1, 5, 3, -2});
  EXPECT_TRUE(
      optest::all_close(maximum({a, tensor({2}, {2, 2})}), Shape{2, 2}, {2, 5, 3, 2}, 0, 0));
  EXPECT_TRUE(optest::all_close(maximum({a, tensor({2}, {2, 2}), tensor({2, 1}, {0, 4})}),
                                Shape{2, 2}, {2, 5, 4, 4}, 0, 0));
}

TEST(MaximumKernel, NaNWinsInEitherPositionAndTiesKeepTheEarlierInput) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor y = maximum({tensor({2}, {nan, 1}), tensor({2}, {1, nan})});
  ASSERT_FALSE(y.empty());
  EXPECT_TRUE(std::isnan(y.data<float>()[0]));
  EXPECT_TRUE(std::isnan(y.data<float>()[1]));
  // 0 and -0 compare equal: the first input's zero is kept.
  const Tensor z = maximum({tensor({2}, {0.0f, -0.0f}), tensor({2}, {-0.0f, 0.0f})});
  ASSERT_FALSE(z.empty());
  EXPECT_FALSE(std::signbit(z.data<float>()[0]));
  EXPECT_TRUE(std::signbit(z.data<float>()[1]));
}

TEST(MaximumKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases(
      "maximum.json", {"two_same_shape", "two_broadcast", "three_broadcast", "four_rank4"}, kRtol,
      kAtol);
}

}  // namespace ops_test_maximum
}  // namespace ingot
