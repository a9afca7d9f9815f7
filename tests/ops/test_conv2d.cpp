#include <algorithm>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace ingot {
namespace ops_test_conv2d {

using optest::Constants;
using optest::fails_with;
using optest::tensor;

// Tolerance against the numpy fixtures: |got - want| <= 1e-5 + 1e-5 * |want|. The kernel sums
// up to 27 products of values in [-1, 1] in float32 (as Keras/TF do); numpy sums the same
// float32 inputs in float64. float32 rounding (2^-24 ~ 6e-8 per step) over <= 27 steps of
// partial sums below ~10 stays near 1e-6; any indexing mistake moves results by ~0.1 or more.
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-5;

Tensor filled(const Shape& shape, float value) {
  Tensor t = Tensor::allocate(DType::f32, shape).value();
  for (float& v : t.mutable_data<float>()) v = value;
  return t;
}

// Attributes for a conv whose weights are the constant "w" (and "b" when `bias`).
AttrMap conv_attrs(AttrMap extra = {}, bool bias = false) {
  extra["weights"] = TensorRef{"w"};
  if (bias) extra["bias"] = TensorRef{"b"};
  return extra;
}

Constants conv_weights(const Shape& w, std::int64_t bias_size = 0) {
  Constants c{{"w", filled(w, 0.5f)}};
  if (bias_size > 0) c["b"] = filled(Shape{bias_size}, 1.0f);
  return c;
}

TEST(Conv2DSchema, IsRegisteredWithOneInputAnOptionalResidualAndAKernel) {
  const OpDef& def = optest::op("Conv2D");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 2);
  EXPECT_EQ(def.schema.num_outputs, 1);
  EXPECT_TRUE(def.kernel);
  const ParamSpec* strides = def.schema.find_param("strides");
  ASSERT_NE(strides, nullptr);
  EXPECT_EQ(describe_constraints(*strides), "int list, each in [1, 65536], 2 elements");
}

TEST(Conv2DSchema, AcceptsWeightsAloneAndEveryParameter) {
  const Constants c = conv_weights({4, 3, 3, 3}, 4);
  EXPECT_TRUE(optest::bind_status("Conv2D", conv_attrs(), c).ok());
  const AttrMap all = conv_attrs({{"strides", std::vector<std::int64_t>{2, 1}},
                                  {"dilations", std::vector<std::int64_t>{1, 65536}},
                                  {"pads", std::vector<std::int64_t>{0, 1, 2, 65536}},
                                  {"groups", std::int64_t{1} << 20},
                                  {"layout", std::string("NCHW")}},
                                 true);
  const Status st = optest::bind_status("Conv2D", all, c);
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(Conv2DSchema, RejectsMissingWeights) {
  EXPECT_TRUE(fails_with(optest::bind_status("Conv2D", {}),
                         {"parameter 'weights' is required", "got nothing"}));
}

TEST(Conv2DSchema, RejectsUnresolvedWeights) {
  EXPECT_TRUE(fails_with(optest::bind_status("Conv2D", conv_attrs(), {}),
                         {"read parameter 'weights'", "tensor 'w' must name a constant", "got none of that name"}));
}

TEST(Conv2DSchema, RejectsWrongTypes) {
  const Constants c = conv_weights({4, 3, 3, 3});
  EXPECT_TRUE(
      fails_with(optest::bind_status("Conv2D", conv_attrs({{"strides", std::int64_t{2}}}), c),
                 {"parameter 'strides' must be int list", "got int 2"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Conv2D", conv_attrs({{"groups", 2.0}}), c),
                         {"parameter 'groups' must be int", "got float 2"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Conv2D", {{"weights", std::string("w")}}, c),
                         {"parameter 'weights' must be tensor", "got string \"w\""}));
}

TEST(Conv2DSchema, RejectsOutOfRangeValues) {
  const Constants c = conv_weights({4, 3, 3, 3});
  using L = std::vector<std::int64_t>;
  EXPECT_TRUE(fails_with(optest::bind_status("Conv2D", conv_attrs({{"strides", L{0, 1}}}), c),
                         {"parameter 'strides' must be in [1, 65536]", "got [0, 1]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Conv2D", conv_attrs({{"dilations", L{1, 65537}}}), c),
                         {"parameter 'dilations' must be in [1, 65536]", "got [1, 65537]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Conv2D", conv_attrs({{"pads", L{0, -1, 0, 0}}}), c),
                         {"parameter 'pads' must be in [0, 65536]", "got [0, -1, 0, 0]"}));
  EXPECT_TRUE(
      fails_with(optest::bind_status("Conv2D", conv_attrs({{"groups", std::int64_t{0}}}), c),
                 {"parameter 'groups' must be in [1, 1048576]", "got 0"}));
  EXPECT_TRUE(
      fails_with(optest::bind_status("Conv2D", conv_attrs({{"groups", std::int64_t{1} << 21}}), c),
                 {"parameter 'groups'", "got 2097152"}));
}

TEST(Conv2DSchema, RejectsWrongListSizes) {
  const Constants c = conv_weights({4, 3, 3, 3});
  using L = std::vector<std::int64_t>;
  EXPECT_TRUE(fails_with(optest::bind_status("Conv2D", conv_attrs({{"strides", L{1, 1, 1}}}), c),
                         {"parameter 'strides' must have 2 elements", "got [1, 1, 1]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Conv2D", conv_attrs({{"pads", L{1, 1}}}), c),
                         {"parameter 'pads' must have 4 elements", "got [1, 1]"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Conv2D", conv_attrs({{"dilations", L{}}}), c),
                         {"parameter 'dilations' must have 2 elements", "got []"}));
}

TEST(Conv2DSchema, RejectsUnknownLayoutAndUnknownParameter) {
  const Constants c = conv_weights({4, 3, 3, 3});
  EXPECT_TRUE(
      fails_with(optest::bind_status("Conv2D", conv_attrs({{"layout", std::string("NWHC")}}), c),
                 {"parameter 'layout' must be one of \"NHWC\", \"NCHW\"", "got \"NWHC\""}));
  EXPECT_TRUE(
      fails_with(optest::bind_status("Conv2D", conv_attrs({{"padding", std::string("same")}}), c),
                 {"parameter 'padding' is not a parameter of op 'Conv2D'", "got \"same\""}));
}

// ------------------------------------------------------------------------------- shape rule

Result<std::vector<TensorInfo>> infer_conv(const Shape& x, const Shape& w, AttrMap extra = {},
                                           std::int64_t bias_size = 0) {
  return optest::infer("Conv2D", conv_attrs(std::move(extra), bias_size > 0),
                       conv_weights(w, bias_size), optest::f32_infos({x}));
}

Shape infer_shape(const Shape& x, const Shape& w, AttrMap extra = {}) {
  auto out = infer_conv(x, w, std::move(extra));
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() && out->size() == 1 ? (*out)[0].shape : Shape{};
}

TEST(Conv2DShape, FollowsTheOutputSizeFormulaInBothLayouts) {
  using L = std::vector<std::int64_t>;
  EXPECT_EQ(infer_shape({1, 5, 5, 3}, {4, 3, 3, 3}), (Shape{1, 3, 3, 4}));
  EXPECT_EQ(infer_shape({1, 3, 5, 5}, {4, 3, 3, 3}, {{"layout", std::string("NCHW")}}),
            (Shape{1, 4, 3, 3}));
  // floor((7 + 1 + 1 - 3) / 2) + 1 = 4
  EXPECT_EQ(
      infer_shape({2, 7, 7, 3}, {8, 3, 3, 3}, {{"strides", L{2, 2}}, {"pads", L{1, 1, 1, 1}}}),
      (Shape{2, 4, 4, 8}));
  // H: floor((7 + 0 + 1 - 3) / 2) + 1 = 3; W: floor((9 + 2 + 0 - 3) / 1) + 1 = 9
  EXPECT_EQ(
      infer_shape({1, 7, 9, 3}, {8, 3, 3, 3}, {{"strides", L{2, 1}}, {"pads", L{0, 2, 1, 0}}}),
      (Shape{1, 3, 9, 8}));
  // Dilation 3 spreads a 3-tap kernel over 7 pixels: floor((7 - 7) / 1) + 1 = 1
  EXPECT_EQ(infer_shape({1, 7, 8, 1}, {1, 1, 3, 3}, {{"dilations", L{3, 3}}}), (Shape{1, 1, 2, 1}));
  // groups 2: 6 input channels = 2 * 3
  EXPECT_EQ(infer_shape({1, 4, 4, 6}, {4, 3, 1, 1}, {{"groups", std::int64_t{2}}}),
            (Shape{1, 4, 4, 4}));
  // depthwise with multiplier 2: groups = in_channels = 3
  EXPECT_EQ(infer_shape({1, 3, 4, 4}, {6, 1, 3, 3},
                        {{"groups", std::int64_t{3}}, {"layout", std::string("NCHW")}}),
            (Shape{1, 6, 2, 2}));
}

TEST(Conv2DShape, AcceptsMatchingBias) {
  auto out = infer_conv({1, 5, 5, 3}, {4, 3, 3, 3}, {}, 4);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{1, 3, 3, 4}, DType::f32}));
}

TEST(Conv2DShape, RejectsWrongInputRankOrDtype) {
  EXPECT_TRUE(fails_with(infer_conv({5, 5, 3}, {4, 3, 3, 3}),
                         {"input 0 must have rank 4", "got shape [5, 5, 3]"}));
  auto st = optest::infer("Conv2D", conv_attrs(), conv_weights({4, 3, 3, 3}),
                          {{Shape{1, 5, 5, 3}, DType::f16}});
  EXPECT_TRUE(fails_with(st, {"input 0 must be f32", "got f16"}));
}

TEST(Conv2DShape, RejectsChannelMismatch) {
  EXPECT_TRUE(fails_with(infer_conv({1, 5, 5, 4}, {4, 3, 3, 3}),
                         {"input channels must equal groups * weights.shape[1] = 1 * 3", "got 4"}));
  // The same shape read as NCHW has 5 channels.
  EXPECT_TRUE(fails_with(infer_conv({1, 5, 5, 3}, {4, 3, 3, 3}, {{"layout", std::string("NCHW")}}),
                         {"input channels", "got 5", "layout NCHW"}));
  EXPECT_TRUE(fails_with(infer_conv({1, 5, 5, 6}, {6, 3, 3, 3}, {{"groups", std::int64_t{3}}}),
                         {"= 3 * 3", "got 6"}));
}

TEST(Conv2DShape, RejectsOutChannelsNotDivisibleByGroups) {
  EXPECT_TRUE(fails_with(infer_conv({1, 5, 5, 4}, {5, 2, 3, 3}, {{"groups", std::int64_t{2}}}),
                         {"out_channels must be divisible by groups 2", "got 5"}));
}

TEST(Conv2DShape, RejectsBadWeightsAndBias) {
  EXPECT_TRUE(fails_with(infer_conv({1, 5, 5, 3}, {4, 3, 3}),
                         {"parameter 'weights' must be f32 of rank 4", "got f32 [4, 3, 3]"}));
  EXPECT_TRUE(fails_with(infer_conv({1, 5, 5, 3}, {0, 3, 3, 3}),
                         {"parameter 'weights' dims must be >= 1", "got [0, 3, 3, 3]"}));
  Constants half{{"w", Tensor::allocate(DType::f16, Shape{4, 3, 3, 3}).value()}};
  EXPECT_TRUE(
      fails_with(optest::infer("Conv2D", conv_attrs(), half, optest::f32_infos({{1, 5, 5, 3}})),
                 {"parameter 'weights' must be f32", "got f16 [4, 3, 3, 3]"}));
  Constants wrong_bias = conv_weights({4, 3, 3, 3});
  wrong_bias["b"] = filled(Shape{3}, 0.0f);
  EXPECT_TRUE(fails_with(
      optest::infer("Conv2D", conv_attrs({}, true), wrong_bias, optest::f32_infos({{1, 5, 5, 3}})),
      {"parameter 'bias' must be f32 of shape [4]", "got f32 [3]"}));
  wrong_bias["b"] = filled(Shape{1, 4}, 0.0f);
  EXPECT_TRUE(fails_with(
      optest::infer("Conv2D", conv_attrs({}, true), wrong_bias, optest::f32_infos({{1, 5, 5, 3}})),
      {"parameter 'bias'", "got f32 [1, 4]"}));
}

TEST(Conv2DShape, RejectsKernelLargerThanPaddedInput) {
  using L = std::vector<std::int64_t>;
  EXPECT_TRUE(fails_with(infer_conv({1, 2, 5, 3}, {4, 3, 3, 3}),
                         {"padded input height must be >= the window height 3", "got 2"}));
  // Dilation 3 makes the 3-tap kernel span 7 pixels; pads 1 + 0 bring the width to 6.
  EXPECT_TRUE(fails_with(
      infer_conv({1, 9, 5, 3}, {4, 3, 3, 3}, {{"dilations", L{1, 3}}, {"pads", L{0, 1, 0, 0}}}),
      {"padded input width must be >= the window width 7", "got 6"}));
  // One pad is enough to make it fit again.
  EXPECT_EQ(
      infer_shape({1, 9, 5, 3}, {4, 3, 3, 3}, {{"dilations", L{1, 3}}, {"pads", L{0, 1, 0, 1}}}),
      (Shape{1, 7, 1, 4}));
}

TEST(Conv2DShape, RejectsAbsurdOutputSize) {
  // 2^20 * 2^20 positions * 1024 channels = 2^50 elements, over kMaxElements.
  EXPECT_TRUE(fails_with(
      infer_conv({1, 1 << 20, 1 << 20, 1}, {1024, 1, 1, 1}),
      {"infer output shape [1, 1048576, 1048576, 1024]", "element count must be at most 2^40"}));
}

// ------------------------------------------------------------------------ reference kernel

TEST(Conv2DKernel, HandCheckedSumOfWindowsPlusBias) {
  // x = 1..9 as a 3x3 image, a 2x2 kernel of ones and bias 0.5: every output is the sum of a
  // 2x2 window plus 0.5: 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28.
  // All values are small integers (+ 0.5), exact in float32: compared exactly.
  const Tensor x = tensor({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Constants c{{"w", filled({1, 1, 2, 2}, 1.0f)}, {"b", tensor({1}, {0.5f})}};
  const Tensor y = optest::run1("Conv2D", conv_attrs({}, true), c, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 2, 1}, {12.5, 16.5, 24.5, 28.5}, 0, 0));
}

TEST(Conv2DKernel, HandCheckedZeroPadding) {
  // 3x3 kernel of ones with pads 1 on every side: each output sums the in-image part of the
  // 3x3 neighbourhood of the same pixel of x = 1..9 (padding reads as 0). Exact integers.
  //   (0,0) 1+2+4+5 = 12       (0,1) 1+..+6 = 21          (0,2) 2+3+5+6 = 16
  //   (1,0) 1+2+4+5+7+8 = 27   (1,1) 1+..+9 = 45          (1,2) 2+3+5+6+8+9 = 33
  //   (2,0) 4+5+7+8 = 24       (2,1) 4+5+6+7+8+9 = 39     (2,2) 5+6+8+9 = 28
  const Tensor x = tensor({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Constants c{{"w", filled({1, 1, 3, 3}, 1.0f)}};
  const Tensor y =
      optest::run1("Conv2D", conv_attrs({{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}), c, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 3, 3, 1}, {12, 21, 16, 27, 45, 33, 24, 39, 28}, 0, 0));
}

TEST(Conv2DKernel, HandCheckedGroupsKeepChannelsApart) {
  // One pixel with channels (3, 5). Plain 1x1 conv, weights [[1, 1], [1, -1]]: (3+5, 3-5).
  // groups 2, weights [2, 10] (one input channel each): (3*2, 5*10). Exact integers.
  const Tensor x = tensor({1, 1, 1, 2}, {3, 5});
  const Tensor plain =
      optest::run1("Conv2D", conv_attrs(), {{"w", tensor({2, 2, 1, 1}, {1, 1, 1, -1})}}, {x});
  EXPECT_TRUE(optest::all_close(plain, Shape{1, 1, 1, 2}, {8, -2}, 0, 0));
  const Tensor grouped = optest::run1("Conv2D", conv_attrs({{"groups", std::int64_t{2}}}),
                                      {{"w", tensor({2, 1, 1, 1}, {2, 10})}}, {x});
  EXPECT_TRUE(optest::all_close(grouped, Shape{1, 1, 1, 2}, {6, 50}, 0, 0));
}

TEST(Conv2DKernel, HandCheckedStrideAndDilationPickTheRightTaps) {
  // x = 0..15 as a 4x4 image (x[r][c] = 4r + c); 2x2 kernel [[1, 10], [100, 1000]].
  // strides 2: windows at (0,0), (0,2), (2,0), (2,2):
  //   (0,0): 0 + 10*1 + 100*4 + 1000*5 = 5410       (0,2): 2 + 30 + 600 + 7000 = 7632
  //   (2,0): 8 + 90 + 1200 + 13000 = 14298          (2,2): 10 + 110 + 1400 + 15000 = 16520
  // dilations 2 (taps 2 apart, window 3x3), stride 1:
  //   (0,0): x00 + 10 x02 + 100 x20 + 1000 x22 = 0 + 20 + 800 + 10000 = 10820, and so on by +1111
  //   per step right and +4444 per step down. All exact integers in float32.
  const Tensor x = tensor({1, 4, 4, 1}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  const Constants c{{"w", tensor({1, 1, 2, 2}, {1, 10, 100, 1000})}};
  using L = std::vector<std::int64_t>;
  const Tensor strided = optest::run1("Conv2D", conv_attrs({{"strides", L{2, 2}}}), c, {x});
  EXPECT_TRUE(optest::all_close(strided, Shape{1, 2, 2, 1}, {5410, 7632, 14298, 16520}, 0, 0));
  const Tensor dilated = optest::run1("Conv2D", conv_attrs({{"dilations", L{2, 2}}}), c, {x});
  EXPECT_TRUE(optest::all_close(dilated, Shape{1, 2, 2, 1}, {10820, 11931, 15264, 16375}, 0, 0));
}

// Each numpy case exists in both layouts (the NCHW one transposed by numpy).
const std::vector<std::string> kFixtureCases = {
    "basic",          "stride2_asym_pads", "dilation2_no_bias",     "rect_kernel_mixed",
    "groups2_batch2", "depthwise_stride2", "depthwise_multiplier2",
};

void expect_both_layouts(const std::string& name) {
  optest::expect_fixture("conv2d.json", name + "_nhwc", kRtol, kAtol);
  optest::expect_fixture("conv2d.json", name + "_nchw", kRtol, kAtol);
}

TEST(Conv2DKernel, NumpyBasicWithBias) { expect_both_layouts("basic"); }
TEST(Conv2DKernel, NumpyStride2AsymmetricPads) { expect_both_layouts("stride2_asym_pads"); }
TEST(Conv2DKernel, NumpyDilation2NoBias) { expect_both_layouts("dilation2_no_bias"); }
TEST(Conv2DKernel, NumpyRectKernelMixedStridesAndDilations) {
  expect_both_layouts("rect_kernel_mixed");
}
TEST(Conv2DKernel, NumpyGroups2Batch2) { expect_both_layouts("groups2_batch2"); }
TEST(Conv2DKernel, NumpyDepthwiseStride2NoBias) { expect_both_layouts("depthwise_stride2"); }
TEST(Conv2DKernel, NumpyDepthwiseMultiplier2) { expect_both_layouts("depthwise_multiplier2"); }

TEST(Conv2DKernel, EveryFixtureCaseIsTested) {
  std::vector<std::string> listed;
  for (const auto& name : kFixtureCases) {
    listed.push_back(name + "_nhwc");
    listed.push_back(name + "_nchw");
  }
  std::vector<std::string> in_file = optest::fixture_case_names("conv2d.json");
  std::sort(listed.begin(), listed.end());
  std::sort(in_file.begin(), in_file.end());
  EXPECT_EQ(listed, in_file);
}

TEST(Conv2DKernel, NchwGivesTheTransposedNhwcResult) {
  // Grouped, strided, dilated and asymmetrically padded at once. The reference kernel sums each
  // output in the same order whatever the layout (only the indexing differs), so the results
  // must be bit-identical: tolerance 0.
  std::vector<float> xs(2 * 7 * 6 * 4), ws(6 * 2 * 3 * 2);
  for (std::size_t i = 0; i < xs.size(); ++i)
    xs[i] = static_cast<float>(static_cast<int>(i * 37 % 101) - 50) / 16.0f;
  for (std::size_t i = 0; i < ws.size(); ++i)
    ws[i] = static_cast<float>(static_cast<int>(i * 53 % 29) - 14) / 8.0f;
  const Tensor x = tensor({2, 7, 6, 4}, xs);
  const Constants c{{"w", tensor({6, 2, 3, 2}, ws)}, {"b", tensor({6}, {1, -2, 3, -4, 5, -6})}};
  using L = std::vector<std::int64_t>;
  AttrMap attrs = conv_attrs({{"groups", std::int64_t{2}},
                              {"strides", L{2, 1}},
                              {"dilations", L{1, 2}},
                              {"pads", L{1, 0, 2, 3}}},
                             true);
  const Tensor nhwc = optest::run1("Conv2D", attrs, c, {x});
  attrs["layout"] = std::string("NCHW");
  const Tensor nchw = optest::run1("Conv2D", attrs, c, {optest::nhwc_to_nchw(x)});
  ASSERT_FALSE(nhwc.empty());
  EXPECT_TRUE(optest::all_close(nchw, optest::nhwc_to_nchw(nhwc), 0, 0));
}

// The optional second input (written by the plan's fuse_residual_add): added after the bias.
TEST(Conv2DResidual, IsAddedAfterTheBias) {
  const Tensor x = tensor({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor r = tensor({1, 2, 2, 1}, {100, -200, 0.25f, 4});
  const Constants c{{"w", tensor({1, 1, 2, 2}, {1, 2, 3, 4})}, {"b", tensor({1}, {0.5f})}};
  // Without the summand: 1+4+12+20 = 37 (+0.5), 47.5, 67.5, 77.5; then + r.
  const Tensor y = optest::run1("Conv2D", conv_attrs({}, true), c, {x, r});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 2, 1}, {137.5f, -152.5f, 67.75f, 81.5f}, 0, 0));
}

TEST(Conv2DResidual, MustHaveTheOutputShape) {
  EXPECT_TRUE(fails_with(optest::infer("Conv2D", conv_attrs(), conv_weights({2, 3, 3, 3}),
                                       optest::f32_infos({{1, 5, 5, 3}, {1, 3, 3, 1}})),
                         {"input 1 (the residual summand) must be f32 of the output's shape [1, 3, 3, 2]",
                          "got f32 [1, 3, 3, 1]"}));
}

}  // namespace ops_test_conv2d
}  // namespace ingot
