#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace ingot {
namespace ops_test_add {

using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-6 + 1e-6 * |want|. The kernel adds
// at most 4 float32 values in [-1, 1], rounding once per add (<= 3 * 2^-24 * 4 ~ 7e-7 absolute);
// numpy adds the same float32 values in float64. A wrong broadcast index changes results by
// ~0.1.
constexpr double kRtol = 1e-6;
constexpr double kAtol = 1e-6;

Result<std::vector<TensorInfo>> infer_add(std::initializer_list<Shape> shapes) {
  return optest::infer("Add", {}, {}, optest::f32_infos(shapes));
}

Shape infer_shape(std::initializer_list<Shape> shapes) {
  auto out = infer_add(shapes);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() && out->size() == 1 ? (*out)[0].shape : Shape{};
}

TEST(AddSchema, IsVariadicWithNoParameters) {
  const OpDef& def = optest::op("Add");
  EXPECT_EQ(def.schema.min_inputs, 2);
  EXPECT_EQ(def.schema.max_inputs, kVariadic);
  EXPECT_TRUE(def.schema.params.empty());
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(optest::bind_status("Add", {}).ok());
}

TEST(AddSchema, RejectsAnyParameter) {
  EXPECT_TRUE(fails_with(
      optest::bind_status("Add", {{"axis", std::int64_t{1}}}),
      {"parameter 'axis' is not a parameter of op 'Add' (its parameters: none)", "got 1"}));
}

TEST(AddShape, BroadcastsLikeNumpy) {
  EXPECT_EQ(infer_shape({{2, 3}, {2, 3}}), (Shape{2, 3}));
  EXPECT_EQ(infer_shape({{2, 1, 4}, {3, 1}, {4}}), (Shape{2, 3, 4}));
  EXPECT_EQ(infer_shape({{1, 3, 1, 5}, {2, 1, 4, 1}, {1}}), (Shape{2, 3, 4, 5}));
  EXPECT_EQ(infer_shape({{}, {3}}), (Shape{3}));  // a scalar broadcasts everywhere
  EXPECT_EQ(infer_shape({{}, {}}), (Shape{}));
  EXPECT_EQ(infer_shape({{0, 3}, {1, 3}}), (Shape{0, 3}));  // 1 stretches to 0, as in numpy
  EXPECT_EQ(infer_shape({{5, 1}, {1, 6}, {1, 1}, {6}}), (Shape{5, 6}));
}

TEST(AddShape, RejectsIncompatibleShapesNamingBoth) {
  EXPECT_TRUE(
      fails_with(infer_add({{2, 3}, {4, 3}}),
                 {"input 1 shape [4, 3] must broadcast with [2, 3] (input 0;", "got 4 against 2"}));
  // The third input meets the broadcast of the first two, [2, 3, 4].
  EXPECT_TRUE(fails_with(
      infer_add({{2, 1, 4}, {3, 1}, {5, 4}}),
      {"input 2 shape [5, 4] must broadcast with [2, 3, 4] (inputs 0..1;", "got 5 against 3"}));
  EXPECT_TRUE(fails_with(infer_add({{0, 3}, {2, 3}}), {"input 1 shape [2, 3]", "got 2 against 0"}));
}

TEST(AddShape, RejectsNonF32AndTooFewInputs) {
  auto r = optest::infer("Add", {}, {},
                         {{Shape{2}, DType::f32}, {Shape{2}, DType::f32}, {Shape{2}, DType::i64}});
  EXPECT_TRUE(fails_with(r, {"input 2 must be f32", "got i64"}));
  EXPECT_TRUE(fails_with(infer_add({{2, 3}}), {"at least 2 inputs", "got 1"}));
}

TEST(AddShape, RejectsAbsurdOutputSize) {
  EXPECT_TRUE(fails_with(infer_add({{1 << 21, 1}, {1, 1 << 21}}),
                         {"infer output shape [2097152, 2097152]", "element count"}));
}

TEST(AddKernel, HandCheckedThreeInputsBroadcast) {
  // a [2, 1] = [[1], [2]], b [3] = [10, 20, 30], c [] = 100:
  //   [[111, 121, 131], [112, 122, 132]]      (small integers: exact)
  const Tensor y = optest::run1(
      "Add", {}, {}, {tensor({2, 1}, {1, 2}), tensor({3}, {10, 20, 30}), tensor({}, {100})});
  EXPECT_TRUE(optest::all_close(y, Shape{2, 3}, {111, 121, 131, 112, 122, 132}, 0, 0));
}

TEST(AddKernel, SumsInInputOrder) {
  // (2^24 + 1) - 2^24 in float32: 2^24 + 1 rounds to 2^24 first, so the result is 0, while
  // 1 + (2^24 - 2^24) would be 1. Exact comparison: this is about rounding order.
  const float big = 16777216.0f;
  const Tensor y =
      optest::run1("Add", {}, {}, {tensor({1}, {big}), tensor({1}, {1}), tensor({1}, {-big})});
  EXPECT_TRUE(optest::all_close(y, Shape{1}, {0}, 0, 0));
}

TEST(AddKernel, KeepsNegativeZero) {
  const Tensor y = optest::run1("Add", {}, {}, {tensor({1}, {-0.0f}), tensor({1}, {-0.0f})});
  ASSERT_FALSE(y.empty());
  EXPECT_TRUE(std::signbit(y.data<float>()[0]));
}

const std::vector<std::string> kFixtureCases = {"two_same_shape", "three_broadcast",
                                                "three_broadcast_rank4", "four_inputs_scalar_like"};

TEST(AddKernel, NumpyTwoSameShape) {
  optest::expect_fixture("add.json", "two_same_shape", kRtol, kAtol);
}
TEST(AddKernel, NumpyThreeInputsBroadcast) {
  optest::expect_fixture("add.json", "three_broadcast", kRtol, kAtol);
}
TEST(AddKernel, NumpyThreeInputsBroadcastRank4) {
  optest::expect_fixture("add.json", "three_broadcast_rank4", kRtol, kAtol);
}
TEST(AddKernel, NumpyFourInputs) {
  optest::expect_fixture("add.json", "four_inputs_scalar_like", kRtol, kAtol);
}

TEST(AddKernel, EveryFixtureCaseIsTested) {
  std::vector<std::string> listed = kFixtureCases;
  std::vector<std::string> in_file = optest::fixture_case_names("add.json");
  std::sort(listed.begin(), listed.end());
  std::sort(in_file.begin(), in_file.end());
  EXPECT_EQ(listed, in_file);
}

}  // namespace ops_test_add
}  // namespace ingot
