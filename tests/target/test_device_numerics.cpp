// Device numerics emulation: a compiled model for an f16 target rounds exactly where values
// leave or enter device runs. Checked against the uncompiled graph with RoundToF16 nodes placed
// by hand at those boundaries (same kernels, so the results must agree bit for bit).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/fp16.h"
#include "runtime/session.h"
#include "target/compile.h"
#include "target/target_test_util.h"

namespace ingot::targettest {
namespace test_device_numerics {

// x -> [c1 -> r1] (device) -> sm (host softmax) -> [c2 -> r2] (device) -> out; sm is also an
// output of the model, read on the host side.
ir::Graph two_runs(bool rounded_by_hand) {
  GraphBuilder b(Shape{1, 6, 6, 3});
  std::string x = "x";
  const auto round = [&](const std::string& name, const std::string& from) {
    b.g.add_node(name, "RoundToF16", {from});
    EXPECT_TRUE(ir::infer_shapes(b.g, default_registry()).ok());
    b.from(name);
  };
  if (rounded_by_hand) round("x_in", "x");  // the model input enters the device
  b.conv("c1", 4, 3, 1, 1).relu("r1");
  if (rounded_by_hand) round("r1_out", "r1");  // r1 leaves its run
  b.softmax("sm");
  if (rounded_by_hand) round("sm_in", "sm");  // the host's softmax enters the second run
  b.conv("c2", 4, 1).relu("r2");
  if (rounded_by_hand) round("r2_out", "r2");  // the model output leaves the device
  return b.done({b.last, "sm"});
}

Tensor input() {
  std::vector<float> v(6 * 6 * 3);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 1.0f / 3.0f + std::sin(1.3f * static_cast<float>(i)) * 7.1f;
  return Tensor::from_floats(Shape{1, 6, 6, 3}, v);
}

std::vector<Tensor> run(const ir::Graph& g, bool device_numerics = true) {
  runtime::PlanOptions reference;
  reference.reference = true;
  reference.device_numerics = device_numerics;
  auto s = runtime::Session::plan(g, default_registry(), reference);
  EXPECT_TRUE(s.ok()) << s.status().message();
  auto out = s->run(std::vector<Tensor>{input()});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? *out : std::vector<Tensor>{};
}

ir::Graph compiled(const target::Target& t, const ir::Graph& g) {
  target::CompileOptions f32;
  f32.weights = ir::Storage::raw;  // weights exact: only the activations' rounding differs
  auto c = target::compile(g, t, f32, default_registry());
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c->graph) : ir::Graph{};
}

bool bit_equal(const Tensor& a, const Tensor& b) { return a.bit_equal(b); }

TEST(DeviceNumerics, RoundsExactlyWhereValuesLeaveOrEnterDeviceRuns) {
  const ir::Graph c = compiled(user_target(), two_runs(false));
  ASSERT_TRUE(c.compilation);
  ASSERT_EQ(c.compilation->runs.size(), 3u);  // c1>r1, sm (host), c2>r2
  const auto got = run(c);
  const auto want = run(two_runs(true));
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(want.size(), 2u);
  EXPECT_TRUE(bit_equal(got[0], want[0])) << "the device output";
  // The host's own reader of sm (the caller) keeps the f32 softmax.
  EXPECT_TRUE(bit_equal(got[1], want[1])) << "the host output";
  bool some_not_f16 = false;
  for (float v : got[1].data<float>()) some_not_f16 |= half_to_float(float_to_half(v)) != v;
  EXPECT_TRUE(some_not_f16) << "sm must reach the caller unrounded";
  for (float v : got[0].data<float>()) EXPECT_EQ(half_to_float(float_to_half(v)), v);
}

TEST(DeviceNumerics, OffOrAnF32TargetComputesInF32Throughout) {
  const ir::Graph source = two_runs(false);
  const auto f32 = run(source);
  const auto off = run(compiled(user_target(), source), false);
  const auto cpu = run(compiled(shipped("cpu-f32"), source));
  ASSERT_EQ(off.size(), 2u);
  ASSERT_EQ(cpu.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(bit_equal(off[i], f32[i])) << i;  // nothing folded: the same graph
    EXPECT_TRUE(bit_equal(cpu[i], f32[i])) << i;
  }
}

TEST(DeviceNumerics, ThePlanLogSaysWhatItRounds) {
  runtime::PlanOptions options;
  auto s = runtime::Session::plan(compiled(user_target(), two_runs(false)), default_registry(), options);
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::string log;
  for (const auto& line : s->pass_log()) log += line + "\n";
  EXPECT_NE(log.find("device_numerics: 'x' enters the device as f16"), std::string::npos) << log;
  EXPECT_NE(log.find("device_numerics: 'r1' leaves device run 0 as f16"), std::string::npos) << log;
  EXPECT_NE(log.find("device_numerics: 'sm' enters the device as f16"), std::string::npos) << log;
  EXPECT_NE(log.find("device_numerics: 'r2' leaves device run 2 as f16"), std::string::npos) << log;
  // The optimized kernels agree with the reference run of the same emulation.
  auto out = s->run(std::vector<Tensor>{input()});
  ASSERT_TRUE(out.ok());
  const auto ref = run(compiled(user_target(), two_runs(false)));
  for (std::size_t i = 0; i < ref[0].data<float>().size(); ++i) {
    // f16 outputs: optimized and reference kernels may round a sum differently in f32 and
    // land on neighbouring halves, one f16 ulp apart (2^-10 relative) at most.
    const float a = out->at(0).data<float>()[i], b = ref[0].data<float>()[i];
    EXPECT_LE(std::fabs(a - b), std::ldexp(std::fabs(b), -10) + 1e-7f) << i;
  }
}

TEST(RoundToF16, RoundsToNearestEvenAndSaturatesToInfinity) {
  GraphBuilder b(Shape{1, 8});
  b.g.add_node("r", "RoundToF16", {"x"});
  ASSERT_TRUE(ir::infer_shapes(b.g, default_registry()).ok());
  b.g.add_output("r");
  runtime::PlanOptions reference;
  reference.reference = true;
  auto s = runtime::Session::plan(b.g, default_registry(), reference);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // 1/3 -> 0x3555 = 0.333251953125; 1 + 2^-11 is a tie -> 1 (even); 1 + 3 * 2^-11 -> 1 + 2^-9;
  // 65519 -> 65504; 65520 -> inf; 2^-25 -> 0 (tie with the smallest subnormal 2^-24: even);
  // -0 stays -0; NaN stays NaN.
  const std::vector<float> x{1.0f / 3, 1.0f + std::ldexp(1.0f, -11), 1.0f + 3 * std::ldexp(1.0f, -11), 65519.0f,
                             65520.0f, std::ldexp(1.0f, -25), -0.0f, nan};
  auto out = s->run(std::vector<Tensor>{Tensor::from_floats(Shape{1, 8}, x)});
  ASSERT_TRUE(out.ok());
  const auto y = out->at(0).data<float>();
  EXPECT_EQ(y[0], 0.333251953125f);
  EXPECT_EQ(y[1], 1.0f);
  EXPECT_EQ(y[2], 1.0f + std::ldexp(1.0f, -9));
  EXPECT_EQ(y[3], 65504.0f);
  EXPECT_EQ(y[4], std::numeric_limits<float>::infinity());
  EXPECT_EQ(y[5], 0.0f);
  EXPECT_TRUE(std::signbit(y[6]));
  EXPECT_TRUE(std::isnan(y[7]));
}

}  // namespace test_device_numerics
}  // namespace ingot::targettest
