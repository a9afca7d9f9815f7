#include <string>
#include <vector>

#include "ops/spatial_test_util.h"

namespace ingot {
namespace ops_test_transpose {

using optest::fails_with;
using optest::tensor;
using spatialtest::L;

// Transposing moves float32 values unchanged: every comparison is exact (tolerance 0).

AttrMap perm(L p) { return {{"perm", std::move(p)}}; }

Result<std::vector<TensorInfo>> infer_transpose(const Shape& x, L p) {
  return optest::infer("Transpose", perm(std::move(p)), {}, optest::f32_infos({x}));
}

TEST(TransposeSchema, IsRegisteredWithARequiredPerm) {
  const OpDef& def = optest::op("Transpose");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(def.schema.find_param("perm")->required);
  EXPECT_EQ(describe_constraints(*def.schema.find_param("perm")),
            "int list, each in [0, 7], 1 to 8 elements");
}

TEST(TransposeSchema, AcceptsAndRejects) {
  EXPECT_TRUE(optest::bind_status("Transpose", perm(L{7, 6, 5, 4, 3, 2, 1, 0})).ok());
  EXPECT_TRUE(fails_with(optest::bind_status("Transpose", {}),
                         {"parameter 'perm' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Transpose", {{"perm", std::int64_t{0}}}),
                         {"parameter 'perm' must be int list", "got int 0"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Transpose", perm(L{1, -1})),
                         {"parameter 'perm' must be in [0, 7]", "got [1, -1]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Transpose", perm(L{8, 0})),
                         {"parameter 'perm' must be in [0, 7]", "got [8, 0]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Transpose", perm(L{})),
                         {"parameter 'perm' must have 1 to 8 elements", "got []"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Transpose", perm(L(9, 0))),
                         {"parameter 'perm' must have 1 to 8 elements"}));
  AttrMap extra = perm(L{0});
  extra["axes"] = L{0};
  EXPECT_TRUE(fails_with(optest::bind_status("Transpose", extra),
                         {"parameter 'axes' is not a parameter of op 'Transpose'", "got [0]"}));
}

TEST(TransposeShape, PermutesDimsAndKeepsTheDtype) {
  auto out = infer_transpose({2, 3, 4, 5}, L{0, 3, 1, 2});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{2, 5, 3, 4}, DType::f32}));
  out = optest::infer("Transpose", perm(L{1, 0}), {}, {{Shape{2, 3}, DType::u8}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{3, 2}, DType::u8}));
}

TEST(TransposeShape, RejectsAnythingButAPermutationOfTheAxes) {
  const Shape x{2, 3, 4, 5};
  EXPECT_TRUE(fails_with(infer_transpose(x, L{0, 1, 1, 3}),
                         {"parameter 'perm' must be a permutation of [0, 1, 2, 3]",
                          "input shape [2, 3, 4, 5]", "got [0, 1, 1, 3]"}));
  EXPECT_TRUE(fails_with(infer_transpose(x, L{0, 2, 1}),
                         {"must be a permutation of [0, 1, 2, 3]", "got [0, 2, 1]"}));
  EXPECT_TRUE(fails_with(infer_transpose(x, L{0, 1, 2, 3, 4}), {"got [0, 1, 2, 3, 4]"}));
  EXPECT_TRUE(fails_with(infer_transpose(x, L{0, 1, 2, 4}), {"got [0, 1, 2, 4]"}));
  EXPECT_TRUE(fails_with(infer_transpose({}, L{0}), {"must be a permutation of []", "got [0]"}));
}

TEST(TransposeKernel, HandCheckedRank2AndRank3) {
  const Tensor m = tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_TRUE(optest::all_close(optest::run1("Transpose", perm(L{1, 0}), {}, {m}), Shape{3, 2},
                                {1, 4, 2, 5, 3, 6}, 0, 0));
  // x[a][b][c] = 100a + 10b + c, shape [2, 2, 3]; perm (2, 0, 1): y[c][a][b] = x[a][b][c].
  const Tensor x = tensor({2, 2, 3}, {0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112});
  EXPECT_TRUE(optest::all_close(optest::run1("Transpose", perm(L{2, 0, 1}), {}, {x}),
                                Shape{3, 2, 2}, {0, 10, 100, 110, 1, 11, 101, 111, 2, 12, 102, 112},
                                0, 0));
}

TEST(TransposeKernel, NhwcToNchwMatchesTheTestHelper) {
  const Tensor x = spatialtest::pattern({2, 3, 4, 5});
  const Tensor y = optest::run1("Transpose", perm(L{0, 3, 1, 2}), {}, {x});
  EXPECT_TRUE(optest::all_close(y, optest::nhwc_to_nchw(x), 0, 0));
}

TEST(TransposeKernel, HandCheckedI32) {
  auto out =
      optest::run("Transpose", perm(L{1, 0}), {}, {spatialtest::i32_tensor({2, 2}, {1, 2, 3, 4})});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].dtype(), DType::i32);
  EXPECT_EQ(spatialtest::i32_values((*out)[0]), (std::vector<std::int32_t>{1, 3, 2, 4}));
}

const std::vector<std::string> kFixtureCases = {
    "nhwc_to_nchw", "nchw_to_nhwc", "rank3_keras_permute", "rank5_reverse", "rank2", "identity"};

TEST(TransposeKernel, NumpyNhwcToNchw) {
  optest::expect_fixture("transpose.json", "nhwc_to_nchw", 0, 0);
}
TEST(TransposeKernel, NumpyNchwToNhwc) {
  optest::expect_fixture("transpose.json", "nchw_to_nhwc", 0, 0);
}
TEST(TransposeKernel, NumpyKerasPermute) {
  optest::expect_fixture("transpose.json", "rank3_keras_permute", 0, 0);
}
TEST(TransposeKernel, NumpyRank5Reverse) {
  optest::expect_fixture("transpose.json", "rank5_reverse", 0, 0);
}
TEST(TransposeKernel, NumpyRank2) { optest::expect_fixture("transpose.json", "rank2", 0, 0); }
TEST(TransposeKernel, NumpyIdentity) { optest::expect_fixture("transpose.json", "identity", 0, 0); }

TEST(TransposeKernel, EveryFixtureCaseIsTested) {
  spatialtest::expect_cases_listed("transpose.json", kFixtureCases, false);
}

}  // namespace ops_test_transpose
}  // namespace ingot
