#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace ingot {
namespace ops_test_relu {

using optest::fails_with;
using optest::tensor;

Status bind(const AttrMap& attrs) { return optest::bind_status("ReLU", attrs); }

Tensor relu(const AttrMap& attrs, const Tensor& x) { return optest::run1("ReLU", attrs, {}, {x}); }

TEST(ReLUSchema, IsRegisteredWithKerasDefaults) {
  const OpDef& def = optest::op("ReLU");
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_TRUE(def.kernel);
  EXPECT_FALSE(def.schema.find_param("max_value")->default_value.has_value());  // unset: no cap
  EXPECT_EQ(*def.schema.find_param("negative_slope")->default_value, AttrValue(0.0));
  EXPECT_EQ(*def.schema.find_param("threshold")->default_value, AttrValue(0.0));
}

TEST(ReLUSchema, AcceptsEveryParameter) {
  EXPECT_TRUE(bind({}).ok());
  const Status st = bind({{"max_value", 6.0}, {"negative_slope", 0.1}, {"threshold", -1.5}});
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(ReLUSchema, RejectsWrongTypes) {
  // Importers must pass floats: Keras' max_value=6 arrives as a JSON integer.
  EXPECT_TRUE(fails_with(bind({{"max_value", std::int64_t{6}}}),
                         {"parameter 'max_value' must be float", "got int 6"}));
  EXPECT_TRUE(fails_with(bind({{"threshold", std::string("1")}}),
                         {"parameter 'threshold' must be float", "got string \"1\""}));
}

TEST(ReLUSchema, RejectsOutOfRangeValues) {
  EXPECT_TRUE(
      fails_with(bind({{"max_value", -1.0}}), {"parameter 'max_value' must be >= 0", "got -1"}));
  EXPECT_TRUE(fails_with(bind({{"negative_slope", -0.25}}),
                         {"parameter 'negative_slope' must be in [0, 1e+06]", "got -0.25"}));
  EXPECT_TRUE(fails_with(bind({{"max_value", std::numeric_limits<double>::quiet_NaN()}}),
                         {"parameter 'max_value' must be >= 0", "got nan"}));
  EXPECT_TRUE(fails_with(bind({{"max_value", std::numeric_limits<double>::infinity()}}),
                         {"parameter 'max_value'", "got inf"}));
}

TEST(ReLUSchema, RejectsUnknownParameter) {
  EXPECT_TRUE(
      fails_with(bind({{"alpha", 0.1}}), {"parameter 'alpha' is not a parameter of op 'ReLU'",
                                          "max_value, negative_slope, threshold", "got 0.1"}));
}

TEST(ReLUShape, KeepsShapeOfAnyRank) {
  for (const Shape& s : {Shape{}, Shape{0}, Shape{3}, Shape{2, 3, 4, 5, 1}}) {
    auto out = optest::infer("ReLU", {}, {}, optest::f32_infos({s}));
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_EQ((*out)[0], (TensorInfo{s, DType::f32}));
  }
  // A cap equal to the threshold is allowed (a step function).
  EXPECT_TRUE(
      optest::infer("ReLU", {{"max_value", 1.0}, {"threshold", 1.0}}, {}, optest::f32_infos({{2}}))
          .ok());
}

TEST(ReLUShape, RejectsNonF32Input) {
  EXPECT_TRUE(fails_with(optest::infer("ReLU", {}, {}, {{Shape{2}, DType::i32}}),
                         {"input 0 must be f32", "got i32"}));
}

// Expected values below are worked out by hand from the formula in relu.cpp. Cases built from
// small integers and halves are exact in float32 and compared exactly; cases multiplying by a
// slope like 0.1 (not representable in binary) allow 1e-6 relative: the float32 slope and one
// float32 product each round by at most 2^-24 relative.

TEST(ReLUKernel, PlainReLU) {
  const Tensor y = relu({}, tensor({6}, {-2, -0.5, 0, 0.5, 3, 1e30f}));
  EXPECT_TRUE(optest::all_close(y, Shape{6}, {0, 0, 0, 0.5, 3, static_cast<double>(1e30f)}, 0, 0));
}

TEST(ReLUKernel, CapAtMaxValue) {
  // ReLU6: min(max(x, 0), 6)
  const Tensor y = relu({{"max_value", 6.0}}, tensor({2, 3}, {-1, 3, 5.5, 6, 7.5, 1000}));
  EXPECT_TRUE(optest::all_close(y, Shape{2, 3}, {0, 3, 5.5, 6, 6, 6}, 0, 0));
}

TEST(ReLUKernel, LeakyBelowZero) {
  // negative_slope 0.1: x < 0 -> 0.1 x
  const Tensor y = relu({{"negative_slope", 0.1}}, tensor({5}, {-2, -0.5, 0, 1, 4}));
  EXPECT_TRUE(optest::all_close(y, Shape{5}, {-0.2, -0.05, 0, 1, 4}, 1e-6, 0));
}

TEST(ReLUKernel, ThresholdWithLeakAndCap) {
  // threshold 1, negative_slope 0.5, max_value 4 (Keras: x - 0.5 * relu(1 - x), clipped to 4):
  //   -1 -> 0.5 * (-1 - 1) = -1     0.5 -> 0.5 * (0.5 - 1) = -0.25     2 -> 2
  //   4 -> 4 (the cap)              5 -> 4                               all exact
  const Tensor y = relu({{"threshold", 1.0}, {"negative_slope", 0.5}, {"max_value", 4.0}},
                        tensor({5}, {-1, 0.5, 2, 4, 5}));
  EXPECT_TRUE(optest::all_close(y, Shape{5}, {-1, -0.25, 2, 4, 4}, 0, 0));
}

TEST(ReLUKernel, ThresholdWithoutLeakZeroesBelow) {
  // threshold 1.5, no leak: values below 1.5 become 0, values above pass unchanged.
  const Tensor y = relu({{"threshold", 1.5}}, tensor({4}, {-3, 1, 2, 10}));
  EXPECT_TRUE(optest::all_close(y, Shape{4}, {0, 0, 2, 10}, 0, 0));
}

TEST(ReLUKernel, NaNStaysNaN) {
  const Tensor y =
      relu({{"negative_slope", 0.1}}, tensor({1}, {std::numeric_limits<float>::quiet_NaN()}));
  ASSERT_FALSE(y.empty());
  EXPECT_TRUE(std::isnan(y.data<float>()[0]));
}

TEST(ReLUKernel, KerasEdgesAtTheThresholdAndBelowZero) {
  // Keras: x * (x > threshold), so x == threshold gives 0, not the threshold.
  const Tensor a = relu({{"threshold", 1.5}}, tensor({2}, {1.5f, 1.75f}));
  EXPECT_EQ(a.data<float>()[0], 0.0f);
  EXPECT_EQ(a.data<float>()[1], 1.75f);
  // A negative threshold lets (-1, 0) through, but a cap clips to [0, max_value]: -0.5 -> 0.
  const Tensor b = relu({{"threshold", -1.0}, {"max_value", 6.0}}, tensor({3}, {-0.5f, -2.0f, 7.0f}));
  EXPECT_EQ(b.data<float>()[0], 0.0f);
  EXPECT_EQ(b.data<float>()[1], 0.0f);
  EXPECT_EQ(b.data<float>()[2], 6.0f);
  // Without a cap, the same negative threshold passes -0.5 unchanged.
  const Tensor c = relu({{"threshold", -1.0}}, tensor({1}, {-0.5f}));
  EXPECT_EQ(c.data<float>()[0], -0.5f);
  // -0 becomes +0, as max(x, 0) does in TF.
  const Tensor d = relu({}, tensor({1}, {-0.0f}));
  EXPECT_FALSE(std::signbit(d.data<float>()[0]));
}

TEST(ReLUSchema, RejectsNanParameters) {
  const Status st = bind({{"threshold", std::numeric_limits<double>::quiet_NaN()}});
  EXPECT_NE(st.message().find("parameter 'threshold' must be in [-1e+30, 1e+30], got nan"), std::string::npos) << st.message();
}


}  // namespace ops_test_relu
}  // namespace ingot
