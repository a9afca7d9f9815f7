#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/math_test_util.h"

namespace ingot {
namespace ops_test_prelu {

using mathtest::filled;
using optest::Constants;
using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-7 * |want|. Positive values pass
// unchanged; negative ones are one float32 product of float32 values, correctly rounded
// (<= 2^-24 ~ 6e-8 relative to numpy's float64 product, which is exact). A wrong alpha index
// changes a product by a sizable fraction.
constexpr double kRtol = 1e-7;
constexpr double kAtol = 0;

const AttrMap kAttrs{{"alpha", TensorRef{"a"}}};

Result<std::vector<TensorInfo>> infer_prelu(const Shape& x, const Tensor& alpha) {
  return optest::infer("PReLU", kAttrs, {{"a", alpha}}, optest::f32_infos({x}));
}

Tensor prelu(const Tensor& x, const Tensor& alpha) {
  return optest::run1("PReLU", kAttrs, {{"a", alpha}}, {x});
}

TEST(PReLUSchema, IsRegisteredWithARequiredAlpha) {
  const OpDef& def = optest::op("PReLU");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  ASSERT_EQ(def.schema.params.size(), 1u);
  EXPECT_TRUE(def.schema.find_param("alpha")->required);
  EXPECT_EQ(describe_constraints(*def.schema.find_param("alpha")), "tensor");
}

TEST(PReLUSchema, AcceptsATensorAndRejectsEverythingElse) {
  const Constants c{{"a", filled({3}, 0.25f)}};
  EXPECT_TRUE(optest::bind_status("PReLU", kAttrs, c).ok());
  EXPECT_TRUE(fails_with(optest::bind_status("PReLU", {}, c),
                         {"parameter 'alpha' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(optest::bind_status("PReLU", {{"alpha", 0.25}}, c),
                         {"parameter 'alpha' must be tensor", "got float 0.25"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status(
          "PReLU", {{"alpha", TensorRef{"a"}}, {"shared_axes", std::vector<std::int64_t>{1, 2}}},
          c),
      {"parameter 'shared_axes' is not a parameter of op 'PReLU'", "got [1, 2]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("PReLU", {{"alpha", TensorRef{"slopes"}}}, c),
                         {"read parameter 'alpha'", "tensor 'slopes' must name a constant"}));
}

TEST(PReLUShape, AcceptsAlphasThatBroadcastOntoTheInput) {
  const Shape x{2, 4, 4, 3};
  for (const Shape& a : {Shape{1, 1, 3}, Shape{3}, Shape{4, 4, 3}, Shape{1}, Shape{},
                         Shape{2, 4, 4, 3}, Shape{1, 4, 1, 1}, Shape{4, 1, 1}}) {
    auto out = infer_prelu(x, filled(a, 0.1f));
    ASSERT_TRUE(out.ok()) << a.to_string() << ": " << out.status().message();
    EXPECT_EQ((*out)[0], (TensorInfo{x, DType::f32}));
  }
  auto empty = infer_prelu({0, 3}, filled({1, 3}, 0.1f));
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ((*empty)[0].shape, (Shape{0, 3}));
}

TEST(PReLUShape, RejectsAlphasThatDoNotFitOrWouldGrowTheOutput) {
  EXPECT_TRUE(fails_with(
      infer_prelu({1, 4, 4, 3}, filled({4}, 0.1f)),
      {"parameter 'alpha' must be f32 and broadcast to input 0 shape [1, 4, 4, 3] without growing "
       "it (rank <= 4; dims equal to the input's or 1, aligned on the last axis)",
       "got f32 [4]"}));
  // [C, 1, 1] is the NCHW form; on NHWC data it lines up with H, W, C and fails.
  EXPECT_TRUE(fails_with(infer_prelu({1, 4, 4, 3}, filled({3, 1, 1}, 0.1f)),
                         {"parameter 'alpha'", "got f32 [3, 1, 1]"}));
  // numpy would broadcast these, but the output would be bigger than the input.
  EXPECT_TRUE(fails_with(infer_prelu({1, 4, 4, 3}, filled({2, 1, 1, 3}, 0.1f)),
                         {"without growing it", "got f32 [2, 1, 1, 3]"}));
  EXPECT_TRUE(fails_with(infer_prelu({4, 3}, filled({1, 4, 3}, 0.1f)),
                         {"(rank <= 2;", "got f32 [1, 4, 3]"}));
  EXPECT_TRUE(fails_with(infer_prelu({4, 3}, Tensor::allocate(DType::f16, Shape{3}).value()),
                         {"parameter 'alpha' must be f32", "got f16 [3]"}));
  EXPECT_TRUE(fails_with(
      optest::infer("PReLU", kAttrs, {{"a", filled({3}, 0.1f)}}, {{Shape{3}, DType::i64}}),
      {"input 0 must be f32", "got i64"}));
}

// Hand-checked with alphas that are powers of 2, so every product is exact.

TEST(PReLUKernel, PerChannelAlphaOnNhwc) {
  // alpha [1, 1, 3] = [0.5, 0.25, 2]; x [1, 1, 2, 3] = [-2, 1, -4 | 3, -1, 0]:
  //   [-2 * 0.5, 1, -4 * 2 | 3, -1 * 0.25, 0] = [-1, 1, -8, 3, -0.25, 0]
  const Tensor y =
      prelu(tensor({1, 1, 2, 3}, {-2, 1, -4, 3, -1, 0}), tensor({1, 1, 3}, {0.5f, 0.25f, 2}));
  EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 2, 3}, {-1, 1, -8, 3, -0.25, 0}, 0, 0));
}

TEST(PReLUKernel, PerChannelAlphaOnNchw) {
  // alpha [3, 1, 1] = [0.5, 0.25, 2]; x [1, 3, 1, 2] = c0 [-2, 2], c1 [-4, 4], c2 [-1, 1]:
  //   c0 [-1, 2], c1 [-1, 4], c2 [-2, 1]
  const Tensor y =
      prelu(tensor({1, 3, 1, 2}, {-2, 2, -4, 4, -1, 1}), tensor({3, 1, 1}, {0.5f, 0.25f, 2}));
  EXPECT_TRUE(optest::all_close(y, Shape{1, 3, 1, 2}, {-1, 2, -1, 4, -2, 1}, 0, 0));
}

TEST(PReLUKernel, FullAndScalarAlpha) {
  // Full alpha, one slope per element: [-1 * 0.5, -1 * 1, -1 * 2, 1] = [-0.5, -1, -2, 1]
  const Tensor full = prelu(tensor({2, 2}, {-1, -1, -1, 1}), tensor({2, 2}, {0.5f, 1, 2, 4}));
  EXPECT_TRUE(optest::all_close(full, Shape{2, 2}, {-0.5, -1, -2, 1}, 0, 0));
  // A shared alpha of shape [] (Caffe's channel_shared): [-4 * 0.25, 8] = [-1, 8]
  const Tensor shared = prelu(tensor({2}, {-4, 8}), tensor({}, {0.25f}));
  EXPECT_TRUE(optest::all_close(shared, Shape{2}, {-1, 8}, 0, 0));
}

TEST(PReLUKernel, NaNStaysNaN) {
  const Tensor y =
      prelu(tensor({1}, {std::numeric_limits<float>::quiet_NaN()}), tensor({1}, {0.5f}));
  ASSERT_FALSE(y.empty());
  EXPECT_TRUE(std::isnan(y.data<float>()[0]));
}

TEST(PReLUKernel, MatchesNumpy) {
  mathtest::expect_fixture_cases(
      "prelu.json", {"per_channel_nhwc", "per_channel_nchw", "full_alpha", "rank2_vector_alpha"},
      kRtol, kAtol);
}

}  // namespace ops_test_prelu
}  // namespace ingot
