#include <string>
#include <vector>

#include "ops/spatial_test_util.h"

namespace ingot {
namespace ops_test_concat {

using optest::fails_with;
using optest::tensor;
using spatialtest::L;

// Concatenation copies float32 values unchanged: every comparison is exact (tolerance 0).

AttrMap axis(std::int64_t a) { return {{"axis", a}}; }

Result<std::vector<TensorInfo>> infer_concat(AttrMap attrs, std::initializer_list<Shape> shapes) {
  return optest::infer("Concat", attrs, {}, optest::f32_infos(shapes));
}

TEST(ConcatSchema, IsVariadicWithDefaultLastAxis) {
  const OpDef& def = optest::op("Concat");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, kVariadic);
  EXPECT_EQ(def.schema.num_outputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_EQ(*def.schema.find_param("axis")->default_value, AttrValue(std::int64_t{-1}));
  EXPECT_EQ(describe_constraints(*def.schema.find_param("axis")), "int in [-8, 7]");
}

TEST(ConcatSchema, AcceptsAxisBoundsAndRejectsTheRest) {
  EXPECT_TRUE(optest::bind_status("Concat", {}).ok());
  EXPECT_TRUE(optest::bind_status("Concat", axis(-8)).ok());
  EXPECT_TRUE(optest::bind_status("Concat", axis(7)).ok());
  EXPECT_TRUE(fails_with(optest::bind_status("Concat", axis(8)),
                         {"parameter 'axis' must be in [-8, 7]", "got 8"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Concat", axis(-9)), {"parameter 'axis'", "got -9"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Concat", {{"axis", 1.0}}),
                         {"parameter 'axis' must be int", "got float 1"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Concat", {{"dim", std::int64_t{1}}}),
                         {"parameter 'dim' is not a parameter of op 'Concat'", "got 1"}));
}

TEST(ConcatShape, SumsTheAxisAndKeepsTheRest) {
  auto out = infer_concat({}, {{1, 2, 3, 2}, {1, 2, 3, 3}, {1, 2, 3, 1}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{1, 2, 3, 6}, DType::f32}));
  out = infer_concat(axis(1), {{1, 2, 2, 3}, {1, 3, 2, 3}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].shape, (Shape{1, 5, 2, 3}));
  out = infer_concat(axis(-2), {{4, 2}});  // one input: a copy
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].shape, (Shape{4, 2}));
}

TEST(ConcatShape, AcceptsAnyDtypeWhenAllAgree) {
  auto out = optest::infer("Concat", axis(0), {}, {{Shape{2}, DType::i32}, {Shape{3}, DType::i32}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{5}, DType::i32}));
}

TEST(ConcatShape, RejectsAxisOutsideTheRank) {
  EXPECT_TRUE(
      fails_with(infer_concat(axis(4), {{1, 2, 3, 2}, {1, 2, 3, 2}}),
                 {"parameter 'axis' must be in [-4, 3] for input shape [1, 2, 3, 2]", "got 4"}));
  EXPECT_TRUE(fails_with(infer_concat(axis(-3), {{2, 3}}), {"must be in [-2, 1]", "got -3"}));
  EXPECT_TRUE(
      fails_with(infer_concat({}, {Shape{}}), {"input 0 must have rank >= 1", "got shape []"}));
}

TEST(ConcatShape, RejectsMismatchedShapesRanksAndDtypes) {
  EXPECT_TRUE(fails_with(
      infer_concat({}, {{1, 2, 3, 2}, {1, 2, 4, 1}}),
      {"input 1 must match input 0's shape [1, 2, 3, 2] except on axis 3", "got [1, 2, 4, 1]"}));
  EXPECT_TRUE(
      fails_with(infer_concat(axis(0), {{2, 3}, {2, 3}, {2, 3, 1}}),
                 {"input 2 must match input 0's shape [2, 3] except on axis 0", "got [2, 3, 1]"}));
  EXPECT_TRUE(fails_with(
      optest::infer("Concat", axis(0), {}, {{Shape{2}, DType::f32}, {Shape{2}, DType::i32}}),
      {"input 1 must have input 0's dtype f32", "got i32"}));
  EXPECT_TRUE(fails_with(optest::infer("Concat", {}, {}, {}),
                         {"op 'Concat' must have at least 1 input", "got 0"}));
}

TEST(ConcatShape, RejectsAbsurdSizes) {
  const std::int64_t half = std::int64_t{1} << 39;
  EXPECT_TRUE(
      fails_with(infer_concat(axis(0), {{half}, {half}, {half}}),
                 {"infer output shape [1649267441664]", "element count must be at most 2^40"}));
  EXPECT_TRUE(fails_with(infer_concat(axis(0), {{0, 1 << 30, 1 << 20}, {0, 1 << 30, 1 << 20}}),
                         {"input 0 dims must multiply to at most 2^40", "got shape [0, "}));
}

TEST(ConcatKernel, HandCheckedBothAxesOfA2x2) {
  const Tensor a = tensor({2, 2}, {1, 2, 3, 4});
  const Tensor columns = optest::run1("Concat", {}, {}, {a, tensor({2, 1}, {5, 6})});
  EXPECT_TRUE(optest::all_close(columns, Shape{2, 3}, {1, 2, 5, 3, 4, 6}, 0, 0));
  const Tensor rows = optest::run1("Concat", axis(0), {}, {a, tensor({1, 2}, {7, 8})});
  EXPECT_TRUE(optest::all_close(rows, Shape{3, 2}, {1, 2, 3, 4, 7, 8}, 0, 0));
}

TEST(ConcatKernel, HandCheckedEmptyInputAndI32) {
  // An input with 0 elements along the axis contributes nothing.
  const Tensor empty = Tensor::allocate(DType::f32, Shape{2, 0}).value();
  const Tensor y = optest::run1("Concat", {}, {}, {empty, tensor({2, 1}, {5, 6}), empty});
  EXPECT_TRUE(optest::all_close(y, Shape{2, 1}, {5, 6}, 0, 0));
  auto out = optest::run(
      "Concat", axis(0), {},
      {spatialtest::i32_tensor({1, 2}, {1, 2}), spatialtest::i32_tensor({2, 2}, {3, 4, 5, 6})});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].dtype(), DType::i32);
  EXPECT_EQ(spatialtest::i32_values((*out)[0]), (std::vector<std::int32_t>{1, 2, 3, 4, 5, 6}));
}

const std::vector<std::string> kFixtureCases = {"channels_last", "axis1_nchw_channels", "axis0",
                                                "single_input", "middle_axis_four"};

TEST(ConcatKernel, NumpyChannelsLast) {
  optest::expect_fixture("concat.json", "channels_last", 0, 0);
}
TEST(ConcatKernel, NumpyNchwChannels) {
  optest::expect_fixture("concat.json", "axis1_nchw_channels", 0, 0);
}
TEST(ConcatKernel, NumpyAxis0) { optest::expect_fixture("concat.json", "axis0", 0, 0); }
TEST(ConcatKernel, NumpySingleInput) {
  optest::expect_fixture("concat.json", "single_input", 0, 0);
}
TEST(ConcatKernel, NumpyMiddleAxisFourInputs) {
  optest::expect_fixture("concat.json", "middle_axis_four", 0, 0);
}

TEST(ConcatKernel, EveryFixtureCaseIsTested) {
  spatialtest::expect_cases_listed("concat.json", kFixtureCases, false);
}

}  // namespace ops_test_concat
}  // namespace ingot
