// The unary activations built on src/ops/unary.h: Sigmoid, Tanh, HardSigmoid, Elu, Selu,
// Softplus, Softsign, Swish, Exp, ThresholdedReLU, AbsVal, Power.
//
// What every op shares (registration, shape rule, NaN, numpy fixtures) is one table-driven
// suite; float parameters are a second table, one row per parameter and every schema rule per
// row; hand-checked values follow, per op.
//
// Tolerances against numpy (tests/fixtures/ops/<op>.json, scripts/gen_op_fixtures_unary.py).
// numpy evaluates the definition in float64 on the same float32 inputs, so its error (~1e-16)
// is negligible and the difference is the kernel's float32 error alone:
// - kRtol = 1e-6 relative: glibc's expf, expm1f, log1pf, tanhf and powf are within 1 ulp
//   (2^-23 = 1.2e-7 relative) and each op adds at most three roundings of 2^-24; the worst
//   composition (Selu: two rounded constants, expm1f, two products) stays under 4e-7.
// - kSubnormal = FLT_MIN (1.2e-38) absolute: results below it (sigmoid, swish and exp near
//   x = -100, whose exact values are ~4e-44) are subnormal in float32 and carry only absolute
//   precision; Sigmoid and Exp may return them as 0.
// - AbsVal and ThresholdedReLU copy or zero their input: exact.
// - HardSigmoid adds 3e-7 absolute: alpha * x + beta cancels near the lower clip, so its error
//   is relative to the terms (|alpha * x| <= 1 in the fixtures: product and sum roundings plus
//   alpha's own float32 rounding, <= 1.8e-7), not to the result.
#include <cfloat>
#include <cmath>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace ingot {
namespace ops_test_unary_activations {

using optest::fails_with;
using optest::tensor;

constexpr double kRtol = 1e-6;
constexpr double kSubnormal = FLT_MIN;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct UnaryOp {
  const char* name;
  const char* fixture;
  std::size_t num_params;
  double rtol;
  double atol;
};

const UnaryOp kOps[] = {
    {"Sigmoid", "sigmoid.json", 0, kRtol, kSubnormal},
    {"Tanh", "tanh.json", 0, kRtol, kSubnormal},
    {"HardSigmoid", "hardsigmoid.json", 2, kRtol, 3e-7},
    {"Elu", "elu.json", 1, kRtol, kSubnormal},
    {"Selu", "selu.json", 0, kRtol, kSubnormal},
    {"Softplus", "softplus.json", 0, kRtol, kSubnormal},
    {"Softsign", "softsign.json", 0, kRtol, kSubnormal},
    {"Swish", "swish.json", 0, kRtol, kSubnormal},
    {"Exp", "exp.json", 0, kRtol, kSubnormal},
    {"ThresholdedReLU", "thresholdedrelu.json", 1, 0, 0},
    {"AbsVal", "absval.json", 0, 0, 0},
    {"Power", "power.json", 3, kRtol, kSubnormal},
};
void PrintTo(const UnaryOp& u, std::ostream* os) { *os << u.name; }

// Runs `op` on a rank-1 tensor of `xs` and returns the outputs as floats.
std::vector<float> apply(const char* op, const AttrMap& attrs, const std::vector<float>& xs) {
  const Tensor y =
      optest::run1(op, attrs, {}, {tensor({static_cast<std::int64_t>(xs.size())}, xs)});
  if (y.empty()) return {};
  const auto data = y.data<float>();
  return {data.begin(), data.end()};
}

float apply1(const char* op, const AttrMap& attrs, float x) {
  const auto y = apply(op, attrs, {x});
  return y.empty() ? kNaN : y[0];
}

// ---------------------------------------------------------------------------- every op

class UnaryActivationTest : public ::testing::TestWithParam<UnaryOp> {};

TEST_P(UnaryActivationTest, IsRegisteredWithOneInputOneOutputAndAKernel) {
  const OpDef& def = optest::op(GetParam().name);
  EXPECT_EQ(def.schema.min_inputs, 1);
  EXPECT_EQ(def.schema.max_inputs, 1);
  EXPECT_EQ(def.schema.num_outputs, 1);
  EXPECT_FALSE(def.schema.doc.empty());
  EXPECT_EQ(def.schema.params.size(), GetParam().num_params);
  EXPECT_TRUE(def.kernel);
}

TEST_P(UnaryActivationTest, RejectsUnknownParameter) {
  const std::string op = GetParam().name;
  EXPECT_TRUE(fails_with(optest::bind_status(op, {{"bogus", 1.0}}),
                         {"parameter 'bogus' is not a parameter of op '" + op + "'", "got 1"}));
}

TEST_P(UnaryActivationTest, KeepsShapeOfAnyRank) {
  for (const Shape& s : {Shape{}, Shape{0}, Shape{3}, Shape{1, 4, 4, 3}, Shape{2, 3, 4, 5, 1}}) {
    auto out = optest::infer(GetParam().name, {}, {}, optest::f32_infos({s}));
    ASSERT_TRUE(out.ok()) << out.status().message();
    ASSERT_EQ(out->size(), 1u);
    EXPECT_EQ((*out)[0], (TensorInfo{s, DType::f32})) << s.to_string();
  }
}

TEST_P(UnaryActivationTest, RejectsNonF32Input) {
  for (DType dtype : {DType::f16, DType::i32, DType::u8}) {
    EXPECT_TRUE(fails_with(optest::infer(GetParam().name, {}, {}, {{Shape{2, 3}, dtype}}),
                           {"input 0 must be f32", std::string("got ") + dtype_name(dtype)}));
  }
}

TEST_P(UnaryActivationTest, RunsOnScalarAndEmptyTensors) {
  const Tensor scalar = optest::run1(GetParam().name, {}, {}, {tensor(Shape{}, {0.5f})});
  EXPECT_EQ(scalar.shape(), Shape{});
  EXPECT_EQ(scalar.data<float>().size(), 1u);
  // allocate, not from_floats: from_floats memcpy's from a null pointer when empty (UBSan).
  const Tensor empty =
      optest::run1(GetParam().name, {}, {}, {Tensor::allocate(DType::f32, Shape{2, 0}).value()});
  EXPECT_EQ(empty.shape(), (Shape{2, 0}));
}

TEST_P(UnaryActivationTest, PropagatesNaN) {
  const auto y = apply(GetParam().name, {}, {kNaN, -kNaN, 1.0f});
  ASSERT_EQ(y.size(), 3u);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_TRUE(std::isnan(y[1]));
  EXPECT_FALSE(std::isnan(y[2]));
}

// The kernel reads x[i] before writing y[i]: running with the output aliasing the input gives
// the same numbers.
TEST_P(UnaryActivationTest, RunsInPlace) {
  const OpDef& def = optest::op(GetParam().name);
  const std::vector<float> xs = {-7.5f, -1.0f, -0.25f, 0.0f, 0.75f, 2.0f, 9.0f};
  const Tensor want = optest::run1(GetParam().name, {}, {}, {tensor({7}, xs)});
  auto params = def.bind({}, {});
  ASSERT_TRUE(params.ok());
  Tensor t = tensor({7}, xs);
  const Tensor* in[] = {&t};
  Tensor* out[] = {&t};
  def.kernel(params->get(), KernelArgs{in, out});
  EXPECT_TRUE(optest::all_close(t, want, 0, 0));
}

TEST_P(UnaryActivationTest, MatchesNumpyFixtures) {
  const UnaryOp& u = GetParam();
  const auto names = optest::fixture_case_names(u.fixture);
  EXPECT_FALSE(names.empty());
  for (const std::string& name : names) optest::expect_fixture(u.fixture, name, u.rtol, u.atol);
}

INSTANTIATE_TEST_SUITE_P(All, UnaryActivationTest, ::testing::ValuesIn(kOps),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------- float parameters

struct FloatParam {
  const char* op;
  const char* name;
  double default_value;
  double min;
  double max;
  const char* range_text;  // as the error message prints it
};

const FloatParam kParams[] = {
    {"HardSigmoid", "alpha", 0.2, -1e6, 1e6, "in [-1e+06, 1e+06]"},
    {"HardSigmoid", "beta", 0.5, -1e6, 1e6, "in [-1e+06, 1e+06]"},
    {"Elu", "alpha", 1.0, -1e6, 1e6, "in [-1e+06, 1e+06]"},
    {"ThresholdedReLU", "theta", 1.0, 0, 1e6, "in [0, 1e+06]"},
    {"Power", "power", 1.0, -1e6, 1e6, "in [-1e+06, 1e+06]"},
    {"Power", "scale", 1.0, -1e6, 1e6, "in [-1e+06, 1e+06]"},
    {"Power", "shift", 0.0, -1e6, 1e6, "in [-1e+06, 1e+06]"},
};
void PrintTo(const FloatParam& p, std::ostream* os) { *os << p.op << "." << p.name; }

class UnaryActivationParamTest : public ::testing::TestWithParam<FloatParam> {
 protected:
  Status bind(AttrValue v) const {
    return optest::bind_status(GetParam().op, {{GetParam().name, v}});
  }
  std::string must() const {
    return "parameter '" + std::string(GetParam().name) + "' must be " + GetParam().range_text;
  }
};

TEST_P(UnaryActivationParamTest, IsAnOptionalFloatWithItsDefault) {
  const ParamSpec* spec = optest::op(GetParam().op).schema.find_param(GetParam().name);
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->type, AttrType::float_);
  EXPECT_FALSE(spec->required);
  ASSERT_TRUE(spec->default_value.has_value());
  EXPECT_EQ(*spec->default_value, AttrValue(GetParam().default_value));
  EXPECT_FALSE(spec->doc.empty());
}

TEST_P(UnaryActivationParamTest, AcceptsItsRangeInclusive) {
  for (double v : {GetParam().min, GetParam().max, GetParam().default_value}) {
    const Status st = bind(v);
    EXPECT_TRUE(st.ok()) << v << ": " << st.message();
  }
}

TEST_P(UnaryActivationParamTest, RejectsValuesOutsideItsRange) {
  const double below = GetParam().min == 0 ? -0.5 : GetParam().min * 2;
  EXPECT_TRUE(fails_with(bind(below), {must(), "got " + attr_to_string(AttrValue(below))}));
  EXPECT_TRUE(fails_with(bind(GetParam().max * 2), {must(), "got 2e+06"}));
}

TEST_P(UnaryActivationParamTest, RejectsNaNAndInfinities) {
  EXPECT_TRUE(fails_with(bind(std::numeric_limits<double>::quiet_NaN()), {must(), "got nan"}));
  EXPECT_TRUE(fails_with(bind(std::numeric_limits<double>::infinity()), {must(), "got inf"}));
  EXPECT_TRUE(fails_with(bind(-std::numeric_limits<double>::infinity()), {must(), "got -inf"}));
}

TEST_P(UnaryActivationParamTest, RejectsOtherTypes) {
  // Importers pass floats: a Keras or Caffe value of 1 must arrive as 1.0.
  const std::string name = GetParam().name;
  EXPECT_TRUE(
      fails_with(bind(std::int64_t{1}), {"parameter '" + name + "' must be float", "got int 1"}));
  EXPECT_TRUE(fails_with(bind(std::string("0.5")),
                         {"parameter '" + name + "' must be float", "got string \"0.5\""}));
}

INSTANTIATE_TEST_SUITE_P(All, UnaryActivationParamTest, ::testing::ValuesIn(kParams),
                         [](const auto& info) {
                           return std::string(info.param.op) + "_" + info.param.name;
                         });

// ---------------------------------------------------------------------------- hand-checked values
// Exact comparisons where the float32 result is exact by construction; otherwise 1e-6 relative
// against values worked out by hand (or, for constants, from their decimal expansion).

TEST(SigmoidKernel, HandValues) {
  EXPECT_EQ(apply1("Sigmoid", {}, 0.0f), 0.5f);
  EXPECT_EQ(apply1("Sigmoid", {}, 100.0f), 1.0f);
  const float tiny = apply1("Sigmoid", {}, -100.0f);  // exact: 3.7e-44, subnormal
  EXPECT_GE(tiny, 0.0f);
  EXPECT_LT(tiny, 1e-40f);
  EXPECT_EQ(apply1("Sigmoid", {}, -kInf), 0.0f);
  EXPECT_EQ(apply1("Sigmoid", {}, kInf), 1.0f);
  EXPECT_NEAR(apply1("Sigmoid", {}, 2.0f), 0.8807970779778823, 1e-6);
  EXPECT_NEAR(apply1("Sigmoid", {}, -2.0f), 0.11920292202211755, 1e-7);
}

TEST(TanhKernel, HandValues) {
  EXPECT_EQ(apply1("Tanh", {}, 0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(apply1("Tanh", {}, -0.0f)));
  EXPECT_EQ(apply1("Tanh", {}, 100.0f), 1.0f);
  EXPECT_EQ(apply1("Tanh", {}, -100.0f), -1.0f);
  EXPECT_NEAR(apply1("Tanh", {}, 0.5f), 0.46211715726000974, 1e-7);
}

TEST(HardSigmoidKernel, KerasTwoDefaults) {
  // 0.2 x + 0.5 clipped: the clip points are x = -2.5 and x = 2.5; both sides exact.
  EXPECT_EQ(apply("HardSigmoid", {}, {-3, -2.5, 0, 2.5, 3, -100, 100}),
            (std::vector<float>{0, 0, 0.5, 1, 1, 0, 1}));
  EXPECT_NEAR(apply1("HardSigmoid", {}, 1.0f), 0.7, 1e-7);
  EXPECT_NEAR(apply1("HardSigmoid", {}, -1.0f), 0.3, 1e-7);
}

TEST(HardSigmoidKernel, CustomSlopeAndOffset) {
  // alpha 0.5, beta 0: 0.5 x on [0, 2]; a negative slope flips the ramp. All exact.
  EXPECT_EQ(apply("HardSigmoid", {{"alpha", 0.5}, {"beta", 0.0}}, {-1, 0, 1, 1.5, 2, 3}),
            (std::vector<float>{0, 0, 0.5, 0.75, 1, 1}));
  EXPECT_EQ(apply("HardSigmoid", {{"alpha", -0.25}, {"beta", 0.5}}, {-4, -2, 0, 2, 4}),
            (std::vector<float>{1, 1, 0.5, 0, 0}));
  // alpha 0 is a constant; NaN still propagates (0 * NaN is NaN).
  EXPECT_EQ(apply1("HardSigmoid", {{"alpha", 0.0}, {"beta", 0.75}}, 123.0f), 0.75f);
  EXPECT_TRUE(std::isnan(apply1("HardSigmoid", {{"alpha", 0.0}, {"beta", 0.75}}, kNaN)));
}

TEST(EluKernel, HandValues) {
  EXPECT_EQ(apply("Elu", {}, {0, 1, 100, -100}), (std::vector<float>{0, 1, 100, -1}));
  EXPECT_NEAR(apply1("Elu", {}, -1.0f), -0.6321205588285577, 1e-7);
  EXPECT_EQ(apply1("Elu", {{"alpha", 2.5}}, -100.0f), -2.5f);
  EXPECT_EQ(apply1("Elu", {{"alpha", 2.5}}, 3.0f), 3.0f);  // alpha scales only x <= 0
  // expm1 keeps relative precision near 0, where exp(x) - 1 would cancel.
  EXPECT_NEAR(apply1("Elu", {}, -1e-6f), -9.999995e-7, 1e-13);
}

TEST(SeluKernel, HandValues) {
  constexpr double alpha = 1.6732632423543772, scale = 1.0507009873554805;
  EXPECT_EQ(apply1("Selu", {}, 0.0f), 0.0f);
  EXPECT_NEAR(apply1("Selu", {}, 1.0f), scale, scale * 1e-7);
  EXPECT_NEAR(apply1("Selu", {}, 2.0f), 2 * scale, scale * 2e-7);
  EXPECT_NEAR(apply1("Selu", {}, -100.0f), -scale * alpha, 2e-7);  // -1.7580993408473766
  EXPECT_NEAR(apply1("Selu", {}, -1.0f), scale * alpha * (std::exp(-1.0) - 1), 2e-7);
}

TEST(SoftplusKernel, StableAtLargeMagnitudes) {
  // log(1 + e^100) in float32 overflows to inf if computed as written; it is 100 + 4e-44.
  EXPECT_EQ(apply1("Softplus", {}, 100.0f), 100.0f);
  EXPECT_EQ(apply1("Softplus", {}, 1e30f), 1e30f);
  EXPECT_EQ(apply1("Softplus", {}, kInf), kInf);
  const float tiny = apply1("Softplus", {}, -100.0f);  // 3.7e-44
  EXPECT_GT(tiny, 0.0f);
  EXPECT_LT(tiny, 1e-40f);
  EXPECT_EQ(apply1("Softplus", {}, -kInf), 0.0f);
  EXPECT_NEAR(apply1("Softplus", {}, 0.0f), 0.6931471805599453, 1e-7);
  EXPECT_NEAR(apply1("Softplus", {}, 20.0f), 20.000000002061153, 2e-6);
  EXPECT_NEAR(apply1("Softplus", {}, -20.0f), 2.0611536922631106e-09, 1e-15);
}

TEST(SoftsignKernel, HandValues) {
  EXPECT_EQ(apply("Softsign", {}, {0, 1, -3, 7}), (std::vector<float>{0, 0.5, -0.75, 0.875}));
  EXPECT_NEAR(apply1("Softsign", {}, 100.0f), 100.0 / 101.0, 1e-7);
}

TEST(SwishKernel, HandValues) {
  EXPECT_EQ(apply1("Swish", {}, 0.0f), 0.0f);
  EXPECT_EQ(apply1("Swish", {}, 100.0f), 100.0f);
  EXPECT_LT(std::fabs(apply1("Swish", {}, -100.0f)), 1e-40f);  // -3.7e-42
  EXPECT_NEAR(apply1("Swish", {}, 1.0f), 0.7310585786300049, 1e-7);
  EXPECT_NEAR(apply1("Swish", {}, -1.0f), -0.2689414213699951, 1e-7);
}

TEST(ExpKernel, HandValues) {
  EXPECT_EQ(apply1("Exp", {}, 0.0f), 1.0f);
  EXPECT_NEAR(apply1("Exp", {}, 1.0f), 2.718281828459045, 3e-7);
  EXPECT_NEAR(apply1("Exp", {}, -1.0f), 0.36787944117144233, 1e-7);
  EXPECT_EQ(apply1("Exp", {}, 89.0f), kInf);  // e^89 = 4.5e38 > FLT_MAX, as in TF
  EXPECT_EQ(apply1("Exp", {}, -kInf), 0.0f);
  EXPECT_EQ(apply1("Exp", {}, -110.0f), 0.0f);  // e^-110 < the least subnormal
}

TEST(ThresholdedReLUKernel, ExactlyAtThetaGivesZero) {
  EXPECT_EQ(apply("ThresholdedReLU", {}, {-2, 0.5, 1, std::nextafter(1.0f, 2.0f), 2}),
            (std::vector<float>{0, 0, 0, std::nextafter(1.0f, 2.0f), 2}));
  EXPECT_EQ(apply("ThresholdedReLU", {{"theta", 2.5}}, {2.5, 2.75, -3}),
            (std::vector<float>{0, 2.75, 0}));
  // theta 0 is a ReLU; x = 0 gives 0.
  EXPECT_EQ(apply("ThresholdedReLU", {{"theta", 0.0}}, {-1, 0, 0.25, kInf, -kInf}),
            (std::vector<float>{0, 0, 0.25, kInf, 0}));
  EXPECT_TRUE(std::isnan(apply1("ThresholdedReLU", {{"theta", 0.0}}, kNaN)));
}

TEST(AbsValKernel, HandValues) {
  EXPECT_EQ(apply("AbsVal", {}, {-3, 2, 0, -kInf, -1e30f}),
            (std::vector<float>{3, 2, 0, kInf, 1e30f}));
  EXPECT_FALSE(std::signbit(apply1("AbsVal", {}, -0.0f)));
}

TEST(PowerKernel, CaffeFormula) {
  EXPECT_EQ(apply("Power", {}, {-2, 0, 3.5}), (std::vector<float>{-2, 0, 3.5}));  // identity
  // (1 + 0.5 x)^2
  EXPECT_EQ(apply("Power", {{"power", 2.0}, {"scale", 0.5}, {"shift", 1.0}}, {2, -2, 0, 6}),
            (std::vector<float>{4, 0, 1, 16}));
  // (2 x)^-1 and x^0.5
  EXPECT_EQ(apply("Power", {{"power", -1.0}, {"scale", 2.0}}, {0.25, -4}),
            (std::vector<float>{2, -0.125}));
  EXPECT_EQ(apply("Power", {{"power", 0.5}}, {16, 0, 2.25}), (std::vector<float>{4, 0, 1.5}));
  EXPECT_NEAR(apply1("Power", {{"power", 3.0}, {"shift", 0.5}}, 100.0f), 1015075.125, 0.125);
}

TEST(PowerKernel, EdgesFollowPowAndCaffe) {
  // A negative base with a non-integer power is NaN; a zero base with a negative power is inf.
  EXPECT_TRUE(std::isnan(apply1("Power", {{"power", 0.5}}, -4.0f)));
  EXPECT_EQ(apply1("Power", {{"power", -2.0}}, 0.0f), kInf);
  // Without a shift, Caffe raises scale * x directly: -0 keeps its sign, (-0)^-1 = -inf.
  EXPECT_EQ(apply1("Power", {{"power", -1.0}}, -0.0f), -kInf);
  // power 0: Caffe fills 1 whatever the input; pow(x, 0) is 1 even for NaN.
  EXPECT_EQ(apply("Power", {{"power", 0.0}, {"scale", 3.0}}, {kNaN, kInf, -5, 0}),
            (std::vector<float>{1, 1, 1, 1}));
  // scale 0: Caffe fills shift^power whatever the input, NaN and inf included.
  EXPECT_EQ(apply("Power", {{"power", 3.0}, {"scale", 0.0}, {"shift", 2.0}}, {kNaN, -kInf, 7}),
            (std::vector<float>{8, 8, 8}));
  // Otherwise NaN propagates.
  EXPECT_TRUE(std::isnan(apply1("Power", {{"power", 2.0}, {"scale", 0.5}, {"shift", 1.0}}, kNaN)));
}

}  // namespace ops_test_unary_activations
}  // namespace ingot
