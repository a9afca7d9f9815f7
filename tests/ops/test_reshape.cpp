#include <string>
#include <vector>

#include "ops/spatial_test_util.h"

namespace ingot {
namespace ops_test_reshape {

using optest::fails_with;
using optest::tensor;
using spatialtest::L;

// Reshaping keeps float32 values and their order: every comparison is exact (tolerance 0).

AttrMap shape_attr(L s) { return {{"shape", std::move(s)}}; }

Result<std::vector<TensorInfo>> infer_reshape(const Shape& x, L s) {
  return optest::infer("Reshape", shape_attr(std::move(s)), {}, optest::f32_infos({x}));
}

Shape infer_shape(const Shape& x, L s) {
  auto out = infer_reshape(x, std::move(s));
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() && out->size() == 1 ? (*out)[0].shape : Shape{};
}

TEST(ReshapeSchema, IsRegisteredWithARequiredShape) {
  const OpDef& def = optest::op("Reshape");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(def.schema.find_param("shape")->required);
  EXPECT_EQ(describe_constraints(*def.schema.find_param("shape")),
            "int list, each in [-1, 1099511627776], 1 to 8 elements");
}

TEST(ReshapeSchema, AcceptsAndRejects) {
  EXPECT_TRUE(optest::bind_status("Reshape", shape_attr(L{-1, std::int64_t{1} << 40})).ok());
  EXPECT_TRUE(fails_with(optest::bind_status("Reshape", {}),
                         {"parameter 'shape' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Reshape", {{"shape", std::vector<double>{2, 3}}}),
                         {"parameter 'shape' must be int list", "got float list [2, 3]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Reshape", shape_attr(L{-2, 3})),
                         {"parameter 'shape' must be in [-1, 1099511627776]", "got [-2, 3]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Reshape", shape_attr(L{(std::int64_t{1} << 40) + 1})),
                         {"parameter 'shape'", "got [1099511627777]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Reshape", shape_attr(L{})),
                         {"parameter 'shape' must have 1 to 8 elements", "got []"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Reshape", shape_attr(L(9, 1))),
                         {"parameter 'shape' must have 1 to 8 elements"}));
  AttrMap extra = shape_attr(L{1});
  extra["allowzero"] = std::int64_t{1};
  EXPECT_TRUE(fails_with(optest::bind_status("Reshape", extra),
                         {"parameter 'allowzero' is not a parameter of op 'Reshape'", "got 1"}));
}

TEST(ReshapeShape, TakesTheShapeOrInfersOneEntry) {
  EXPECT_EQ(infer_shape({2, 3, 2, 2}, L{2, 12}), (Shape{2, 12}));
  EXPECT_EQ(infer_shape({2, 3, 2, 2}, L{2, -1}), (Shape{2, 12}));
  EXPECT_EQ(infer_shape({2, 6, 2}, L{2, -1, 4}), (Shape{2, 3, 4}));
  EXPECT_EQ(infer_shape({6}, L{-1}), (Shape{6}));
  EXPECT_EQ(infer_shape({0, 4}, L{-1, 2}), (Shape{0, 2}));  // nothing to hold: -1 is 0
  auto out = optest::infer("Reshape", shape_attr(L{4}), {}, {{Shape{2, 2}, DType::i64}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{4}, DType::i64}));
}

TEST(ReshapeShape, ZeroCopiesTheInputsDim) {
  // An open batch: one node serves every batch size.
  EXPECT_EQ(infer_shape({2, 6, 2}, L{0, -1}), (Shape{2, 12}));
  EXPECT_EQ(infer_shape({5, 6, 2}, L{0, -1}), (Shape{5, 12}));
  EXPECT_EQ(infer_shape({3, 4, 5}, L{0, 0, 5}), (Shape{3, 4, 5}));
  EXPECT_EQ(infer_shape({3, 4, 5}, L{0, 2, -1}), (Shape{3, 2, 10}));
}

TEST(ReshapeShape, RejectsRepeatedMinusOneAndZeroBeyondTheInputsRank) {
  EXPECT_TRUE(fails_with(infer_reshape({2, 3}, L{-1, -1}),
                         {"parameter 'shape' entries must be >= 1, 0 (copy) or a single -1", "got [-1, -1]"}));
  EXPECT_TRUE(fails_with(infer_reshape({2, 3}, L{0, 6}),
                         {"parameter 'shape' [0, 6] must hold the input's element count 6", "got 12 elements"}));
  EXPECT_TRUE(fails_with(infer_reshape({6}, L{2, 0}),
                         {"entry 1 is 0 (copy the input's dim), but the input [6] has rank 1"}));
  // A copied dim of size 0 is a 0 entry: refused like one.
  EXPECT_TRUE(fails_with(infer_reshape({0, 3}, L{0, 3}), {"entries must be >= 1, 0 (copy) or a single -1"}));
}

TEST(ReshapeShape, RejectsOtherElementCounts) {
  EXPECT_TRUE(fails_with(infer_reshape({2, 4}, L{2, 3}),
                         {"parameter 'shape' [2, 3] must hold the input's element count 8",
                          "input shape [2, 4]", "got 6 elements"}));
  EXPECT_TRUE(fails_with(infer_reshape({2, 4}, L{3, -1}),
                         {"parameter 'shape' [3, -1] must have entries other than -1 whose product "
                          "divides the input's element count 8",
                          "input shape [2, 4]", "got 3"}));
  const std::int64_t big = std::int64_t{1} << 40;
  EXPECT_TRUE(fails_with(infer_reshape({2, 4}, L{big, big}), {"got above 2^40 elements"}));
  EXPECT_TRUE(fails_with(infer_reshape({2, 4}, L{big, -1, 2}), {"got above 2^40"}));
}

TEST(ReshapeKernel, HandCheckedRowMajorOrderAndI32) {
  const Tensor x = tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_TRUE(optest::all_close(optest::run1("Reshape", shape_attr(L{3, -1}), {}, {x}), Shape{3, 2},
                                {1, 2, 3, 4, 5, 6}, 0, 0));
  auto out = optest::run("Reshape", shape_attr(L{1, 4}), {},
                         {spatialtest::i32_tensor({2, 2}, {7, 8, 9, 10})});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].dtype(), DType::i32);
  EXPECT_EQ((*out)[0].shape(), (Shape{1, 4}));
  EXPECT_EQ(spatialtest::i32_values((*out)[0]), (std::vector<std::int32_t>{7, 8, 9, 10}));
}

const std::vector<std::string> kFixtureCases = {"flatten", "unflatten", "infer_middle", "rank1"};

TEST(ReshapeKernel, NumpyFlatten) { optest::expect_fixture("reshape.json", "flatten", 0, 0); }
TEST(ReshapeKernel, NumpyUnflatten) { optest::expect_fixture("reshape.json", "unflatten", 0, 0); }
TEST(ReshapeKernel, NumpyInferMiddle) {
  optest::expect_fixture("reshape.json", "infer_middle", 0, 0);
}
TEST(ReshapeKernel, NumpyRank1) { optest::expect_fixture("reshape.json", "rank1", 0, 0); }

TEST(ReshapeKernel, EveryFixtureCaseIsTested) {
  spatialtest::expect_cases_listed("reshape.json", kFixtureCases, false);
}

}  // namespace ops_test_reshape
}  // namespace ingot
