#include <string>
#include <vector>

#include "ops/spatial_test_util.h"

namespace ingot {
namespace ops_test_avgpool2d {

using optest::fails_with;
using optest::tensor;
using spatialtest::L;

// Tolerance against the numpy fixtures: |got - want| <= 1e-6 + 1e-5 * |want|. The kernel sums
// at most 9 values in [-1, 1] in float32 and divides once; numpy does the same in float64. Each
// float32 step rounds by at most half an ulp of a partial sum below 9 (~5e-7), and the divide
// by the count (>= 1) shrinks the total; a wrong divisor (4 vs 6 vs 9) or a missing element
// moves a mean by ~0.05 or more.
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-6;

Status bind(AttrMap attrs) { return optest::bind_status("AvgPool2D", attrs); }

Result<std::vector<TensorInfo>> infer_pool(const Shape& x, AttrMap attrs) {
  return optest::infer("AvgPool2D", attrs, {}, optest::f32_infos({x}));
}

Shape infer_shape(const Shape& x, AttrMap attrs) {
  auto out = infer_pool(x, std::move(attrs));
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() && out->size() == 1 ? (*out)[0].shape : Shape{};
}

// ----------------------------------------------------------------------------------- schema

TEST(AvgPool2DSchema, IsRegisteredWithDocumentedDefaults) {
  const OpDef& def = optest::op("AvgPool2D");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(def.schema.find_param("kernel")->required);
  EXPECT_EQ(*def.schema.find_param("strides")->default_value, AttrValue(L{1, 1}));
  EXPECT_EQ(*def.schema.find_param("pads")->default_value, AttrValue(L{0, 0, 0, 0}));
  EXPECT_EQ(*def.schema.find_param("layout")->default_value, AttrValue(std::string("NHWC")));
  EXPECT_EQ(*def.schema.find_param("ceil_mode")->default_value, AttrValue(false));
  EXPECT_EQ(*def.schema.find_param("count_include_pad")->default_value, AttrValue(false));
}

TEST(AvgPool2DSchema, AcceptsKernelAloneAndEveryParameter) {
  EXPECT_TRUE(bind({{"kernel", L{2, 2}}}).ok());
  const Status st = bind({{"kernel", L{3, 65536}},
                          {"strides", L{65536, 1}},
                          {"pads", L{0, 1, 2, 65536}},
                          {"layout", std::string("NCHW")},
                          {"ceil_mode", true},
                          {"count_include_pad", true}});
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(AvgPool2DSchema, RejectsMissingKernel) {
  EXPECT_TRUE(
      fails_with(bind({{"strides", L{2, 2}}}), {"parameter 'kernel' is required", "got nothing"}));
}

TEST(AvgPool2DSchema, RejectsWrongTypes) {
  EXPECT_TRUE(fails_with(bind({{"kernel", std::int64_t{2}}}),
                         {"parameter 'kernel' must be int list", "got int 2"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"count_include_pad", std::int64_t{1}}}),
                         {"parameter 'count_include_pad' must be bool", "got int 1"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"ceil_mode", std::string("true")}}),
                         {"parameter 'ceil_mode' must be bool", "got string \"true\""}));
}

TEST(AvgPool2DSchema, RejectsOutOfRangeValues) {
  EXPECT_TRUE(fails_with(bind({{"kernel", L{0, 2}}}),
                         {"parameter 'kernel' must be in [1, 65536]", "got [0, 2]"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"strides", L{1, 65537}}}),
                         {"parameter 'strides' must be in [1, 65536]", "got [1, 65537]"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"pads", L{0, 0, -1, 0}}}),
                         {"parameter 'pads' must be in [0, 65536]", "got [0, 0, -1, 0]"}));
}

TEST(AvgPool2DSchema, RejectsWrongListSizes) {
  EXPECT_TRUE(
      fails_with(bind({{"kernel", L{2}}}), {"parameter 'kernel' must have 2 elements", "got [2]"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"strides", L{2, 2, 2}}}),
                         {"parameter 'strides' must have 2 elements", "got [2, 2, 2]"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"pads", L{1, 1}}}),
                         {"parameter 'pads' must have 4 elements", "got [1, 1]"}));
}

TEST(AvgPool2DSchema, RejectsUnknownLayoutAndUnknownParameter) {
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"layout", std::string("NHCW")}}),
                         {"parameter 'layout' must be one of \"NHWC\", \"NCHW\"", "got \"NHCW\""}));
  EXPECT_TRUE(
      fails_with(bind({{"kernel", L{2, 2}}, {"exclusive", true}}),
                 {"parameter 'exclusive' is not a parameter of op 'AvgPool2D'", "got true"}));
}

// ------------------------------------------------------------------------------- shape rule

TEST(AvgPool2DShape, FloorModeInBothLayouts) {
  // floor((6 - 2) / 2) + 1 = 3 and floor((7 - 2) / 2) + 1 = 3
  EXPECT_EQ(infer_shape({1, 6, 7, 3}, {{"kernel", L{2, 2}}, {"strides", L{2, 2}}}),
            (Shape{1, 3, 3, 3}));
  EXPECT_EQ(
      infer_shape({1, 3, 6, 7},
                  {{"kernel", L{2, 2}}, {"strides", L{2, 2}}, {"layout", std::string("NCHW")}}),
      (Shape{1, 3, 3, 3}));
  // Pads (top 1, left 0, bottom 2, right 1): floor((7 + 3 - 3) / 2) + 1 = 4 and
  // floor((6 + 1 - 3) / 2) + 1 = 3. count_include_pad never changes the shape.
  for (bool include : {false, true}) {
    EXPECT_EQ(infer_shape({1, 7, 6, 2}, {{"kernel", L{3, 3}},
                                         {"strides", L{2, 2}},
                                         {"pads", L{1, 0, 2, 1}},
                                         {"count_include_pad", include}}),
              (Shape{1, 4, 3, 2}));
  }
}

TEST(AvgPool2DShape, CeilModeRoundsUpAndAppliesCaffesClip) {
  // (6 - 3) / 2 = 1.5: floor 2, ceil 3.
  EXPECT_EQ(infer_shape({1, 6, 6, 2}, {{"kernel", L{3, 3}}, {"strides", L{2, 2}}}),
            (Shape{1, 2, 2, 2}));
  EXPECT_EQ(
      infer_shape({1, 6, 6, 2}, {{"kernel", L{3, 3}}, {"strides", L{2, 2}}, {"ceil_mode", true}}),
      (Shape{1, 3, 3, 2}));
  // (5 + 2 - 2) / 2 = 2.5 -> 4, but the last window would start at 3 * 2 = 6 >= 5 + 1: 3.
  EXPECT_EQ(infer_shape({1, 5, 5, 2}, {{"kernel", L{2, 2}},
                                       {"strides", L{2, 2}},
                                       {"pads", L{1, 1, 1, 1}},
                                       {"ceil_mode", true}}),
            (Shape{1, 3, 3, 2}));
  // Caffe tests pad_h || pad_w: padding the width alone enables the clip on the height too.
  // H: (4 - 1) / 2 = 1.5 -> 3, last start 4 >= 4 + 0: 2.  W: (5 + 2 - 3) / 2 = 2 -> 3, kept.
  EXPECT_EQ(infer_shape({1, 4, 5, 1}, {{"kernel", L{1, 3}},
                                       {"strides", L{2, 2}},
                                       {"pads", L{0, 1, 0, 1}},
                                       {"ceil_mode", true}}),
            (Shape{1, 2, 3, 1}));
}

TEST(AvgPool2DShape, RejectsCeilWindowsOutsideTheInput) {
  // No pads, so no clip: (4 - 1) / 2 = 1.5 -> 3 windows, the last starting at row 4 of 4.
  // Caffe would divide 0 by a pool size of 0 there.
  EXPECT_TRUE(fails_with(
      infer_pool({1, 4, 4, 1}, {{"kernel", L{1, 1}}, {"strides", L{2, 2}}, {"ceil_mode", true}}),
      {"ceil_mode output height 3 must keep every window inside the input",
       "got a last window starting at 4"}));
}

TEST(AvgPool2DShape, RejectsPadsNotSmallerThanKernel) {
  EXPECT_TRUE(fails_with(
      infer_pool({1, 6, 6, 1}, {{"kernel", L{2, 3}}, {"pads", L{2, 0, 0, 0}}}),
      {"parameter 'pads'", "must each be < the kernel size", "[2, 3]", "got [2, 0, 0, 0]"}));
  EXPECT_TRUE(fails_with(infer_pool({1, 6, 6, 1}, {{"kernel", L{2, 3}}, {"pads", L{0, 0, 0, 3}}}),
                         {"parameter 'pads'", "got [0, 0, 0, 3]"}));
  EXPECT_TRUE(infer_pool({1, 6, 6, 1}, {{"kernel", L{2, 3}}, {"pads", L{1, 2, 1, 2}}}).ok());
}

TEST(AvgPool2DShape, RejectsWrongRankDtypeEmptyImageAndTooLargeKernel) {
  EXPECT_TRUE(fails_with(infer_pool({6, 6, 1}, {{"kernel", L{2, 2}}}),
                         {"input 0 must have rank 4", "got shape [6, 6, 1]"}));
  EXPECT_TRUE(fails_with(
      optest::infer("AvgPool2D", {{"kernel", L{2, 2}}}, {}, {{Shape{1, 6, 6, 1}, DType::i32}}),
      {"input 0 must be f32", "got i32"}));
  EXPECT_TRUE(fails_with(infer_pool({1, 2, 8, 1}, {{"kernel", L{3, 3}}}),
                         {"padded input height must be >= the window height 3", "got 2"}));
  EXPECT_TRUE(
      fails_with(infer_pool({1, 8, 3, 2}, {{"kernel", L{3, 3}}, {"layout", std::string("NCHW")}}),
                 {"padded input width must be >= the window width 3", "got 2"}));
  // Pads alone could make room for windows over an empty image; they would average nothing.
  EXPECT_TRUE(fails_with(infer_pool({1, 0, 4, 1}, {{"kernel", L{3, 3}}, {"pads", L{2, 0, 2, 0}}}),
                         {"input height must be >= 1", "got 0"}));
  EXPECT_TRUE(fails_with(infer_pool({0, 1 << 30, 1 << 20, 1}, {{"kernel", L{1, 1}}}),
                         {"input 0 dims must multiply to at most 2^40", "got shape [0, "}));
}

// ------------------------------------------------------------------------ reference kernel

TEST(AvgPool2DKernel, HandCheckedTwoByTwo) {
  // x = 0..15 as a 4x4 image; 2x2 windows, stride 2: (0+1+4+5)/4 = 2.5 and so on. Exact.
  const Tensor x = tensor({1, 4, 4, 1}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  const Tensor y = optest::run1("AvgPool2D", {{"kernel", L{2, 2}}, {"strides", L{2, 2}}}, {}, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 2, 1}, {2.5, 4.5, 10.5, 12.5}, 0, 0));
}

TEST(AvgPool2DKernel, HandCheckedPaddingExcludedOrCounted) {
  // x = [[1, 2], [3, 4]], 2x2 windows, stride 1, pads 1 all round: 3x3 outputs.
  // Excluded (Keras "same"): mean of the in-image part of each window:
  //   {1} {1,2} {2} / {1,3} {1,2,3,4} {2,4} / {3} {3,4} {4}
  // Counted (Caffe): every window stays within H + pad, so each sum is divided by 4.
  // All values are exact in binary: compared exactly.
  const Tensor x = tensor({1, 2, 2, 1}, {1, 2, 3, 4});
  AttrMap attrs{{"kernel", L{2, 2}}, {"pads", L{1, 1, 1, 1}}};
  EXPECT_TRUE(optest::all_close(optest::run1("AvgPool2D", attrs, {}, {x}), Shape{1, 3, 3, 1},
                                {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4}, 0, 0));
  attrs["count_include_pad"] = true;
  EXPECT_TRUE(optest::all_close(optest::run1("AvgPool2D", attrs, {}, {x}), Shape{1, 3, 3, 1},
                                {0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1}, 0, 0));
}

TEST(AvgPool2DKernel, HandCheckedCaffeDivisorStopsAtThePaddedEdge) {
  // Row [1, 2, 3, 4], kernel 1x3, stride 1x2, pads left/right 1, ceil mode: 3 windows
  // starting at -1, 1, 3. The last one covers [3, 6) but the padded row ends at 4 + 1 = 5, so
  // Caffe divides by 2 (columns 3 and 4), not 3:
  //   counted:  (0+1+2)/3 = 1, (2+3+4)/3 = 3, (4+0)/2 = 2
  //   excluded: (1+2)/2 = 1.5, 9/3 = 3, 4/1 = 4
  const Tensor x = tensor({1, 1, 4, 1}, {1, 2, 3, 4});
  AttrMap attrs{{"kernel", L{1, 3}},
                {"strides", L{1, 2}},
                {"pads", L{0, 1, 0, 1}},
                {"ceil_mode", true},
                {"count_include_pad", true}};
  EXPECT_TRUE(optest::all_close(optest::run1("AvgPool2D", attrs, {}, {x}), Shape{1, 1, 3, 1},
                                {1, 3, 2}, 0, 0));
  attrs["count_include_pad"] = false;
  EXPECT_TRUE(optest::all_close(optest::run1("AvgPool2D", attrs, {}, {x}), Shape{1, 1, 3, 1},
                                {1.5, 3, 4}, 0, 0));
}

TEST(AvgPool2DKernel, HandCheckedCaffeDivisorUsesTheEndPad) {
  // Row [3, 6, 9, 12], kernel 1x3, stride 1, pads left 0, right 2: windows [0, 3) .. [3, 6).
  // Each lies within 4 + 2, so Caffe divides every sum by 3: 18/3, 27/3, 21/3, 12/3. Excluding
  // padding divides by the in-image counts 3, 3, 2, 1.
  const Tensor x = tensor({1, 1, 4, 1}, {3, 6, 9, 12});
  AttrMap attrs{{"kernel", L{1, 3}}, {"pads", L{0, 0, 0, 2}}, {"count_include_pad", true}};
  EXPECT_TRUE(optest::all_close(optest::run1("AvgPool2D", attrs, {}, {x}), Shape{1, 1, 4, 1},
                                {6, 9, 7, 4}, 0, 0));
  attrs["count_include_pad"] = false;
  EXPECT_TRUE(optest::all_close(optest::run1("AvgPool2D", attrs, {}, {x}), Shape{1, 1, 4, 1},
                                {6, 9, 10.5, 12}, 0, 0));
}

TEST(AvgPool2DKernel, HandCheckedChannelsStaySeparateInNchw) {
  // NCHW, 2 channels of 2x2: channel 0 = [1, 9, 3, 4] -> 17/4, channel 1 = [8, 2, 7, 6] -> 23/4.
  const Tensor x = tensor({1, 2, 2, 2}, {1, 9, 3, 4, 8, 2, 7, 6});
  const Tensor y =
      optest::run1("AvgPool2D", {{"kernel", L{2, 2}}, {"layout", std::string("NCHW")}}, {}, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 1}, {4.25, 5.75}, 0, 0));
}

const std::vector<std::string> kFixtureCases = {
    "k2_s2_valid",        "k3_s1_same_exclude_pad", "k3_s2_asym_pads_exclude",
    "k3_s2_pads_include", "k3x2_s1x2_asym_include", "ceil_pads_include",
    "ceil_pads_exclude",  "ceil_no_pads_include",   "ceil_pads_clipped_include",
    "end_pads_include",
};

void expect_fixture(const std::string& name) {
  spatialtest::expect_both_layouts("avgpool2d.json", name, kRtol, kAtol);
}

TEST(AvgPool2DKernel, NumpyK2S2Valid) { expect_fixture("k2_s2_valid"); }
TEST(AvgPool2DKernel, NumpySamePaddingExcluded) { expect_fixture("k3_s1_same_exclude_pad"); }
TEST(AvgPool2DKernel, NumpyAsymmetricPadsExcludedBatch2) {
  expect_fixture("k3_s2_asym_pads_exclude");
}
TEST(AvgPool2DKernel, NumpyPadsCounted) { expect_fixture("k3_s2_pads_include"); }
TEST(AvgPool2DKernel, NumpyAsymmetricPadsCountedRectKernel) {
  expect_fixture("k3x2_s1x2_asym_include");
}
TEST(AvgPool2DKernel, NumpyCeilModePadsCounted) { expect_fixture("ceil_pads_include"); }
TEST(AvgPool2DKernel, NumpyCeilModePadsExcluded) { expect_fixture("ceil_pads_exclude"); }
TEST(AvgPool2DKernel, NumpyCeilModeWithoutPads) { expect_fixture("ceil_no_pads_include"); }
TEST(AvgPool2DKernel, NumpyCeilModeCaffeClip) { expect_fixture("ceil_pads_clipped_include"); }
TEST(AvgPool2DKernel, NumpyBottomRightPadsCounted) { expect_fixture("end_pads_include"); }

TEST(AvgPool2DKernel, EveryFixtureCaseIsTested) {
  spatialtest::expect_cases_listed("avgpool2d.json", kFixtureCases, true);
}

TEST(AvgPool2DKernel, NchwGivesTheTransposedNhwcResult) {
  // Same summation order in both layouts: bit-identical.
  const Tensor x = spatialtest::pattern({2, 7, 8, 3}, 41, 97);
  for (bool include : {false, true}) {
    AttrMap attrs{{"kernel", L{3, 2}},
                  {"strides", L{2, 3}},
                  {"pads", L{2, 1, 0, 1}},
                  {"ceil_mode", true},
                  {"count_include_pad", include}};
    const Tensor nhwc = optest::run1("AvgPool2D", attrs, {}, {x});
    attrs["layout"] = std::string("NCHW");
    const Tensor nchw = optest::run1("AvgPool2D", attrs, {}, {optest::nhwc_to_nchw(x)});
    ASSERT_FALSE(nhwc.empty());
    EXPECT_TRUE(optest::all_close(nchw, optest::nhwc_to_nchw(nhwc), 0, 0));
  }
}

}  // namespace ops_test_avgpool2d
}  // namespace ingot
