#include <string>
#include <vector>

#include "ops/spatial_test_util.h"

namespace ingot {
namespace ops_test_conv_transpose2d {

using optest::Constants;
using optest::fails_with;
using optest::tensor;
using spatialtest::L;

// Tolerance against the numpy fixtures: |got - want| <= 1e-5 + 1e-5 * |want|. Each output sums
// at most in_channels/groups * kh * kw = 2 * 16 = 32 products of values in [-1, 1] in float32;
// numpy sums the same float32 inputs in float64. float32 rounding (2^-24 ~ 6e-8 relative per
// step) over <= 32 partial sums below ~10 stays near 1e-6; a wrong tap or channel moves an
// output by ~0.1 or more.
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-5;

Tensor filled(const Shape& shape, float value) {
  Tensor t = Tensor::allocate(DType::f32, shape).value();
  for (float& v : t.mutable_data<float>()) v = value;
  return t;
}

AttrMap attrs_with(AttrMap extra = {}, bool bias = false) {
  extra["weights"] = TensorRef{"w"};
  if (bias) extra["bias"] = TensorRef{"b"};
  return extra;
}

Constants weights(const Shape& w, std::int64_t bias_size = 0) {
  Constants c{{"w", filled(w, 0.5f)}};
  if (bias_size > 0) c["b"] = filled(Shape{bias_size}, 1.0f);
  return c;
}

Status bind(AttrMap extra, const Constants& c = weights({3, 2, 3, 3})) {
  return optest::bind_status("ConvTranspose2D", attrs_with(std::move(extra)), c);
}

// ----------------------------------------------------------------------------------- schema

TEST(ConvTranspose2DSchema, IsRegisteredWithDocumentedDefaults) {
  const OpDef& def = optest::op("ConvTranspose2D");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_EQ(def.schema.num_outputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(def.schema.find_param("weights")->required);
  EXPECT_FALSE(def.schema.find_param("bias")->default_value.has_value());
  EXPECT_EQ(*def.schema.find_param("strides")->default_value, AttrValue(L{1, 1}));
  EXPECT_EQ(*def.schema.find_param("dilations")->default_value, AttrValue(L{1, 1}));
  EXPECT_EQ(*def.schema.find_param("pads")->default_value, AttrValue(L{0, 0, 0, 0}));
  EXPECT_EQ(*def.schema.find_param("output_padding")->default_value, AttrValue(L{0, 0}));
  EXPECT_EQ(*def.schema.find_param("groups")->default_value, AttrValue(std::int64_t{1}));
  EXPECT_EQ(*def.schema.find_param("layout")->default_value, AttrValue(std::string("NHWC")));
  EXPECT_EQ(describe_constraints(*def.schema.find_param("output_padding")),
            "int list, each in [0, 65535], 2 elements");
}

TEST(ConvTranspose2DSchema, AcceptsWeightsAloneAndEveryParameter) {
  const Constants c = weights({4, 3, 3, 3}, 3);
  EXPECT_TRUE(optest::bind_status("ConvTranspose2D", attrs_with(), c).ok());
  const Status st = optest::bind_status("ConvTranspose2D",
                                        attrs_with({{"strides", L{2, 65536}},
                                                    {"dilations", L{65536, 1}},
                                                    {"pads", L{0, 1, 2, 65536}},
                                                    {"output_padding", L{1, 65535}},
                                                    {"groups", std::int64_t{1} << 20},
                                                    {"layout", std::string("NCHW")}},
                                                   true),
                                        c);
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(ConvTranspose2DSchema, RejectsMissingOrUnresolvedWeights) {
  EXPECT_TRUE(fails_with(optest::bind_status("ConvTranspose2D", {}),
                         {"parameter 'weights' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("ConvTranspose2D", attrs_with(), {}),
      {"read parameter 'weights'", "tensor 'w' must name a constant", "got none of that name"}));
  EXPECT_TRUE(fails_with(
      optest::bind_status("ConvTranspose2D", attrs_with({}, true), weights({3, 2, 3, 3})),
      {"read parameter 'bias'", "tensor 'b' must name a constant"}));
}

TEST(ConvTranspose2DSchema, RejectsWrongTypes) {
  EXPECT_TRUE(fails_with(bind({{"strides", std::int64_t{2}}}),
                         {"parameter 'strides' must be int list", "got int 2"}));
  EXPECT_TRUE(fails_with(bind({{"output_padding", std::vector<double>{1.0, 1.0}}}),
                         {"parameter 'output_padding' must be int list", "got float list"}));
  EXPECT_TRUE(
      fails_with(bind({{"groups", 2.0}}), {"parameter 'groups' must be int", "got float 2"}));
  EXPECT_TRUE(fails_with(optest::bind_status("ConvTranspose2D", {{"weights", std::string("w")}},
                                             weights({3, 2, 3, 3})),
                         {"parameter 'weights' must be tensor", "got string \"w\""}));
}

TEST(ConvTranspose2DSchema, RejectsOutOfRangeValues) {
  EXPECT_TRUE(fails_with(bind({{"strides", L{0, 1}}}),
                         {"parameter 'strides' must be in [1, 65536]", "got [0, 1]"}));
  EXPECT_TRUE(fails_with(bind({{"dilations", L{1, 65537}}}),
                         {"parameter 'dilations' must be in [1, 65536]", "got [1, 65537]"}));
  EXPECT_TRUE(fails_with(bind({{"pads", L{0, -1, 0, 0}}}),
                         {"parameter 'pads' must be in [0, 65536]", "got [0, -1, 0, 0]"}));
  EXPECT_TRUE(fails_with(bind({{"output_padding", L{-1, 0}}}),
                         {"parameter 'output_padding' must be in [0, 65535]", "got [-1, 0]"}));
  EXPECT_TRUE(fails_with(bind({{"output_padding", L{0, 65536}}}),
                         {"parameter 'output_padding'", "got [0, 65536]"}));
  EXPECT_TRUE(fails_with(bind({{"groups", std::int64_t{0}}}),
                         {"parameter 'groups' must be in [1, 1048576]", "got 0"}));
}

TEST(ConvTranspose2DSchema, RejectsWrongListSizes) {
  EXPECT_TRUE(fails_with(bind({{"strides", L{1, 1, 1}}}),
                         {"parameter 'strides' must have 2 elements", "got [1, 1, 1]"}));
  EXPECT_TRUE(fails_with(bind({{"pads", L{1, 1}}}),
                         {"parameter 'pads' must have 4 elements", "got [1, 1]"}));
  EXPECT_TRUE(fails_with(bind({{"output_padding", L{1}}}),
                         {"parameter 'output_padding' must have 2 elements", "got [1]"}));
}

TEST(ConvTranspose2DSchema, RejectsUnknownLayoutAndUnknownParameter) {
  EXPECT_TRUE(fails_with(bind({{"layout", std::string("HWNC")}}),
                         {"parameter 'layout' must be one of \"NHWC\", \"NCHW\"", "got \"HWNC\""}));
  EXPECT_TRUE(fails_with(
      bind({{"output_shape", L{1, 8, 8, 3}}}),
      {"parameter 'output_shape' is not a parameter of op 'ConvTranspose2D'", "got [1, 8, 8, 3]"}));
}

// ------------------------------------------------------------------------------- shape rule

Result<std::vector<TensorInfo>> infer_ct(const Shape& x, const Shape& w, AttrMap extra = {},
                                         std::int64_t bias_size = 0) {
  return optest::infer("ConvTranspose2D", attrs_with(std::move(extra), bias_size > 0),
                       weights(w, bias_size), optest::f32_infos({x}));
}

Shape infer_shape(const Shape& x, const Shape& w, AttrMap extra = {}) {
  auto out = infer_ct(x, w, std::move(extra));
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() && out->size() == 1 ? (*out)[0].shape : Shape{};
}

TEST(ConvTranspose2DShape, FollowsTheOutputSizeFormulaInBothLayouts) {
  // (H - 1) * s + (k - 1) + 1: H (3 - 1) * 2 + 3 = 7, W (4 - 1) * 2 + 3 = 9; out channels w[1].
  EXPECT_EQ(infer_shape({1, 3, 4, 2}, {2, 5, 3, 3}, {{"strides", L{2, 2}}}), (Shape{1, 7, 9, 5}));
  EXPECT_EQ(infer_shape({1, 2, 3, 4}, {2, 5, 3, 3},
                        {{"strides", L{2, 2}}, {"layout", std::string("NCHW")}}),
            (Shape{1, 5, 7, 9}));
  // k4 s2 pads 1: (3 - 1) * 2 - 2 + 4 = 6 = 2H (the usual 2x upsampling).
  EXPECT_EQ(
      infer_shape({2, 3, 3, 2}, {2, 1, 4, 4}, {{"strides", L{2, 2}}, {"pads", L{1, 1, 1, 1}}}),
      (Shape{2, 6, 6, 1}));
  // k3 s2 pads 1 + output_padding 1: 7 - 2 + 1 = 6 = 2H. Asymmetric pads crop each axis apart:
  // H 7 - 0 - 1 = 6, W 9 - 2 - 0 + 1 = 8.
  EXPECT_EQ(
      infer_shape({1, 3, 3, 2}, {2, 1, 3, 3},
                  {{"strides", L{2, 2}}, {"pads", L{1, 1, 1, 1}}, {"output_padding", L{1, 1}}}),
      (Shape{1, 6, 6, 1}));
  EXPECT_EQ(
      infer_shape({1, 3, 4, 2}, {2, 1, 3, 3},
                  {{"strides", L{2, 2}}, {"pads", L{0, 2, 1, 0}}, {"output_padding", L{0, 1}}}),
      (Shape{1, 6, 8, 1}));
  // Dilation 3 spreads a 3-tap kernel over 7: H - 1 + 7.
  EXPECT_EQ(infer_shape({1, 4, 4, 1}, {1, 1, 3, 3}, {{"dilations", L{3, 1}}}),
            (Shape{1, 10, 6, 1}));
  // groups 2: 4 input channels = weights.shape[0]; out channels 2 * 3.
  EXPECT_EQ(infer_shape({1, 2, 2, 4}, {4, 3, 1, 1}, {{"groups", std::int64_t{2}}}),
            (Shape{1, 2, 2, 6}));
}

TEST(ConvTranspose2DShape, AcceptsMatchingBiasOfGroupsTimesWeightsShape1) {
  auto out = optest::infer("ConvTranspose2D", attrs_with({{"groups", std::int64_t{2}}}, true),
                           weights({4, 3, 2, 2}, 6), optest::f32_infos({{1, 2, 2, 4}}));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{1, 3, 3, 6}, DType::f32}));
}

TEST(ConvTranspose2DShape, RejectsWrongInputRankOrDtype) {
  EXPECT_TRUE(fails_with(infer_ct({3, 3, 2}, {2, 1, 3, 3}),
                         {"input 0 must have rank 4", "got shape [3, 3, 2]"}));
  EXPECT_TRUE(fails_with(optest::infer("ConvTranspose2D", attrs_with(), weights({2, 1, 3, 3}),
                                       {{Shape{1, 3, 3, 2}, DType::f16}}),
                         {"input 0 must be f32", "got f16"}));
}

TEST(ConvTranspose2DShape, RejectsChannelMismatch) {
  EXPECT_TRUE(fails_with(infer_ct({1, 3, 3, 3}, {2, 1, 3, 3}),
                         {"input channels must equal weights.shape[0] = 2", "got 3"}));
  // The same shape read as NCHW has 3 channels.
  EXPECT_TRUE(fails_with(infer_ct({1, 3, 3, 2}, {2, 1, 3, 3}, {{"layout", std::string("NCHW")}}),
                         {"input channels", "got 3", "layout NCHW"}));
}

TEST(ConvTranspose2DShape, RejectsInChannelsNotDivisibleByGroups) {
  EXPECT_TRUE(
      fails_with(infer_ct({1, 3, 3, 3}, {3, 2, 3, 3}, {{"groups", std::int64_t{2}}}),
                 {"parameter 'weights' in_channels must be divisible by groups 2", "got 3"}));
}

TEST(ConvTranspose2DShape, RejectsBadWeightsAndBias) {
  EXPECT_TRUE(fails_with(infer_ct({1, 3, 3, 2}, {2, 1, 3}),
                         {"parameter 'weights' must be f32 of rank 4", "got f32 [2, 1, 3]"}));
  EXPECT_TRUE(fails_with(infer_ct({1, 3, 3, 2}, {2, 0, 3, 3}),
                         {"parameter 'weights' dims must be >= 1", "got [2, 0, 3, 3]"}));
  Constants half{{"w", Tensor::allocate(DType::f16, Shape{2, 1, 3, 3}).value()}};
  EXPECT_TRUE(fails_with(
      optest::infer("ConvTranspose2D", attrs_with(), half, optest::f32_infos({{1, 3, 3, 2}})),
      {"parameter 'weights' must be f32", "got f16 [2, 1, 3, 3]"}));
  // weights.shape[0] is the in-channel count: a bias sized by it is wrong.
  EXPECT_TRUE(fails_with(infer_ct({1, 3, 3, 2}, {2, 3, 3, 3}, {}, 2),
                         {"parameter 'bias' must be f32 of shape [3]", "got f32 [2]"}));
  Constants wrong = weights({2, 3, 3, 3});
  wrong["b"] = filled(Shape{1, 3}, 0.0f);
  EXPECT_TRUE(fails_with(optest::infer("ConvTranspose2D", attrs_with({}, true), wrong,
                                       optest::f32_infos({{1, 3, 3, 2}})),
                         {"parameter 'bias'", "got f32 [1, 3]"}));
}

TEST(ConvTranspose2DShape, RejectsOutputPaddingNotBelowStrideOrDilation) {
  EXPECT_TRUE(fails_with(
      infer_ct({1, 3, 3, 1}, {1, 1, 3, 3}, {{"strides", L{2, 2}}, {"output_padding", L{0, 2}}}),
      {"parameter 'output_padding' width must be < max(stride, dilation) = 2", "got [0, 2]"}));
  EXPECT_TRUE(fails_with(infer_ct({1, 3, 3, 1}, {1, 1, 3, 3}, {{"output_padding", L{1, 0}}}),
                         {"parameter 'output_padding' height", "= 1", "got [1, 0]"}));
  // Dilation alone allows it too (PyTorch's rule): max(1, 3) = 3 > 2.
  EXPECT_EQ(infer_shape({1, 3, 3, 1}, {1, 1, 3, 3},
                        {{"dilations", L{3, 1}}, {"output_padding", L{2, 0}}}),
            (Shape{1, 11, 5, 1}));  // (3 - 1) + 3 * 2 + 1 + 2
}

TEST(ConvTranspose2DShape, RejectsPadsCroppingEverything) {
  // Full height (2 - 1) * 1 + 3 = 4; pads 2 + 2 leave 0.
  EXPECT_TRUE(fails_with(infer_ct({1, 2, 2, 1}, {1, 1, 3, 3}, {{"pads", L{2, 0, 2, 0}}}),
                         {"output height", "must be >= 1", "got 0", "pads 2 + 2"}));
  EXPECT_TRUE(fails_with(infer_ct({1, 2, 2, 1}, {1, 1, 3, 3}, {{"pads", L{0, 65536, 0, 0}}}),
                         {"output width", "got -65532"}));
  EXPECT_EQ(infer_shape({1, 2, 2, 1}, {1, 1, 3, 3}, {{"pads", L{2, 0, 1, 0}}}),
            (Shape{1, 1, 4, 1}));
}

TEST(ConvTranspose2DShape, RejectsEmptyImagesAndAbsurdSizes) {
  EXPECT_TRUE(
      fails_with(infer_ct({1, 0, 3, 1}, {1, 1, 3, 3}), {"input height must be >= 1", "got 0"}));
  // 2^20 rows upsampled by 2^16 is 2^36 rows; times 2^10 columns and 1 channel: over 2^40.
  EXPECT_TRUE(fails_with(
      infer_ct({1, 1 << 20, 1 << 10, 1}, {1, 1, 1, 1}, {{"strides", L{65536, 1}}}),
      {"infer output shape [1, 68719411201, 1024, 1]", "element count must be at most 2^40"}));
  // A valid but empty shape whose other dims would overflow stride arithmetic.
  EXPECT_TRUE(fails_with(infer_ct({0, std::int64_t{1} << 40, 4, 1}, {1, 1, 1, 1}),
                         {"input 0 dims must multiply to at most 2^40 counting 0 as 1",
                          "got shape [0, 1099511627776, 4, 1]"}));
}

// ------------------------------------------------------------------------ reference kernel

TEST(ConvTranspose2DKernel, HandCheckedStride2ScattersDisjointCopies) {
  // x = [[1, 2], [3, 4]], kernel [[1, 10], [100, 1000]], stride 2, no bias: each pixel writes
  // its own 2x2 block x * kernel. Exact integers: compared exactly.
  const Tensor x = tensor({1, 2, 2, 1}, {1, 2, 3, 4});
  const Constants c{{"w", tensor({1, 1, 2, 2}, {1, 10, 100, 1000})}};
  const Tensor y = optest::run1("ConvTranspose2D", attrs_with({{"strides", L{2, 2}}}), c, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 4, 4, 1},
                                {1, 10, 2, 20, 100, 1000, 200, 2000,  //
                                 3, 30, 4, 40, 300, 3000, 400, 4000},
                                0, 0));
}

TEST(ConvTranspose2DKernel, HandCheckedStride1OverlapsAndAddsBias) {
  // 2x2 kernel of ones, stride 1: full 3x3 where overlapping copies add up; bias 0.5.
  //   [1, 1+2, 2]  [1+3, 1+2+3+4, 2+4]  [3, 3+4, 4]
  const Tensor x = tensor({1, 2, 2, 1}, {1, 2, 3, 4});
  const Constants c{{"w", filled({1, 1, 2, 2}, 1.0f)}, {"b", tensor({1}, {0.5f})}};
  const Tensor y = optest::run1("ConvTranspose2D", attrs_with({}, true), c, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 3, 3, 1},
                                {1.5, 3.5, 2.5, 4.5, 10.5, 6.5, 3.5, 7.5, 4.5}, 0, 0));
}

TEST(ConvTranspose2DKernel, HandCheckedPadsCropAndOutputPaddingGetsBiasOnly) {
  // The stride-2 case above with pads (1, 1, 0, 0) and output_padding (1, 1), bias 0.5: output
  // row r is full row r + 1 (columns likewise), and the last row/column lie past the full 4x4
  // extent, so they hold the bias alone.
  const Tensor x = tensor({1, 2, 2, 1}, {1, 2, 3, 4});
  const Constants c{{"w", tensor({1, 1, 2, 2}, {1, 10, 100, 1000})}, {"b", tensor({1}, {0.5f})}};
  const Tensor y = optest::run1(
      "ConvTranspose2D",
      attrs_with({{"strides", L{2, 2}}, {"pads", L{1, 1, 0, 0}}, {"output_padding", L{1, 1}}},
                 true),
      c, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 4, 4, 1},
                                {1000.5, 200.5, 2000.5, 0.5, 30.5, 4.5, 40.5, 0.5,  //
                                 3000.5, 400.5, 4000.5, 0.5, 0.5, 0.5, 0.5, 0.5},
                                0, 0));
}

TEST(ConvTranspose2DKernel, HandCheckedDilationSpreadsTheTaps) {
  // One row x = [1, 2], kernel [1, 10], dilation 2: full[ix + 2 kx] += x[ix] * w[kx]:
  //   [1, 2, 10, 20]. With stride 3 as well, full[3 ix + 2 kx]: [1, 0, 10, 2, 0, 20].
  const Tensor x = tensor({1, 1, 2, 1}, {1, 2});
  const Constants c{{"w", tensor({1, 1, 1, 2}, {1, 10})}};
  const Tensor dilated =
      optest::run1("ConvTranspose2D", attrs_with({{"dilations", L{1, 2}}}), c, {x});
  EXPECT_TRUE(optest::all_close(dilated, Shape{1, 1, 4, 1}, {1, 2, 10, 20}, 0, 0));
  const Tensor both = optest::run1(
      "ConvTranspose2D", attrs_with({{"dilations", L{1, 2}}, {"strides", L{1, 3}}}), c, {x});
  EXPECT_TRUE(optest::all_close(both, Shape{1, 1, 6, 1}, {1, 0, 10, 2, 0, 20}, 0, 0));
}

TEST(ConvTranspose2DKernel, HandCheckedWeightsAreInOutHW) {
  // One pixel with channels (3, 5). groups 1, weights [ic][o] = [[1, 1], [1, -1]]:
  // o0 = 3 + 5 = 8, o1 = 3 - 5 = -2. groups 2 with weights [2, 2, 1, 1] = [[1, 2], [3, 4]]:
  // input channel 0 feeds outputs 0, 1 (3, 6) and channel 1 feeds outputs 2, 3 (15, 20).
  const Tensor x = tensor({1, 1, 1, 2}, {3, 5});
  const Tensor plain = optest::run1("ConvTranspose2D", attrs_with(),
                                    {{"w", tensor({2, 2, 1, 1}, {1, 1, 1, -1})}}, {x});
  EXPECT_TRUE(optest::all_close(plain, Shape{1, 1, 1, 2}, {8, -2}, 0, 0));
  const Tensor grouped = optest::run1("ConvTranspose2D", attrs_with({{"groups", std::int64_t{2}}}),
                                      {{"w", tensor({2, 2, 1, 1}, {1, 2, 3, 4})}}, {x});
  EXPECT_TRUE(optest::all_close(grouped, Shape{1, 1, 1, 4}, {3, 6, 15, 20}, 0, 0));
}

// Each numpy case exists in both layouts (the NCHW one transposed by numpy).
const std::vector<std::string> kFixtureCases = {
    "k3_s2",
    "k3_s2_pads1_outpad1",
    "k4_s2_pads1",
    "k4_s2_asym_pads_no_bias",
    "k3_dilation2_outpad",
    "rect_s3x1_d1x2",
    "groups2",
    "depthwise_k4_s2",
};

void expect_fixture(const std::string& name) {
  spatialtest::expect_both_layouts("convtranspose2d.json", name, kRtol, kAtol);
}

TEST(ConvTranspose2DKernel, NumpyK3Stride2) { expect_fixture("k3_s2"); }
TEST(ConvTranspose2DKernel, NumpyK3Stride2Pads1OutputPadding1) {
  expect_fixture("k3_s2_pads1_outpad1");
}
TEST(ConvTranspose2DKernel, NumpyK4Stride2Pads1) { expect_fixture("k4_s2_pads1"); }
TEST(ConvTranspose2DKernel, NumpyK4Stride2AsymmetricPadsNoBiasBatch2) {
  expect_fixture("k4_s2_asym_pads_no_bias");
}
TEST(ConvTranspose2DKernel, NumpyDilation2OutputPaddingPastTheFullExtent) {
  expect_fixture("k3_dilation2_outpad");
}
TEST(ConvTranspose2DKernel, NumpyRectKernelMixedStridesAndDilations) {
  expect_fixture("rect_s3x1_d1x2");
}
TEST(ConvTranspose2DKernel, NumpyGroups2) { expect_fixture("groups2"); }
TEST(ConvTranspose2DKernel, NumpyDepthwiseK4Stride2NoBias) { expect_fixture("depthwise_k4_s2"); }

TEST(ConvTranspose2DKernel, EveryFixtureCaseIsTested) {
  spatialtest::expect_cases_listed("convtranspose2d.json", kFixtureCases, true);
}

TEST(ConvTranspose2DKernel, NchwGivesTheTransposedNhwcResult) {
  // The kernel sums each output in the same order whatever the layout (only the indexing
  // differs), so the results must be bit-identical: tolerance 0.
  const Tensor x = spatialtest::pattern({2, 3, 4, 4});
  const Constants c{{"w", spatialtest::pattern({4, 3, 3, 2}, 53, 29)},
                    {"b", tensor({6}, {1, -2, 3, -4, 5, -6})}};
  AttrMap attrs = attrs_with({{"groups", std::int64_t{2}},
                              {"strides", L{2, 3}},
                              {"dilations", L{1, 2}},
                              {"pads", L{1, 0, 2, 1}},
                              {"output_padding", L{1, 2}}},
                             true);
  const Tensor nhwc = optest::run1("ConvTranspose2D", attrs, c, {x});
  attrs["layout"] = std::string("NCHW");
  const Tensor nchw = optest::run1("ConvTranspose2D", attrs, c, {optest::nhwc_to_nchw(x)});
  ASSERT_FALSE(nhwc.empty());
  EXPECT_TRUE(optest::all_close(nchw, optest::nhwc_to_nchw(nhwc), 0, 0));
}

double dot(const Tensor& a, const Tensor& b) {
  const auto x = a.data<float>(), y = b.data<float>();
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) s += static_cast<double>(x[i]) * y[i];
  return s;
}

TEST(ConvTranspose2DKernel, IsTheAdjointOfConv2DWithTheSameWeights) {
  // The defining property: <conv_transpose(x), u> == <x, conv(u)> for Conv2D reading the same
  // weight array as OIHW [C, O/groups, kh, kw] with the same strides, dilations, pads and
  // groups (no bias). output_padding < stride keeps conv's output size at x's. All values are
  // multiples of 1/16 below 4, so every float32 sum (multiples of 1/256 below 2^7) and the
  // double dot products (multiples of 1/4096 below 2^17) are exact: compared exactly.
  const Tensor x = spatialtest::pattern({1, 4, 5, 4});
  const Constants c{{"w", spatialtest::pattern({4, 3, 3, 4}, 53, 29)}};
  const AttrMap common = {{"weights", TensorRef{"w"}},
                          {"groups", std::int64_t{2}},
                          {"strides", L{2, 3}},
                          {"dilations", L{2, 1}},
                          {"pads", L{1, 2, 0, 1}}};
  AttrMap ct = common;
  ct["output_padding"] = L{1, 2};
  const Tensor y = optest::run1("ConvTranspose2D", ct, c, {x});
  ASSERT_FALSE(y.empty());
  const Tensor u = spatialtest::pattern(y.shape(), 31, 43);
  const Tensor v = optest::run1("Conv2D", common, c, {u});
  ASSERT_EQ(v.shape(), x.shape());
  EXPECT_NE(dot(y, u), 0.0);
  EXPECT_EQ(dot(y, u), dot(x, v));
}

}  // namespace ops_test_conv_transpose2d
}  // namespace ingot
