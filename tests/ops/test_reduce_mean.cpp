// ReduceMean and ReduceMax share one parameter list and shape rule (src/ops/reduce.cpp); the
// schema and shape tests here run on both ops, test_reduce_max.cpp covers ReduceMax's kernel.
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_reduce_mean {

using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-6 + 1e-6 * |want|. The kernel sums at
// most 24 float32 values in [-1, 1] (partial sums below 24, each add rounding by <= 2^-24
// relative, so <= ~1e-6 worst case, ~1e-7 typical) and divides once; numpy averages the same
// float32 values in float64. Reducing the wrong axes changes results by ~0.1.
constexpr double kRtol = 1e-6;
constexpr double kAtol = 1e-6;

const char* const kReductions[] = {"ReduceMean", "ReduceMax"};

AttrMap axes(std::vector<std::int64_t> a, bool keepdims = false) {
  return {{"axes", std::move(a)}, {"keepdims", keepdims}};
}

Result<std::vector<TensorInfo>> infer_reduce(const char* op, const AttrMap& attrs, const Shape& x) {
  return optest::infer(op, attrs, {}, optest::f32_infos({x}));
}

TEST(ReduceSchema, BothOpsShareTheParameterList) {
  for (const char* name : kReductions) {
    SCOPED_TRACE(name);
    const OpDef& def = optest::op(name);
    EXPECT_EQ(def.schema.min_inputs, 1);
    EXPECT_EQ(def.schema.max_inputs, 1);
    EXPECT_TRUE(def.kernel);
    EXPECT_TRUE(def.schema.find_param("axes")->required);
    EXPECT_EQ(describe_constraints(*def.schema.find_param("axes")),
              "int list, each in [-8, 7], 1 to 8 elements");
    EXPECT_EQ(*def.schema.find_param("keepdims")->default_value, AttrValue(false));
    EXPECT_TRUE(optest::bind_status(name, {{"axes", std::vector<std::int64_t>{1, 2}}}).ok());
    EXPECT_TRUE(optest::bind_status(name, axes({-8, 7, 0, 1, 2, 3, 4, 5}, true)).ok());
  }
}

TEST(ReduceSchema, RejectsBadAxesKeepdimsAndUnknownParameters) {
  for (const char* name : kReductions) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(fails_with(optest::bind_status(name, {{"keepdims", true}}),
                           {"parameter 'axes' is required", "got nothing"}));
    EXPECT_TRUE(fails_with(optest::bind_status(name, axes({})),
                           {"parameter 'axes' must have 1 to 8 elements", "got []"}));
    EXPECT_TRUE(fails_with(
        optest::bind_status(name, axes({0, 1, 2, 3, 4, 5, 6, 7, 0})),
        {"parameter 'axes' must have 1 to 8 elements", "got [0, 1, 2, 3, 4, 5, 6, 7, 0]"}));
    EXPECT_TRUE(fails_with(optest::bind_status(name, axes({1, 8})),
                           {"parameter 'axes' must be in [-8, 7]", "got [1, 8]"}));
    EXPECT_TRUE(fails_with(optest::bind_status(name, {{"axes", std::int64_t{1}}}),
                           {"parameter 'axes' must be int list", "got int 1"}));
    EXPECT_TRUE(fails_with(optest::bind_status(name, {{"axes", std::vector<std::int64_t>{1}},
                                                      {"keepdims", std::int64_t{1}}}),
                           {"parameter 'keepdims' must be bool", "got int 1"}));
    EXPECT_TRUE(fails_with(optest::bind_status(name, {{"axes", std::vector<std::int64_t>{1}},
                                                      {"axis", std::int64_t{1}}}),
                           {"parameter 'axis' is not a parameter of op",
                            "(its parameters: axes, keepdims)", "got 1"}));
  }
}

TEST(ReduceShape, DropsOrKeepsTheReducedAxes) {
  for (const char* name : kReductions) {
    SCOPED_TRACE(name);
    auto shape = [&](const AttrMap& a, const Shape& x) {
      return mathtest::infer_shape(name, a, {}, {x});
    };
    EXPECT_EQ(shape(axes({1, 2}), {2, 3, 4, 5}), (Shape{2, 5}));
    EXPECT_EQ(shape(axes({1, 2}, true), {2, 3, 4, 5}), (Shape{2, 1, 1, 5}));
    EXPECT_EQ(shape(axes({-1}), {2, 3, 4}), (Shape{2, 3}));
    EXPECT_EQ(shape(axes({3, 0}, true), {2, 3, 4, 5}), (Shape{1, 3, 4, 1}));
    EXPECT_EQ(shape(axes({0, -1, 1}), {2, 3, 4}), (Shape{}));  // everything: a scalar
    EXPECT_EQ(shape(axes({0}), {7}), (Shape{}));
    EXPECT_EQ(shape(axes({1}), {0, 3}), (Shape{0}));  // an empty batch is fine
  }
}

TEST(ReduceShape, RejectsAxesOutsideTheRankOrRepeated) {
  for (const char* name : kReductions) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(fails_with(
        infer_reduce(name, axes({1, 4}), {2, 3, 4, 5}),
        {"parameter 'axes' elements must be in [-4, 3] (input 0 has rank 4)", "got [1, 4]"}));
    EXPECT_TRUE(fails_with(infer_reduce(name, axes({-3}), {2, 3}),
                           {"parameter 'axes' elements must be in [-2, 1]", "got [-3]"}));
    EXPECT_TRUE(fails_with(infer_reduce(name, axes({1, -3}), {2, 3, 4, 5}),
                           {"parameter 'axes' must name each axis once (input 0 has rank 4)",
                            "got [1, -3], axis 1 twice"}));
    EXPECT_TRUE(fails_with(infer_reduce(name, axes({2, 2}), {2, 3, 4}),
                           {"must name each axis once", "got [2, 2], axis 2 twice"}));
  }
}

TEST(ReduceShape, RejectsEmptyReductionsScalarsAndNonF32) {
  for (const char* name : kReductions) {
    SCOPED_TRACE(name);
    // The mean or max of no elements has no value.
    EXPECT_TRUE(
        fails_with(infer_reduce(name, axes({1}), {2, 0, 3}),
                   {"input 0 dims reduced by 'axes' [1] must be >= 1", "got shape [2, 0, 3]"}));
    EXPECT_TRUE(fails_with(infer_reduce(name, axes({0}), {}),
                           {"input 0 must have rank >= 1", "got shape []"}));
    EXPECT_TRUE(fails_with(optest::infer(name, axes({0}), {}, {{Shape{3}, DType::i32}}),
                           {"input 0 must be f32", "got i32"}));
  }
}

TEST(ReduceMeanKernel, HandCheckedGlobalAveragePoolNhwc) {
  // x [1, 2, 2, 3] = 0..11, channel last: channel c holds c, c + 3, c + 6, c + 9.
  //   mean over axes [1, 2] = [(0 + 3 + 6 + 9) / 4, 22 / 4, 26 / 4] = [4.5, 5.5, 6.5]
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[i] = static_cast<float>(i);
  const Tensor x = tensor({1, 2, 2, 3}, v);
  const Tensor y = optest::run1("ReduceMean", axes({1, 2}), {}, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 3}, {4.5, 5.5, 6.5}, 0, 0));
  const Tensor kept = optest::run1("ReduceMean", axes({1, 2}, true), {}, {x});
  EXPECT_TRUE(optest::all_close(kept, Shape{1, 1, 1, 3}, {4.5, 5.5, 6.5}, 0, 0));
}

TEST(ReduceMeanKernel, HandCheckedNchwAndEverything) {
  // x [1, 3, 2, 2] = 0..11, NCHW: channel c holds 4c .. 4c + 3; mean over [2, 3] = 4c + 1.5.
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[i] = static_cast<float>(i);
  const Tensor y = optest::run1("ReduceMean", axes({-2, -1}), {}, {tensor({1, 3, 2, 2}, v)});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 3}, {1.5, 5.5, 9.5}, 0, 0));
  // Every axis: 66 / 12 = 5.5, a scalar.
  const Tensor all = optest::run1("ReduceMean", axes({0, 1, 2, 3}), {}, {tensor({1, 3, 2, 2}, v)});
  EXPECT_TRUE(optest::all_close(all, Shape{}, {5.5}, 0, 0));
  // Axis 0 of [3, 2]: [(1 + 3 + 8) / 3, (2 + 4 + -3) / 3] = [4, 1]
  const Tensor rows =
      optest::run1("ReduceMean", axes({0}), {}, {tensor({3, 2}, {1, 2, 3, 4, 8, -3})});
  EXPECT_TRUE(optest::all_close(rows, Shape{2}, {4, 1}, 0, 0));
}

TEST(ReduceMeanKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases("reducemean.json",
                                 {"axes_1_2", "axes_1_2_keepdims", "axis_last_negative",
                                  "all_axes_to_scalar", "axes_unsorted_keepdims"},
                                 kRtol, kAtol);
}

}  // namespace ops_test_reduce_mean
}  // namespace ingot
