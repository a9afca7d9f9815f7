#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_sub {

using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-7 * |want|. The difference of two
// float32 values in [-1, 1] is exact in float64 (numpy) and rounded once in float32 (kernel):
// <= 2^-24 ~ 6e-8 relative. A wrong broadcast index changes results by ~0.1.
constexpr double kRtol = 1e-7;
constexpr double kAtol = 0;

Result<std::vector<TensorInfo>> infer_sub(std::initializer_list<Shape> shapes) {
  return optest::infer("Sub", {}, {}, optest::f32_infos(shapes));
}

TEST(SubSchema, TakesExactlyTwoInputsAndNoParameters) {
  const OpDef& def = optest::op("Sub");
  EXPECT_EQ(def.schema.min_inputs, 2);
  EXPECT_EQ(def.schema.max_inputs, 2);
  EXPECT_TRUE(def.schema.params.empty());
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(optest::bind_status("Sub", {}).ok());
  EXPECT_TRUE(fails_with(
      optest::bind_status("Sub", {{"axis", std::int64_t{1}}}),
      {"parameter 'axis' is not a parameter of op 'Sub' (its parameters: none)", "got 1"}));
}

TEST(SubShape, BroadcastsLikeNumpy) {
  auto shape = [](std::initializer_list<Shape> s) {
    return mathtest::infer_shape("Sub", {}, {}, s);
  };
  EXPECT_EQ(shape({{2, 3}, {2, 3}}), (Shape{2, 3}));
  EXPECT_EQ(shape({{2, 3, 4}, {3, 1}}), (Shape{2, 3, 4}));
  EXPECT_EQ(shape({{3, 1}, {1, 4}}), (Shape{3, 4}));
  EXPECT_EQ(shape({{}, {2, 2}}), (Shape{2, 2}));
}

TEST(SubShape, RejectsOtherInputCountsIncompatibleShapesAndNonF32) {
  EXPECT_TRUE(
      fails_with(infer_sub({{2}, {2}, {2}}), {"op 'Sub' must have exactly 2 inputs", "got 3"}));
  EXPECT_TRUE(fails_with(infer_sub({{2}}), {"op 'Sub' must have exactly 2 inputs", "got 1"}));
  EXPECT_TRUE(
      fails_with(infer_sub({{2, 3}, {4, 3}}),
                 {"input 1 shape [4, 3] must broadcast with [2, 3] (input 0;", "got 4 against 2"}));
  EXPECT_TRUE(
      fails_with(optest::infer("Sub", {}, {}, {{Shape{2}, DType::f32}, {Shape{2}, DType::f16}}),
                 {"input 1 must be f32", "got f16"}));
}

TEST(SubKernel, HandCheckedBroadcastEitherSide) {
  // [[5, 7], [9, 11]] - [1, 2] = [[4, 5], [8, 9]]
  const Tensor a =
      optest::run1("Sub", {}, {}, {tensor({2, 2}, {5, 7, 9, 11}), tensor({2}, {1, 2})});
  EXPECT_TRUE(optest::all_close(a, Shape{2, 2}, {4, 5, 8, 9}, 0, 0));
  // 10 - [[1, 2], [3, 4]] = [[9, 8], [7, 6]]: the order of the operands is kept.
  const Tensor b = optest::run1("Sub", {}, {}, {tensor({}, {10}), tensor({2, 2}, {1, 2, 3, 4})});
  EXPECT_TRUE(optest::all_close(b, Shape{2, 2}, {9, 8, 7, 6}, 0, 0));
  // [[1], [2]] - [10, 20, 30] = [[-9, -19, -29], [-8, -18, -28]]: both sides grow.
  const Tensor c = optest::run1("Sub", {}, {}, {tensor({2, 1}, {1, 2}), tensor({3}, {10, 20, 30})});
  EXPECT_TRUE(optest::all_close(c, Shape{2, 3}, {-9, -19, -29, -8, -18, -28}, 0, 0));
}

TEST(SubKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases(
      "sub.json", {"same_shape", "broadcast_second", "broadcast_both", "scalar_first"}, kRtol,
      kAtol);
}

}  // namespace ops_test_sub
}  // namespace ingot
