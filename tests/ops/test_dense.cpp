#include <algorithm>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace ingot {
namespace ops_test_dense {

using optest::Constants;
using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-5 + 1e-5 * |want|. The kernel sums
// at most 7 products of values in [-1, 1] in float32; numpy sums the same float32 inputs in
// float64. float32 rounding (2^-24 ~ 6e-8 per step) keeps the difference near 1e-7; a wrong
// weight index changes results by ~0.1.
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-5;

Tensor zeros(const Shape& shape) { return Tensor::allocate(DType::f32, shape).value(); }

AttrMap dense_attrs(bool bias = false) {
  AttrMap a{{"weights", TensorRef{"w"}}};
  if (bias) a["bias"] = TensorRef{"b"};
  return a;
}

Result<std::vector<TensorInfo>> infer_dense(const Shape& x, const Shape& w,
                                            const Shape* bias = nullptr) {
  Constants c{{"w", zeros(w)}};
  if (bias) c["b"] = zeros(*bias);
  return optest::infer("Dense", dense_attrs(bias != nullptr), c, optest::f32_infos({x}));
}

TEST(DenseSchema, IsRegisteredWithOneInputAndAKernel) {
  const OpDef& def = optest::op("Dense");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(def.schema.find_param("weights")->required);
  EXPECT_FALSE(def.schema.find_param("bias")->required);
  EXPECT_FALSE(def.schema.find_param("bias")->default_value.has_value());
}

TEST(DenseSchema, AcceptsWeightsWithAndWithoutBias) {
  const Constants c{{"w", zeros({4, 3})}, {"b", zeros({4})}};
  EXPECT_TRUE(optest::bind_status("Dense", dense_attrs(), c).ok());
  EXPECT_TRUE(optest::bind_status("Dense", dense_attrs(true), c).ok());
}

TEST(DenseSchema, RejectsMissingWrongTypedUnknownAndUnresolvedParameters) {
  const Constants c{{"w", zeros({4, 3})}};
  EXPECT_TRUE(fails_with(optest::bind_status("Dense", {}, c),
                         {"parameter 'weights' is required", "got nothing"}));
  EXPECT_TRUE(
      fails_with(optest::bind_status("Dense", {{"weights", std::vector<double>{1.0, 2.0}}}, c),
                 {"parameter 'weights' must be tensor", "got float list [1, 2]"}));
  EXPECT_TRUE(
      fails_with(optest::bind_status("Dense", {{"weights", TensorRef{"w"}}, {"bias", 0.5}}, c),
                 {"parameter 'bias' must be tensor", "got float 0.5"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("Dense", {{"weights", TensorRef{"w"}}, {"units", std::int64_t{4}}}, c),
      {"parameter 'units' is not a parameter of op 'Dense'", "got 4"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("Dense", {{"weights", TensorRef{"w"}}, {"bias", TensorRef{"nope"}}}, c),
      {"read parameter 'bias'", "tensor 'nope' must name a constant"}));
}

TEST(DenseShape, ReplacesTheLastAxis) {
  auto r2 = infer_dense({3, 5}, {4, 5});
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  EXPECT_EQ((*r2)[0], (TensorInfo{Shape{3, 4}, DType::f32}));
  const Shape bias{4};
  auto r3 = infer_dense({2, 3, 5}, {4, 5}, &bias);
  ASSERT_TRUE(r3.ok()) << r3.status().message();
  EXPECT_EQ((*r3)[0].shape, (Shape{2, 3, 4}));
  auto r1 = infer_dense({5}, {4, 5});
  ASSERT_TRUE(r1.ok()) << r1.status().message();
  EXPECT_EQ((*r1)[0].shape, (Shape{4}));
  auto empty_batch = infer_dense({0, 5}, {4, 5});
  ASSERT_TRUE(empty_batch.ok()) << empty_batch.status().message();
  EXPECT_EQ((*empty_batch)[0].shape, (Shape{0, 4}));
}

TEST(DenseShape, RejectsLastDimMismatch) {
  EXPECT_TRUE(fails_with(infer_dense({2, 6}, {4, 5}), {"input 0 last dim must equal in_features 5",
                                                       "weights [4, 5]", "got shape [2, 6]"}));
}

TEST(DenseShape, RejectsScalarAndNonF32Input) {
  EXPECT_TRUE(fails_with(infer_dense({}, {4, 5}), {"input 0 must have rank >= 1", "got shape []"}));
  auto r =
      optest::infer("Dense", dense_attrs(), {{"w", zeros({4, 5})}}, {{Shape{2, 5}, DType::f16}});
  EXPECT_TRUE(fails_with(r, {"input 0 must be f32", "got f16"}));
}

TEST(DenseShape, RejectsBadWeightsAndBias) {
  EXPECT_TRUE(fails_with(infer_dense({2, 5}, {4, 5, 1}),
                         {"parameter 'weights' must be f32 of rank 2", "got f32 [4, 5, 1]"}));
  EXPECT_TRUE(fails_with(infer_dense({2, 5}, {0, 5}),
                         {"parameter 'weights' dims must be >= 1", "got [0, 5]"}));
  auto half = optest::infer("Dense", dense_attrs(),
                            {{"w", Tensor::allocate(DType::f16, Shape{4, 5}).value()}},
                            optest::f32_infos({{2, 5}}));
  EXPECT_TRUE(fails_with(half, {"parameter 'weights' must be f32", "got f16 [4, 5]"}));
  const Shape wrong{5};
  EXPECT_TRUE(fails_with(infer_dense({2, 5}, {4, 5}, &wrong),
                         {"parameter 'bias' must be f32 of shape [4]", "got f32 [5]"}));
  const Shape rank2{1, 4};
  EXPECT_TRUE(
      fails_with(infer_dense({2, 5}, {4, 5}, &rank2), {"parameter 'bias'", "got f32 [1, 4]"}));
}

TEST(DenseShape, RejectsAbsurdOutputSize) {
  // 2^30 rows of 2^12 features: 2^42 output elements.
  EXPECT_TRUE(
      fails_with(infer_dense({1 << 30, 1}, {1 << 12, 1}), {"infer output shape", "element count"}));
}

TEST(DenseKernel, HandCheckedRank2WithBias) {
  // x = [[1, 2, 3], [4, 5, 6]], W = [[1, 0, -1], [2, 1, 0]], b = [10, 20]
  //   row 0: 1 - 3 + 10 = 8,   2 + 2 + 20 = 24
  //   row 1: 4 - 6 + 10 = 8,   8 + 5 + 20 = 33        (small integers: exact)
  const Constants c{{"w", tensor({2, 3}, {1, 0, -1, 2, 1, 0})}, {"b", tensor({2}, {10, 20})}};
  const Tensor y =
      optest::run1("Dense", dense_attrs(true), c, {tensor({2, 3}, {1, 2, 3, 4, 5, 6})});
  EXPECT_TRUE(optest::all_close(y, Shape{2, 2}, {8, 24, 8, 33}, 0, 0));
}

TEST(DenseKernel, HandCheckedRank3WithoutBias) {
  // x [2, 1, 2]: rows (1, 2) and (3, 4); W [3, 2] = [[1, 1], [1, -1], [0, 2]]
  //   (1, 2) -> 3, -1, 4      (3, 4) -> 7, -1, 8       (exact)
  const Constants c{{"w", tensor({3, 2}, {1, 1, 1, -1, 0, 2})}};
  const Tensor y = optest::run1("Dense", dense_attrs(), c, {tensor({2, 1, 2}, {1, 2, 3, 4})});
  EXPECT_TRUE(optest::all_close(y, Shape{2, 1, 3}, {3, -1, 4, 7, -1, 8}, 0, 0));
}

const std::vector<std::string> kFixtureCases = {"rank2", "rank3", "rank1_no_bias", "rank4"};

TEST(DenseKernel, NumpyRank2) { optest::expect_fixture("dense.json", "rank2", kRtol, kAtol); }
TEST(DenseKernel, NumpyRank3) { optest::expect_fixture("dense.json", "rank3", kRtol, kAtol); }
TEST(DenseKernel, NumpyRank1NoBias) {
  optest::expect_fixture("dense.json", "rank1_no_bias", kRtol, kAtol);
}
TEST(DenseKernel, NumpyRank4) { optest::expect_fixture("dense.json", "rank4", kRtol, kAtol); }

TEST(DenseKernel, EveryFixtureCaseIsTested) {
  std::vector<std::string> listed = kFixtureCases;
  std::vector<std::string> in_file = optest::fixture_case_names("dense.json");
  std::sort(listed.begin(), listed.end());
  std::sort(in_file.begin(), in_file.end());
  EXPECT_EQ(listed, in_file);
}

}  // namespace ops_test_dense
}  // namespace ingot
