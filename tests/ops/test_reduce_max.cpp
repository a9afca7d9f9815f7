// The schema and shape rule ReduceMax shares with ReduceMean are tested on both ops in
// test_reduce_mean.cpp; this file covers ReduceMax's own registration and kernel.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_reduce_max {

using optest::fails_with;
using optest::tensor;

// The max selects one of its float32 inputs, so it matches numpy exactly.
constexpr double kRtol = 0;
constexpr double kAtol = 0;

AttrMap axes(std::vector<std::int64_t> a, bool keepdims = false) {
  return {{"axes", std::move(a)}, {"keepdims", keepdims}};
}

Tensor reduce_max(const AttrMap& attrs, const Tensor& x) {
  return optest::run1("ReduceMax", attrs, {}, {x});
}

TEST(ReduceMaxSchema, IsRegisteredAndRejectsARepeatedAxis) {
  const OpDef& def = optest::op("ReduceMax");
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(
      fails_with(optest::infer("ReduceMax", axes({0, -2}), {}, optest::f32_infos({{2, 3}})),
                 {"parameter 'axes' must name each axis once", "got [0, -2], axis 0 twice"}));
}

TEST(ReduceMaxKernel, HandCheckedOverAxes12WithAndWithoutKeepdims) {
  // x [1, 2, 2, 3], channel last:  c0 = [3, 5, 1, 2] -> 5;  c1 = [-1, -2, 7, 4] -> 7;
  //                                 c2 = [0, 0, -3, -4] -> 0
  const Tensor x = tensor({1, 2, 2, 3}, {3, -1, 0, 5, -2, 0, 1, 7, -3, 2, 4, -4});
  EXPECT_TRUE(optest::all_close(reduce_max(axes({1, 2}), x), Shape{1, 3}, {5, 7, 0}, 0, 0));
  EXPECT_TRUE(
      optest::all_close(reduce_max(axes({1, 2}, true), x), Shape{1, 1, 1, 3}, {5, 7, 0}, 0, 0));
  // Over everything: 7.
  EXPECT_TRUE(optest::all_close(reduce_max(axes({3, 2, 1, 0}), x), Shape{}, {7}, 0, 0));
}

TEST(ReduceMaxKernel, AllNegativeAndInfiniteBlocks) {
  // A kernel that starts from 0 instead of the first element would return 0 here.
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor y = reduce_max(axes({1}), tensor({3, 2}, {-3, -2, -inf, -inf, -5, inf}));
  // Compared one by one: all_close sees inf - inf = NaN as a mismatch.
  ASSERT_EQ(y.shape(), (Shape{3}));
  EXPECT_EQ(y.data<float>()[0], -2.0f);
  EXPECT_EQ(y.data<float>()[1], -inf);
  EXPECT_EQ(y.data<float>()[2], inf);
}

TEST(ReduceMaxKernel, NaNWinsWhereverItIs) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor y = reduce_max(axes({1}), tensor({3, 3}, {nan, 1, 2, 1, nan, 2, 1, 2, 3}));
  ASSERT_FALSE(y.empty());
  EXPECT_TRUE(std::isnan(y.data<float>()[0]));
  EXPECT_TRUE(std::isnan(y.data<float>()[1]));
  EXPECT_EQ(y.data<float>()[2], 3.0f);
}

TEST(ReduceMaxKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases("reducemax.json",
                                 {"axes_1_2", "axes_1_2_keepdims", "axis_last_negative",
                                  "all_axes_to_scalar", "axes_unsorted_keepdims"},
                                 kRtol, kAtol);
}

}  // namespace ops_test_reduce_max
}  // namespace ingot
