// LRN (Caffe): schema, shape rule, hand-checked windows in both regions, and the numpy fixtures
// (an independent float64 implementation in scripts/gen_op_fixtures_caffe.py).
#include <cmath>
#include <string>
#include <vector>

#include "ops/ssd_test_util.h"

namespace ingot {
namespace ops_test_lrn {

using optest::fails_with;
using optest::tensor;
using ssdtest::infer_shape;
using ssdtest::infer_status;
using I = std::int64_t;

// Against numpy's float64: the kernel sums and raises to -beta in double and rounds once, so each
// value is within half a float32 ulp (2^-24 ~ 6e-8 relative) plus double noise; 2e-7 relative
// leaves room for pow's last-bit differences (observed <= 4e-8), atol 1e-7 covers values that
// are nearly 0.
constexpr double kRtol = 2e-7;
constexpr double kAtol = 1e-7;

TEST(LRNSchema, ParametersAreCaffesLRNParameterFields) {
  const OpDef& def = optest::op("LRN");
  ssdtest::expect_documented("LRN");
  std::vector<std::string> names;
  for (const ParamSpec& p : def.schema.params) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"local_size", "alpha", "beta", "k", "norm_region"}));
  EXPECT_EQ(*def.schema.find_param("local_size")->default_value, AttrValue(I{5}));
  EXPECT_EQ(*def.schema.find_param("alpha")->default_value, AttrValue(1.0));
  EXPECT_EQ(*def.schema.find_param("beta")->default_value, AttrValue(0.75));
  EXPECT_EQ(*def.schema.find_param("k")->default_value, AttrValue(1.0));
  EXPECT_EQ(*def.schema.find_param("norm_region")->default_value,
            AttrValue(std::string("ACROSS_CHANNELS")));
  EXPECT_EQ(describe_constraints(*def.schema.find_param("norm_region")),
            "string, one of \"ACROSS_CHANNELS\", \"WITHIN_CHANNEL\"");
  for (const ParamSpec& p : def.schema.params) EXPECT_FALSE(p.required) << p.name;
  EXPECT_TRUE(optest::bind_status("LRN", {}).ok());
}

TEST(LRNSchema, RejectsOutOfRangeAndMistypedParameters) {
  auto bind = [](AttrMap a) { return optest::bind_status("LRN", a); };
  EXPECT_TRUE(fails_with(bind({{"local_size", I{0}}}),
                         {"parameter 'local_size' must be in [1, 65535]", "got 0"}));
  EXPECT_TRUE(fails_with(bind({{"local_size", 5.0}}),
                         {"parameter 'local_size' must be int", "got float 5"}));
  EXPECT_TRUE(fails_with(bind({{"norm_region", std::string("ACROSS")}}),
                         {"parameter 'norm_region' must be one of", "got \"ACROSS\""}));
  EXPECT_TRUE(fails_with(bind({{"alpha", INFINITY}}), {"parameter 'alpha' must be in"}));
  EXPECT_TRUE(fails_with(bind({{"beta", NAN}}), {"parameter 'beta' must be in"}));
  EXPECT_TRUE(fails_with(bind({{"k", std::string("1")}}), {"parameter 'k' must be float"}));
}

TEST(LRNShape, OutputIsTheInputShape) {
  EXPECT_EQ(infer_shape("LRN", {}, {2, 7, 5, 3}), (Shape{2, 7, 5, 3}));
  EXPECT_EQ(infer_shape("LRN", {{"norm_region", std::string("WITHIN_CHANNEL")}}, {1, 1, 1, 1}),
            (Shape{1, 1, 1, 1}));
  EXPECT_EQ(infer_shape("LRN", {}, {0, 3, 2, 2}), (Shape{0, 3, 2, 2}));
}

TEST(LRNShape, RejectsAnEvenWindowAndBadInputs) {
  EXPECT_TRUE(fails_with(infer_status("LRN", {{"local_size", I{4}}}, {1, 3, 2, 2}),
                         {"parameter 'local_size' must be odd", "got 4"}));
  EXPECT_TRUE(fails_with(infer_status("LRN", {}, {1, 3, 2}),
                         {"input 0 must have rank 4", "got shape [1, 3, 2]"}));
  EXPECT_TRUE(fails_with(optest::infer("LRN", {}, {}, {{Shape{1, 3, 2, 2}, DType::i32}}),
                         {"input 0 must be f32", "got i32"}));
}

TEST(LRNKernel, HandCheckedAcrossChannelsWindowIsZeroPadded) {
  // Channels 1, 2, 3 at one pixel, n = 3, alpha 3 (alpha / n = 1), beta 1, k 1:
  //   c0: 1 + (0 + 1 + 4) = 6, c1: 1 + (1 + 4 + 9) = 15, c2: 1 + (4 + 9 + 0) = 14.
  const AttrMap a{{"local_size", I{3}}, {"alpha", 3.0}, {"beta", 1.0}};
  const Tensor y = optest::run1("LRN", a, {}, {tensor({1, 3, 1, 1}, {1, 2, 3})});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 3, 1, 1}, {1.0 / 6, 2.0 / 15, 3.0 / 14}, kRtol, 0));
}

TEST(LRNKernel, HandCheckedSizeOneIsPerElement) {
  // y = x * (k + alpha * x^2)^-beta: 2 * (2 + 0.5 * 4)^-0.5 = 1, -4 * (2 + 8)^-0.5.
  const AttrMap a{{"local_size", I{1}}, {"alpha", 0.5}, {"beta", 0.5}, {"k", 2.0}};
  const Tensor y = optest::run1("LRN", a, {}, {tensor({1, 2, 1, 1}, {2, -4})});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 1}, {1.0, -4 / std::sqrt(10.0)}, kRtol, 0));
}

TEST(LRNKernel, HandCheckedWithinChannelDividesByTheFullWindowAndIgnoresK) {
  // One channel, pixels (1, 2), n = 3: both windows hold 1 + 4 = 5 (zero padding counted), the
  // divisor is 9 at the border too; alpha 9, beta 1: base 1 + 9 * 5 / 9 = 6, whatever k is.
  for (double k : {1.0, 100.0}) {
    SCOPED_TRACE(k);
    const AttrMap a{{"local_size", I{3}},
                    {"alpha", 9.0},
                    {"beta", 1.0},
                    {"k", k},
                    {"norm_region", std::string("WITHIN_CHANNEL")}};
    const Tensor y = optest::run1("LRN", a, {}, {tensor({1, 1, 1, 2}, {1, 2})});
    EXPECT_TRUE(optest::all_close(y, Shape{1, 1, 1, 2}, {1.0 / 6, 2.0 / 6}, kRtol, 0));
  }
}

TEST(LRNKernel, WithinChannelKeepsChannelsApart) {
  // Channel 1 is zero: its output is 0, and it does not change channel 0's 3 * (1 + 9)^-1.
  const AttrMap a{{"local_size", I{1}},
                  {"alpha", 1.0},
                  {"beta", 1.0},
                  {"norm_region", std::string("WITHIN_CHANNEL")}};
  const Tensor y = optest::run1("LRN", a, {}, {tensor({1, 2, 1, 1}, {3, 0})});
  EXPECT_TRUE(optest::all_close(y, Shape{1, 2, 1, 1}, {0.3, 0.0}, kRtol, 0));
}

TEST(LRNKernel, EmptyBatchWritesNothing) {
  const Tensor y = optest::run1("LRN", {}, {}, {tensor({0, 3, 2, 2}, {})});
  EXPECT_TRUE(optest::all_close(y, Shape{0, 3, 2, 2}, {}, 0, 0));
}

TEST(LRNKernel, MatchesNumpy) {
  const std::vector<std::string> names{"across_defaults",
                                       "across_size1",
                                       "across_size3_alexnet",
                                       "across_size5_wider_than_channels",
                                       "within_size1",
                                       "within_size3_k_ignored",
                                       "within_size5_larger_than_image"};
  for (const auto& name : names) optest::expect_fixture("lrn.json", name, kRtol, kAtol);
  ssdtest::expect_cases_listed("lrn.json", names);
}

}  // namespace ops_test_lrn
}  // namespace ingot
