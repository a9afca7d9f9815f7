#include <cmath>
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_mul {

using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-6 * |want|. The kernel multiplies up
// to 4 float32 values, rounding 3 times (<= 3 * 2^-24 ~ 1.8e-7 relative, no underflow for
// values >= 0.001); numpy's float64 product is exact to 2^-53. A wrong broadcast index changes
// results by a sizable fraction.
constexpr double kRtol = 1e-6;
constexpr double kAtol = 0;

Result<std::vector<TensorInfo>> infer_mul(std::initializer_list<Shape> shapes) {
  return optest::infer("Mul", {}, {}, optest::f32_infos(shapes));
}

TEST(MulSchema, IsVariadicWithNoParameters) {
  const OpDef& def = optest::op("Mul");
  EXPECT_EQ(def.schema.min_inputs, 2);
  EXPECT_EQ(def.schema.max_inputs, kVariadic);
  EXPECT_TRUE(def.schema.params.empty());
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(fails_with(optest::bind_status("Mul", {{"scale", 2.0}}),
                         {"parameter 'scale' is not a parameter of op 'Mul'", "got 2"}));
}

TEST(MulShape, BroadcastsLikeNumpy) {
  auto shape = [](std::initializer_list<Shape> s) {
    return mathtest::infer_shape("Mul", {}, {}, s);
  };
  EXPECT_EQ(shape({{2, 3}, {2, 3}}), (Shape{2, 3}));
  EXPECT_EQ(shape({{2, 1, 4}, {3, 1}, {4}}), (Shape{2, 3, 4}));
  // Keras' Multiply of [N, H, W, C] by a squeeze-excitation [N, 1, 1, C].
  EXPECT_EQ(shape({{1, 7, 7, 16}, {1, 1, 1, 16}}), (Shape{1, 7, 7, 16}));
}

TEST(MulShape, RejectsOneInputIncompatibleShapesAndNonF32) {
  EXPECT_TRUE(fails_with(infer_mul({{2}}), {"op 'Mul' must have at least 2 inputs", "got 1"}));
  EXPECT_TRUE(fails_with(
      infer_mul({{2, 1, 4}, {3, 1}, {5, 4}}),
      {"input 2 shape [5, 4] must broadcast with [2, 3, 4] (inputs 0..1;", "got 5 against 3"}));
  EXPECT_TRUE(
      fails_with(optest::infer("Mul", {}, {}, {{Shape{2}, DType::i32}, {Shape{2}, DType::f32}}),
                 {"input 0 must be f32", "got i32"}));
}

TEST(MulKernel, HandCheckedThreeInputsBroadcast) {
  // [[1], [2]] * [1, 2, 3] * 10 = [[10, 20, 30], [20, 40, 60]]
  const Tensor y = optest::run1("Mul", {}, {},
                                {tensor({2, 1}, {1, 2}), tensor({3}, {1, 2, 3}), tensor({}, {10})});
  EXPECT_TRUE(optest::all_close(y, Shape{2, 3}, {10, 20, 30, 20, 40, 60}, 0, 0));
}

TEST(MulKernel, MultipliesInInputOrder) {
  // (1e30 * 1e30) * 1e-30 overflows float32 to inf first; 1e30 * (1e30 * 1e-30) would be 1e30.
  const Tensor y = optest::run1(
      "Mul", {}, {}, {tensor({1}, {1e30f}), tensor({1}, {1e30f}), tensor({1}, {1e-30f})});
  ASSERT_FALSE(y.empty());
  EXPECT_TRUE(std::isinf(y.data<float>()[0]));
}

TEST(MulKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases(
      "mul.json", {"two_same_shape", "two_broadcast", "three_broadcast", "four_rank4"}, kRtol,
      kAtol);
}

}  // namespace ops_test_mul
}  // namespace ingot
