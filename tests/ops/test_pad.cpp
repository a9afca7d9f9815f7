#include <limits>
#include <string>
#include <vector>

#include "ops/spatial_test_util.h"

namespace ingot {
namespace ops_test_pad {

using optest::fails_with;
using optest::tensor;
using spatialtest::L;

// Padding copies float32 values and writes `value` (a float32); numpy's float64 result holds
// the same numbers, so every comparison in this file is exact (tolerance 0).

Status bind(AttrMap attrs) { return optest::bind_status("Pad", attrs); }

Result<std::vector<TensorInfo>> infer_pad(const Shape& x, AttrMap attrs) {
  return optest::infer("Pad", attrs, {}, optest::f32_infos({x}));
}

TEST(PadSchema, IsRegisteredWithDocumentedDefaults) {
  const OpDef& def = optest::op("Pad");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_TRUE(def.schema.find_param("pads")->required);
  EXPECT_EQ(*def.schema.find_param("value")->default_value, AttrValue(0.0));
  EXPECT_EQ(describe_constraints(*def.schema.find_param("pads")),
            "int list, each in [0, 65536], 2 to 16 elements");
}

TEST(PadSchema, AcceptsPadsAloneAndEveryParameter) {
  EXPECT_TRUE(bind({{"pads", L{0, 1}}}).ok());
  const Status st = bind({{"pads", L(16, 65536)}, {"value", -1e38}});
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(PadSchema, RejectsMissingPadsAndWrongTypes) {
  EXPECT_TRUE(fails_with(bind({{"value", 1.0}}), {"parameter 'pads' is required", "got nothing"}));
  EXPECT_TRUE(fails_with(bind({{"pads", std::int64_t{1}}}),
                         {"parameter 'pads' must be int list", "got int 1"}));
  // An integer is not silently taken for a float.
  EXPECT_TRUE(fails_with(bind({{"pads", L{1, 1}}, {"value", std::int64_t{1}}}),
                         {"parameter 'value' must be float", "got int 1"}));
}

TEST(PadSchema, RejectsOutOfRangeValues) {
  EXPECT_TRUE(fails_with(bind({{"pads", L{0, -1}}}),
                         {"parameter 'pads' must be in [0, 65536]", "got [0, -1]"}));
  EXPECT_TRUE(fails_with(bind({{"pads", L{65537, 0}}}), {"parameter 'pads'", "got [65537, 0]"}));
  // Only values a float32 can hold, and no infinities or NaN.
  EXPECT_TRUE(fails_with(bind({{"pads", L{1, 1}}, {"value", 1e39}}),
                         {"parameter 'value' must be in [", "got 1e+39"}));
  EXPECT_TRUE(
      fails_with(bind({{"pads", L{1, 1}}, {"value", std::numeric_limits<double>::infinity()}}),
                 {"parameter 'value' must be in [", "got inf"}));
}

TEST(PadSchema, RejectsWrongListSizesAndUnknownParameter) {
  EXPECT_TRUE(fails_with(bind({{"pads", L{1}}}),
                         {"parameter 'pads' must have 2 to 16 elements", "got [1]"}));
  EXPECT_TRUE(fails_with(bind({{"pads", L(17, 0)}}), {"parameter 'pads' must have 2 to 16"}));
  EXPECT_TRUE(fails_with(bind({{"pads", L{1, 1}}, {"mode", std::string("reflect")}}),
                         {"parameter 'mode' is not a parameter of op 'Pad'", "got \"reflect\""}));
}

TEST(PadShape, AddsBeginsAndEndsPerAxis) {
  // pads = begins (0, 1, 2, 0), ends (0, 2, 1, 0): [1, 3+3, 4+3, 2]
  auto out = infer_pad({1, 3, 4, 2}, {{"pads", L{0, 1, 2, 0, 0, 2, 1, 0}}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0], (TensorInfo{Shape{1, 6, 7, 2}, DType::f32}));
  out = infer_pad({5}, {{"pads", L{3, 1}}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].shape, (Shape{9}));
}

TEST(PadShape, RejectsPadsNotTwiceTheRank) {
  EXPECT_TRUE(fails_with(infer_pad({1, 3, 4, 2}, {{"pads", L{1, 1, 1, 1}}}),
                         {"parameter 'pads' must have 2 * rank = 8 elements",
                          "input shape [1, 3, 4, 2]", "got [1, 1, 1, 1]"}));
  EXPECT_TRUE(fails_with(infer_pad({}, {{"pads", L{1, 1}}}),
                         {"must have 2 * rank = 0 elements", "got [1, 1]"}));
}

TEST(PadShape, RejectsNonF32AndAbsurdSizes) {
  EXPECT_TRUE(fails_with(optest::infer("Pad", {{"pads", L{1, 1}}}, {}, {{Shape{3}, DType::i32}}),
                         {"input 0 must be f32", "got i32"}));
  // (2^20 + 2 * 65536)^2 > 2^40
  EXPECT_TRUE(
      fails_with(infer_pad({1 << 20, 1 << 20}, {{"pads", L(4, 65536)}}),
                 {"infer output shape [1179648, 1179648]", "element count must be at most 2^40"}));
  EXPECT_TRUE(fails_with(infer_pad({0, std::int64_t{1} << 41}, {{"pads", L{0, 0, 0, 0}}}),
                         {"input 0 dims must multiply to at most 2^40", "got shape [0, "}));
}

TEST(PadKernel, HandCheckedValueAroundA2x2) {
  // pads: begins (1, 0), ends (0, 2): one row on top, two columns on the right, value 9.
  const Tensor x = tensor({2, 2}, {1, 2, 3, 4});
  const Tensor y = optest::run1("Pad", {{"pads", L{1, 0, 0, 2}}, {"value", 9.0}}, {}, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{3, 4}, {9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9}, 0, 0));
}

TEST(PadKernel, HandCheckedDefaultZeroRank1) {
  const Tensor y = optest::run1("Pad", {{"pads", L{2, 1}}}, {}, {tensor({1}, {5})});
  EXPECT_TRUE(optest::all_close(y, Shape{4}, {0, 0, 5, 0}, 0, 0));
}

TEST(PadKernel, HandCheckedEmptyInputGivesOnlyTheValue) {
  const Tensor x = Tensor::allocate(DType::f32, Shape{0, 2}).value();
  const Tensor y = optest::run1("Pad", {{"pads", L{1, 0, 0, 1}}, {"value", -0.5}}, {}, {x});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 3}, {-0.5, -0.5, -0.5}, 0, 0));
}

const std::vector<std::string> kFixtureCases = {"rank4_nhwc_spatial", "rank3_value", "rank1",
                                                "rank5_all_axes"};

TEST(PadKernel, NumpyRank4Spatial) {
  optest::expect_fixture("pad.json", "rank4_nhwc_spatial", 0, 0);
}
TEST(PadKernel, NumpyRank3WithValue) { optest::expect_fixture("pad.json", "rank3_value", 0, 0); }
TEST(PadKernel, NumpyRank1) { optest::expect_fixture("pad.json", "rank1", 0, 0); }
TEST(PadKernel, NumpyRank5AllAxes) { optest::expect_fixture("pad.json", "rank5_all_axes", 0, 0); }

TEST(PadKernel, EveryFixtureCaseIsTested) {
  spatialtest::expect_cases_listed("pad.json", kFixtureCases, false);
}

}  // namespace ops_test_pad
}  // namespace ingot
