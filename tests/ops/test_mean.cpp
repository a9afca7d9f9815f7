#include <cmath>
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_mean {

using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-6 + 1e-6 * |want|. As for Add, the
// kernel sums at most 4 float32 values in [-1, 1] (<= 3 roundings of 2^-24 * 4 ~ 7e-7 absolute)
// and then divides once (2^-24 relative); numpy averages the same values in float64. A wrong
// broadcast index or a missing division changes results by ~0.1.
constexpr double kRtol = 1e-6;
constexpr double kAtol = 1e-6;

Result<std::vector<TensorInfo>> infer_mean(std::initializer_list<Shape> shapes) {
  return optest::infer("Mean", {}, {}, optest::f32_infos(shapes));
}

Tensor mean(const std::vector<Tensor>& inputs) { return optest::run1("Mean", {}, {}, inputs); }

TEST(MeanSchema, IsVariadicWithNoParameters) {
  const OpDef& def = optest::op("Mean");
  EXPECT_EQ(def.schema.min_inputs, 2);
  EXPECT_EQ(def.schema.max_inputs, kVariadic);
  EXPECT_TRUE(def.schema.params.empty());
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(fails_with(optest::bind_status("Mean", {{"axes", std::vector<std::int64_t>{0}}}),
                         {"parameter 'axes' is not a parameter of op 'Mean'", "got [0]"}));
}

TEST(MeanShape, BroadcastsLikeNumpy) {
  auto shape = [](std::initializer_list<Shape> s) {
    return mathtest::infer_shape("Mean", {}, {}, s);
  };
  EXPECT_EQ(shape({{2, 3}, {2, 3}}), (Shape{2, 3}));
  EXPECT_EQ(shape({{2, 1, 4}, {3, 1}, {4}, {1}}), (Shape{2, 3, 4}));
}

TEST(MeanShape, RejectsOneInputIncompatibleShapesAndNonF32) {
  EXPECT_TRUE(fails_with(infer_mean({{2}}), {"op 'Mean' must have at least 2 inputs", "got 1"}));
  EXPECT_TRUE(
      fails_with(infer_mean({{2}, {2}, {3}}),
                 {"input 2 shape [3] must broadcast with [2] (inputs 0..1;", "got 3 against 2"}));
  EXPECT_TRUE(fails_with(
      optest::infer("Mean", {}, {}, {{Shape{2}, DType::f32}, {Shape{2}, DType::boolean}}),
      {"input 1 must be f32", "got bool"}));
}

TEST(MeanKernel, HandCheckedTwoAndThreeInputs) {
  // ([[1, 2], [3, 4]] + [3, 0]) / 2 = [[4, 2], [6, 4]] / 2 = [[2, 1], [3, 2]]
  EXPECT_TRUE(optest::all_close(mean({tensor({2, 2}, {1, 2, 3, 4}), tensor({2}, {3, 0})}),
                                Shape{2, 2}, {2, 1, 3, 2}, 0, 0));
  // ([1, 4, 7] + 2 + [[0], [3]]) / 3 = [[3, 6, 9], [6, 9, 12]] / 3 = [[1, 2, 3], [2, 3, 4]]
  EXPECT_TRUE(
      optest::all_close(mean({tensor({3}, {1, 4, 7}), tensor({}, {2}), tensor({2, 1}, {0, 3})}),
                        Shape{2, 3}, {1, 2, 3, 2, 3, 4}, 0, 0));
}

TEST(MeanKernel, SumsFirstThenDividesLikeKerasAverage) {
  // (3e38 + 3e38) / 2 overflows float32 to inf before the division, as Keras' Average does;
  // averaging by x0 / 2 + x1 / 2 would give 3e38.
  const Tensor y = mean({tensor({1}, {3e38f}), tensor({1}, {3e38f})});
  ASSERT_FALSE(y.empty());
  EXPECT_TRUE(std::isinf(y.data<float>()[0]));
}

TEST(MeanKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases(
      "mean.json", {"two_same_shape", "two_broadcast", "three_broadcast", "four_rank4"}, kRtol,
      kAtol);
}

}  // namespace ops_test_mean
}  // namespace ingot
