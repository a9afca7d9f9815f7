#include <algorithm>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace ingot {
namespace ops_test_maxpool2d {

using optest::fails_with;
using optest::tensor;
using L = std::vector<std::int64_t>;

// Max pooling returns one of its float32 inputs unchanged, and numpy's float64 max of the same
// float32 values is that very value: every comparison in this file is exact (tolerance 0).

Status bind(AttrMap attrs) { return optest::bind_status("MaxPool2D", attrs); }

Result<std::vector<TensorInfo>> infer_pool(const Shape& x, AttrMap attrs) {
  return optest::infer("MaxPool2D", attrs, {}, optest::f32_infos({x}));
}

Shape infer_shape(const Shape& x, AttrMap attrs) {
  auto out = infer_pool(x, std::move(attrs));
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() && out->size() == 1 ? (*out)[0].shape : Shape{};
}

TEST(MaxPool2DSchema, IsRegisteredWithDocumentedDefaults) {
  const OpDef& def = optest::op("MaxPool2D");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(def.schema.find_param("kernel")->required);
  EXPECT_EQ(*def.schema.find_param("strides")->default_value, AttrValue(L{1, 1}));
  EXPECT_EQ(*def.schema.find_param("pads")->default_value, AttrValue(L{0, 0, 0, 0}));
  EXPECT_EQ(*def.schema.find_param("layout")->default_value, AttrValue(std::string("NHWC")));
  EXPECT_EQ(*def.schema.find_param("ceil_mode")->default_value, AttrValue(false));
}

TEST(MaxPool2DSchema, AcceptsKernelAloneAndEveryParameter) {
  EXPECT_TRUE(bind({{"kernel", L{2, 2}}}).ok());
  const Status st = bind({{"kernel", L{3, 65536}},
                          {"strides", L{65536, 1}},
                          {"pads", L{0, 1, 2, 65536}},
                          {"layout", std::string("NCHW")},
                          {"ceil_mode", true}});
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(MaxPool2DSchema, RejectsMissingKernel) {
  EXPECT_TRUE(
      fails_with(bind({{"strides", L{2, 2}}}), {"parameter 'kernel' is required", "got nothing"}));
}

TEST(MaxPool2DSchema, RejectsWrongTypes) {
  EXPECT_TRUE(fails_with(bind({{"kernel", std::int64_t{2}}}),
                         {"parameter 'kernel' must be int list", "got int 2"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"ceil_mode", std::int64_t{1}}}),
                         {"parameter 'ceil_mode' must be bool", "got int 1"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"layout", std::vector<std::string>{"NHWC"}}}),
                         {"parameter 'layout' must be string", "got string list [\"NHWC\"]"}));
}

TEST(MaxPool2DSchema, RejectsOutOfRangeValues) {
  EXPECT_TRUE(fails_with(bind({{"kernel", L{0, 2}}}),
                         {"parameter 'kernel' must be in [1, 65536]", "got [0, 2]"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"strides", L{1, 65537}}}),
                         {"parameter 'strides' must be in [1, 65536]", "got [1, 65537]"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"pads", L{0, 0, -1, 0}}}),
                         {"parameter 'pads' must be in [0, 65536]", "got [0, 0, -1, 0]"}));
}

TEST(MaxPool2DSchema, RejectsWrongListSizes) {
  EXPECT_TRUE(
      fails_with(bind({{"kernel", L{2}}}), {"parameter 'kernel' must have 2 elements", "got [2]"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"strides", L{2, 2, 2}}}),
                         {"parameter 'strides' must have 2 elements", "got [2, 2, 2]"}));
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"pads", L{1, 1, 1}}}),
                         {"parameter 'pads' must have 4 elements", "got [1, 1, 1]"}));
}

TEST(MaxPool2DSchema, RejectsUnknownLayoutAndUnknownParameter) {
  EXPECT_TRUE(fails_with(bind({{"kernel", L{2, 2}}, {"layout", std::string("nhwc")}}),
                         {"parameter 'layout' must be one of \"NHWC\", \"NCHW\"", "got \"nhwc\""}));
  EXPECT_TRUE(
      fails_with(bind({{"kernel", L{2, 2}}, {"pool_size", L{2, 2}}}),
                 {"parameter 'pool_size' is not a parameter of op 'MaxPool2D'", "got [2, 2]"}));
}

// ------------------------------------------------------------------------------- shape rule

TEST(MaxPool2DShape, FloorModeInBothLayouts) {
  // floor((6 - 2) / 2) + 1 = 3 and floor((7 - 2) / 2) + 1 = 3
  EXPECT_EQ(infer_shape({1, 6, 7, 3}, {{"kernel", L{2, 2}}, {"strides", L{2, 2}}}),
            (Shape{1, 3, 3, 3}));
  EXPECT_EQ(
      infer_shape({1, 3, 6, 7},
                  {{"kernel", L{2, 2}}, {"strides", L{2, 2}}, {"layout", std::string("NCHW")}}),
      (Shape{1, 3, 3, 3}));
  // Default strides are 1: 6 - 3 + 1 = 4. Pads (top 1, left 0, bottom 2, right 1):
  // floor((7 + 3 - 3) / 2) + 1 = 4 and floor((6 + 1 - 3) / 2) + 1 = 3.
  EXPECT_EQ(infer_shape({1, 6, 6, 1}, {{"kernel", L{3, 3}}}), (Shape{1, 4, 4, 1}));
  EXPECT_EQ(infer_shape({1, 7, 6, 2},
                        {{"kernel", L{3, 3}}, {"strides", L{2, 2}}, {"pads", L{1, 0, 2, 1}}}),
            (Shape{1, 4, 3, 2}));
}

TEST(MaxPool2DShape, CeilModeRoundsUp) {
  // (6 - 3) / 2 = 1.5: floor mode 2, ceil mode 3 (the last window holds rows 4..5 only).
  EXPECT_EQ(infer_shape({1, 6, 6, 2}, {{"kernel", L{3, 3}}, {"strides", L{2, 2}}}),
            (Shape{1, 2, 2, 2}));
  EXPECT_EQ(
      infer_shape({1, 6, 6, 2}, {{"kernel", L{3, 3}}, {"strides", L{2, 2}}, {"ceil_mode", true}}),
      (Shape{1, 3, 3, 2}));
  // With pads 1: (6 + 2 - 3) / 2 = 2.5 -> 4; the last window starts at 3 * 2 = 6 < 6 + 1: kept.
  EXPECT_EQ(infer_shape({1, 6, 6, 2}, {{"kernel", L{3, 3}},
                                       {"strides", L{2, 2}},
                                       {"pads", L{1, 1, 1, 1}},
                                       {"ceil_mode", true}}),
            (Shape{1, 4, 4, 2}));
}

TEST(MaxPool2DShape, CeilModeAppliesCaffesClip) {
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

TEST(MaxPool2DShape, RejectsCeilWindowsOutsideTheInput) {
  // No pads, so Caffe does not clip: (4 - 1) / 2 = 1.5 -> 3 windows, the last starting at row 4
  // of a 4-row input, which Caffe fills with -FLT_MAX. Refused rather than invented.
  EXPECT_TRUE(fails_with(
      infer_pool({1, 4, 4, 1}, {{"kernel", L{1, 1}}, {"strides", L{2, 2}}, {"ceil_mode", true}}),
      {"ceil_mode output height 3 must keep every window inside the input",
       "got a last window starting at 4"}));
}

TEST(MaxPool2DShape, RejectsPadsNotSmallerThanKernel) {
  EXPECT_TRUE(fails_with(
      infer_pool({1, 6, 6, 1}, {{"kernel", L{2, 3}}, {"pads", L{2, 0, 0, 0}}}),
      {"parameter 'pads'", "must each be < the kernel size", "[2, 3]", "got [2, 0, 0, 0]"}));
  EXPECT_TRUE(fails_with(infer_pool({1, 6, 6, 1}, {{"kernel", L{2, 3}}, {"pads", L{0, 0, 0, 3}}}),
                         {"parameter 'pads'", "got [0, 0, 0, 3]"}));
  EXPECT_TRUE(infer_pool({1, 6, 6, 1}, {{"kernel", L{2, 3}}, {"pads", L{1, 2, 1, 2}}}).ok());
}

TEST(MaxPool2DShape, RejectsWrongRankDtypeAndTooLargeKernel) {
  EXPECT_TRUE(fails_with(infer_pool({6, 6, 1}, {{"kernel", L{2, 2}}}),
                         {"input 0 must have rank 4", "got shape [6, 6, 1]"}));
  EXPECT_TRUE(fails_with(
      optest::infer("MaxPool2D", {{"kernel", L{2, 2}}}, {}, {{Shape{1, 6, 6, 1}, DType::i32}}),
      {"input 0 must be f32", "got i32"}));
  EXPECT_TRUE(fails_with(infer_pool({1, 2, 8, 1}, {{"kernel", L{3, 3}}}),
                         {"padded input height must be >= the window height 3", "got 2"}));
  EXPECT_TRUE(
      fails_with(infer_pool({1, 8, 3, 2}, {{"kernel", L{3, 3}}, {"layout", std::string("NCHW")}}),
                 {"padded input width must be >= the window width 3", "got 2"}));
  // Pads alone could make room for windows over an empty image; their max would be nothing.
  EXPECT_TRUE(fails_with(infer_pool({1, 0, 4, 1}, {{"kernel", L{3, 3}}, {"pads", L{2, 0, 2, 0}}}),
                         {"input height must be >= 1", "got 0"}));
  EXPECT_TRUE(fails_with(infer_pool({0, 1 << 30, 1 << 20, 1}, {{"kernel", L{1, 1}}}),
                         {"input 0 dims must multiply to at most 2^40", "got shape [0, "}));
}

// ------------------------------------------------------------------------ reference kernel

TEST(MaxPool2DKernel, HandCheckedTwoByTwo) {
  // x = 0..15 as a 4x4 image; 2x2 windows with stride 2 hold their bottom-right maximum.
  const Tensor x = tensor({1, 4, 4, 1}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  const Tensor y = optest::run1("MaxPool2D", {{"kernel", L{2, 2}}, {"strides", L{2, 2}}}, {}, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 2, 1}, {5, 7, 13, 15}, 0, 0));
}

TEST(MaxPool2DKernel, HandCheckedPaddingNeverWins) {
  // x = [[-1, -2], [-3, -4]], 2x2 windows, stride 1, pads 1 all round: 3x3 outputs, each the
  // max of the in-image part of its window. Zero padding winning would give zeros.
  //   (0,0) {-1} = -1   (0,1) {-1,-2} = -1          (0,2) {-2} = -2
  //   (1,0) {-1,-3} = -1 (1,1) {-1,-2,-3,-4} = -1   (1,2) {-2,-4} = -2
  //   (2,0) {-3} = -3   (2,1) {-3,-4} = -3          (2,2) {-4} = -4
  const Tensor x = tensor({1, 2, 2, 1}, {-1, -2, -3, -4});
  const Tensor y =
      optest::run1("MaxPool2D", {{"kernel", L{2, 2}}, {"pads", L{1, 1, 1, 1}}}, {}, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 3, 3, 1}, {-1, -1, -2, -1, -1, -2, -3, -3, -4}, 0, 0));
}

TEST(MaxPool2DKernel, HandCheckedCeilModeKeepsThePartialWindow) {
  // Row [1, 5, 2, 4, 3], kernel 1x2, stride 1x2: floor mode sees [1,5] [2,4] -> 5, 4; ceil mode
  // adds the partial window [3] -> 3.
  const Tensor x = tensor({1, 1, 5, 1}, {1, 5, 2, 4, 3});
  const AttrMap attrs{{"kernel", L{1, 2}}, {"strides", L{1, 2}}};
  EXPECT_TRUE(optest::all_close(optest::run1("MaxPool2D", attrs, {}, {x}), Shape{1, 1, 2, 1},
                                {5, 4}, 0, 0));
  AttrMap ceil = attrs;
  ceil["ceil_mode"] = true;
  EXPECT_TRUE(optest::all_close(optest::run1("MaxPool2D", ceil, {}, {x}), Shape{1, 1, 3, 1},
                                {5, 4, 3}, 0, 0));
}

TEST(MaxPool2DKernel, HandCheckedChannelsStaySeparateInNchw) {
  // NCHW, 2 channels of 2x2: channel 0 = [1, 9, 3, 4], channel 1 = [8, 2, 7, 6]; one 2x2 window.
  const Tensor x = tensor({1, 2, 2, 2}, {1, 9, 3, 4, 8, 2, 7, 6});
  const Tensor y =
      optest::run1("MaxPool2D", {{"kernel", L{2, 2}}, {"layout", std::string("NCHW")}}, {}, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 1}, {9, 8}, 0, 0));
}

const std::vector<std::string> kFixtureCases = {
    "k2_s2_floor",  "k3_s2_asym_pads_negative", "k3x2_s1x2_rect",
    "ceil_no_pads", "ceil_pads_clipped",        "ceil_pads_kept",
};

void expect_both_layouts(const std::string& name) {
  optest::expect_fixture("maxpool2d.json", name + "_nhwc", 0, 0);
  optest::expect_fixture("maxpool2d.json", name + "_nchw", 0, 0);
}

TEST(MaxPool2DKernel, NumpyK2S2Floor) { expect_both_layouts("k2_s2_floor"); }
TEST(MaxPool2DKernel, NumpyAsymmetricPadsOnNegativeInput) {
  expect_both_layouts("k3_s2_asym_pads_negative");
}
TEST(MaxPool2DKernel, NumpyRectangularKernelBatch2) { expect_both_layouts("k3x2_s1x2_rect"); }
TEST(MaxPool2DKernel, NumpyCeilModeWithoutPads) { expect_both_layouts("ceil_no_pads"); }
TEST(MaxPool2DKernel, NumpyCeilModeCaffeClip) { expect_both_layouts("ceil_pads_clipped"); }
TEST(MaxPool2DKernel, NumpyCeilModeWithPadsKept) { expect_both_layouts("ceil_pads_kept"); }

TEST(MaxPool2DKernel, EveryFixtureCaseIsTested) {
  std::vector<std::string> listed;
  for (const auto& name : kFixtureCases) {
    listed.push_back(name + "_nhwc");
    listed.push_back(name + "_nchw");
  }
  std::vector<std::string> in_file = optest::fixture_case_names("maxpool2d.json");
  std::sort(listed.begin(), listed.end());
  std::sort(in_file.begin(), in_file.end());
  EXPECT_EQ(listed, in_file);
}

TEST(MaxPool2DKernel, NchwGivesTheTransposedNhwcResult) {
  std::vector<float> xs(2 * 7 * 8 * 3);
  for (std::size_t i = 0; i < xs.size(); ++i)
    xs[i] = static_cast<float>(static_cast<int>(i * 41 % 97) - 60) / 8.0f;
  const Tensor x = tensor({2, 7, 8, 3}, xs);
  AttrMap attrs{
      {"kernel", L{3, 2}}, {"strides", L{2, 3}}, {"pads", L{2, 1, 0, 1}}, {"ceil_mode", true}};
  const Tensor nhwc = optest::run1("MaxPool2D", attrs, {}, {x});
  attrs["layout"] = std::string("NCHW");
  const Tensor nchw = optest::run1("MaxPool2D", attrs, {}, {optest::nhwc_to_nchw(x)});
  ASSERT_FALSE(nhwc.empty());
  EXPECT_TRUE(optest::all_close(nchw, optest::nhwc_to_nchw(nhwc), 0, 0));
}

}  // namespace ops_test_maxpool2d
}  // namespace ingot
