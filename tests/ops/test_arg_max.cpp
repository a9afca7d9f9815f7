// ArgMax (Caffe's ArgMaxLayer): schema, shape rule accept + reject, and the reference kernel on
// hand-checked cases, ties included. The kernel selects and copies: results are exact.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_arg_max {

using optest::fails_with;
using optest::tensor;
using L = std::vector<std::int64_t>;

Result<std::vector<TensorInfo>> infer(const Shape& x, const AttrMap& attrs) {
  return optest::infer("ArgMax", attrs, {}, optest::f32_infos({x}));
}

Tensor arg_max(const AttrMap& attrs, const Tensor& x) { return optest::run1("ArgMax", attrs, {}, {x}); }

TEST(ArgMaxSchema, IsRegisteredWithCaffesDefaults) {
  const OpDef& def = optest::op("ArgMax");
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_FALSE(def.schema.find_param("axis")->default_value);  // unset: per sample
  EXPECT_EQ(*def.schema.find_param("top_k")->default_value, AttrValue(std::int64_t{1}));
  EXPECT_EQ(*def.schema.find_param("out_max_val")->default_value, AttrValue(false));
  EXPECT_TRUE(fails_with(optest::bind_status("ArgMax", {{"top_k", std::int64_t{0}}}), {"parameter 'top_k'", "got 0"}));
}

TEST(ArgMaxShape, AlongAnAxisOrPerSampleAsCaffeShapesIt) {
  auto out = infer({2, 5, 3, 4}, {{"axis", std::int64_t{1}}, {"top_k", std::int64_t{2}}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{2, 2, 3, 4}, DType::f32}));
  out = infer({2, 5, 3, 4}, {{"axis", std::int64_t{-1}}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].shape, (Shape{2, 5, 3, 1}));
  // No axis: [N, 1 or 2, top_k] padded with ones to the input's rank.
  out = infer({2, 5, 3, 4}, {{"top_k", std::int64_t{3}}, {"out_max_val", true}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].shape, (Shape{2, 2, 3, 1}));
  out = infer({4, 6}, {});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].shape, (Shape{4, 1, 1}));
}

TEST(ArgMaxShape, RejectsTopKBeyondTheRankedValuesAndABadAxis) {
  EXPECT_TRUE(fails_with(infer({2, 5, 3, 4}, {{"axis", std::int64_t{2}}, {"top_k", std::int64_t{4}}}),
                         {"parameter 'top_k' must be at most the 3 elements it ranks", "got 4"}));
  EXPECT_TRUE(fails_with(infer({2, 3}, {{"top_k", std::int64_t{4}}}), {"at most the 3 elements", "per sample", "got 4"}));
  EXPECT_TRUE(fails_with(infer({2, 3}, {{"axis", std::int64_t{2}}}), {"'axis'", "got 2"}));
  EXPECT_TRUE(fails_with(optest::infer("ArgMax", {}, {}, {{Shape{2, 3}, DType::f16}}), {"input 0 must be f32", "got f16"}));
}

TEST(ArgMaxKernel, HandCheckedAlongAxis1WithTiesToTheLargerIndex) {
  // x [1, 3, 2]: column 0 = [1, 5, 5] (tie: index 2 before 1), column 1 = [7, -1, 0].
  const Tensor x = tensor({1, 3, 2}, {1, 7, 5, -1, 5, 0});
  EXPECT_TRUE(optest::all_close(arg_max({{"axis", std::int64_t{1}}}, x), Shape{1, 1, 2}, {2, 0}, 0, 0));
  EXPECT_TRUE(optest::all_close(arg_max({{"axis", std::int64_t{1}}, {"top_k", std::int64_t{2}}}, x), Shape{1, 2, 2},
                                {2, 0, 1, 2}, 0, 0));
  EXPECT_TRUE(optest::all_close(
      arg_max({{"axis", std::int64_t{1}}, {"top_k", std::int64_t{2}}, {"out_max_val", true}}, x), Shape{1, 2, 2},
      {5, 7, 5, 0}, 0, 0));
}

TEST(ArgMaxKernel, HandCheckedPerSampleIndexValuePairs) {
  // Two samples of 4: [3, 9, 9, 1] -> 9 at 2, 9 at 1; [0, -2, 4, 4] -> 4 at 3, 4 at 2.
  const Tensor x = tensor({2, 2, 2}, {3, 9, 9, 1, 0, -2, 4, 4});
  EXPECT_TRUE(optest::all_close(arg_max({}, x), Shape{2, 1, 1}, {2, 3}, 0, 0));
  EXPECT_TRUE(optest::all_close(arg_max({{"top_k", std::int64_t{2}}, {"out_max_val", true}}, x), Shape{2, 2, 2},
                                {2, 1, 9, 9, 3, 2, 4, 4}, 0, 0));
}

TEST(ArgMaxKernel, NaNRanksFirst) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor y = arg_max({{"axis", std::int64_t{1}}}, tensor({1, 3}, {2, nan, 1}));
  ASSERT_EQ(y.shape(), (Shape{1, 1}));
  EXPECT_EQ(y.data<float>()[0], 1.0f);
}

}  // namespace ops_test_arg_max
}  // namespace ingot
