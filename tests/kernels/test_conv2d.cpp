// Conv2D: oneDNN's convolutions and XNNPACK's igemm and depthwise kernels against the reference on a randomized sweep
// of every form the op has (strides, dilations, asymmetric pads, groups, depthwise with and
// without a multiplier, odd sizes, batch 2, f32 and f16 storage, both layouts, 1 and 2 threads).
// NCHW runs through the NHWC kernels and the layout adapter (kernels/nchw.cpp).
#include "kernel_test_util.h"

namespace ingot::testing_kernels {
namespace kernels_test_conv2d {

enum class Form { regular, grouped, depthwise, multiplier };

struct ConvCase {
  std::int64_t n, h, w, c, o, kh, kw, sh, sw, dh, dw, groups;
  std::vector<std::int64_t> pads;
  bool bias;
  std::string layout;
  ir::Storage storage;
  bool scaled = false;  // with a weights_scale (a folded BatchNorm)
  std::string describe() const {
    return "n" + std::to_string(n) + " " + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) +
           " -> " + std::to_string(o) + " k" + std::to_string(kh) + "x" + std::to_string(kw) + " s" +
           std::to_string(sh) + "," + std::to_string(sw) + " d" + std::to_string(dh) + "," + std::to_string(dw) +
           " g" + std::to_string(groups) + " pads " + attr_to_string(AttrValue(pads)) + " " + layout +
           (storage == ir::Storage::f16 ? " f16" : "") + (scaled ? " scaled" : "");
  }
};

ConvCase random_case(std::mt19937& rng, Form form, const std::string& layout) {
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  for (;;) {
    ConvCase k;
    k.n = pick(1, 2);
    k.h = pick(1, 13);
    k.w = pick(1, 13);
    k.kh = std::vector<std::int64_t>{1, 2, 3, 5}[static_cast<std::size_t>(pick(0, 3))];
    k.kw = pick(0, 3) == 0 ? k.kh : std::vector<std::int64_t>{1, 2, 3, 5}[static_cast<std::size_t>(pick(0, 3))];
    k.sh = pick(1, 3), k.sw = pick(1, 3);
    k.dh = pick(0, 3) == 0 ? 2 : 1, k.dw = pick(0, 3) == 0 ? 2 : 1;
    k.pads = {pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)};
    switch (form) {
      case Form::regular: k.groups = 1, k.c = pick(1, 19), k.o = pick(1, 37); break;
      case Form::grouped: k.groups = pick(2, 3), k.c = k.groups * pick(1, 5), k.o = k.groups * pick(1, 6); break;
      case Form::depthwise: k.c = pick(1, 40), k.groups = k.c, k.o = k.c; break;
      case Form::multiplier: k.c = pick(1, 17), k.groups = k.c, k.o = k.c * pick(2, 3); break;
    }
    k.bias = pick(0, 1) == 1;
    k.layout = layout;
    k.storage = pick(0, 3) == 0 ? ir::Storage::f16 : ir::Storage::raw;
    k.scaled = pick(0, 2) == 0;
    const bool fits = k.dh * (k.kh - 1) + 1 <= k.h + k.pads[0] + k.pads[2] && k.dw * (k.kw - 1) + 1 <= k.w + k.pads[1] + k.pads[3];
    if (fits) return k;
  }
}

OneOp make_conv(const ConvCase& k, std::mt19937& rng) {
  OneOp c;
  c.op = "Conv2D";
  c.storage = k.storage;
  c.constants.push_back({"w", random_tensor(Shape{k.o, k.c / k.groups, k.kh, k.kw}, rng)});
  c.attrs = {{"weights", TensorRef{"w"}},           {"strides", std::vector<std::int64_t>{k.sh, k.sw}},
             {"dilations", std::vector<std::int64_t>{k.dh, k.dw}}, {"pads", k.pads},
             {"groups", k.groups},                  {"layout", k.layout}};
  if (k.bias) {
    c.constants.push_back({"b", random_tensor(Shape{k.o}, rng)});
    c.attrs["bias"] = TensorRef{"b"};
  }
  if (k.scaled) {  // fold_batch_norm's per-output factor, applied where the weights are packed
    c.constants.push_back({"s", random_tensor(Shape{k.o}, rng, -2.0f, 2.0f)});
    c.attrs["weights_scale"] = TensorRef{"s"};
  }
  const Shape x = k.layout == "NHWC" ? Shape{k.n, k.h, k.w, k.c} : Shape{k.n, k.c, k.h, k.w};
  c.inputs.push_back(random_tensor(x, rng));
  return c;
}

::testing::AssertionResult within_winograd_bound(const Comparison& r, const OneOp& conv, std::int64_t c_in);

void sweep(Form form, const std::string& layout, int cases, std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < cases; ++i) {
    const ConvCase k = random_case(rng, form, layout);
    const OneOp conv = make_conv(k, rng);
    for (const auto library : {kernels::ConvLibrary::onednn, kernels::ConvLibrary::xnnpack}) {
      SCOPED_TRACE(k.describe() + " on " + kernels::conv_library_name(library));
      auto result = compare_paths(conv, i % 2 == 0 ? 1 : 2, library);
      ASSERT_TRUE(result.ok()) << result.status().message();
      const double terms = static_cast<double>(k.c / k.groups * k.kh * k.kw + (k.bias ? 1 : 0));
      if (result->kernel.find("wino") != std::string::npos) {
        EXPECT_TRUE(within_winograd_bound(*result, conv, k.c)) << result->kernel;
      } else {
        EXPECT_TRUE(within_summation_bound(*result, terms));
      }
      const std::string want = std::string(expected_library(library)) + " conv2d";
      EXPECT_EQ(result->kernel.rfind(want, 0), 0u) << result->kernel;
      if (layout == "NCHW") {
        // The plan's nhwc_layout pass runs the conv NHWC between two transposes; without
        // passes (--dump-all) it runs through the NCHW adapter. Both paths are checked.
        EXPECT_EQ(result->kernel.find("(NCHW via NHWC)"), std::string::npos) << result->kernel;
        auto adapted = compare_paths(conv, i % 2 == 0 ? 1 : 2, library, /*keep_all_values=*/true);
        ASSERT_TRUE(adapted.ok()) << adapted.status().message();
        EXPECT_TRUE(within_summation_bound(*adapted, terms));
        EXPECT_NE(adapted->kernel.find("(NCHW via NHWC)"), std::string::npos) << adapted->kernel;
      }
      if (want == "xnnpack conv2d" && k.groups > 1 && (form == Form::depthwise || form == Form::multiplier)) {
        EXPECT_NE(result->kernel.find("depthwise"), std::string::npos) << result->kernel;
      }
    }
  }
}

TEST(Conv2DKernel, RegularNHWC) { sweep(Form::regular, "NHWC", 40, 1); }
TEST(Conv2DKernel, GroupedNHWC) { sweep(Form::grouped, "NHWC", 30, 2); }
TEST(Conv2DKernel, DepthwiseNHWC) { sweep(Form::depthwise, "NHWC", 30, 3); }
TEST(Conv2DKernel, DepthwiseMultiplierNHWC) { sweep(Form::multiplier, "NHWC", 30, 4); }
TEST(Conv2DKernel, RegularNCHW) { sweep(Form::regular, "NCHW", 20, 5); }
TEST(Conv2DKernel, DepthwiseNCHW) { sweep(Form::depthwise, "NCHW", 20, 6); }

// MobileNet-sized layers: long sums (K = 1024), where the bound matters most.
TEST(Conv2DKernel, LongSums) {
  std::mt19937 rng(7);
  ConvCase k{1, 7, 7, 1024, 96, 1, 1, 1, 1, 1, 1, 1, {0, 0, 0, 0}, true, "NHWC", ir::Storage::raw};
  const OneOp conv = make_conv(k, rng);
  for (const auto library : {kernels::ConvLibrary::onednn, kernels::ConvLibrary::xnnpack}) {
    auto result = compare_paths(conv, 2, library);
    ASSERT_TRUE(result.ok()) << result.status().message();
    EXPECT_TRUE(within_summation_bound(*result, 1025)) << result->kernel;
  }
}

// Winograd F(2x2, 3x3), which oneDNN has for 3x3 stride-1 convolutions on AVX-512. Its
// transforms add inputs (and weights) before multiplying, so the direct summation bound does
// not hold term by term. A bound in norms: per channel c, an output sums
// |A^T| |G g_c G^T| |B^T d B| |A| over the 4x4 tile, at most 3*3 (row sums of |A^T|) *
// 1.5^2 (of |G|) * 2^2 (of |B^T|) = 81 times max|g_c| max|d|; each value is at most C + 11 roundings
// deep (2 in the input transform, 4 in the weights', the product, the channel sum, 4 in the
// output transform). So |winograd - reference| <= 2 gamma_{C+16} (81 X sum_c max|g_oc| + |b_o| + |r|),
// X = max |x|, r the fused residual summand. Measured errors are 300 to 6000 times below it; the test also runs the direct
// kernel (--winograd off) on the same case against the tighter summation bound.
::testing::AssertionResult within_winograd_bound(const Comparison& r, const OneOp& conv, std::int64_t c_in) {
  const Tensor& w = conv.constants[0].second;  // [O, C, 3, 3]
  const auto wd = w.data<float>();
  const Tensor* scale = nullptr;  // weights_scale: the effective weights are w[o] * s[o]
  for (const auto& [name, t] : conv.constants)
    if (name == "s") scale = &t;
  const std::int64_t o_n = w.shape()[0];
  double x_max = 0;
  for (float v : conv.inputs[0].data<float>()) x_max = std::max(x_max, double(std::fabs(v)));
  std::vector<double> bound(static_cast<std::size_t>(o_n));
  const double u = std::ldexp(1.0, -24), k = double(c_in + 16), gamma = k * u / (1 - k * u);
  for (std::int64_t o = 0; o < o_n; ++o) {
    double sum = 0;
    for (std::int64_t c = 0; c < c_in; ++c) {
      double m = 0;
      const double s = scale ? std::fabs(double(scale->data<float>()[static_cast<std::size_t>(o)])) : 1.0;
      for (int t = 0; t < 9; ++t) m = std::max(m, s * std::fabs(wd[static_cast<std::size_t>((o * c_in + c) * 9 + t)]));
      sum += m;
    }
    const double b = conv.constants.size() > 1 ? std::fabs(conv.constants[1].second.data<float>()[static_cast<std::size_t>(o)]) : 0.0;
    bound[static_cast<std::size_t>(o)] = 2 * gamma * (81 * x_max * sum + b);
  }
  const auto got = r.optimized.data<float>(), want = r.reference.data<float>();
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes differ";
  double worst = 0;
  const Shape& y = r.reference.shape();
  const bool nchw = std::get<std::string>(conv.attrs.at("layout")) == "NCHW";
  const auto pixels = static_cast<std::size_t>(nchw ? y[2] * y[3] : 1);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double residual = conv.inputs.size() > 1 ? std::fabs(double(conv.inputs[1].data<float>()[i])) : 0.0;
    const double b = bound[(i / pixels) % static_cast<std::size_t>(o_n)] + 2 * gamma * residual;
    const double err = std::fabs(double(got[i]) - double(want[i]));
    if (!(err <= b)) return ::testing::AssertionFailure() << "element " << i << ": " << got[i] << " vs " << want[i] << ", bound " << b;
    worst = std::max(worst, err / b);
  }
  return ::testing::AssertionSuccess() << "worst error / bound " << worst;
}

bool winograd_expected() {
  const auto level = kernels::requested_cpu_level();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && level.ok() &&
         (*level == kernels::CpuLevel::native || *level == kernels::CpuLevel::avx512);
}

// ResNet-like 3x3 stride-1 layers (odd sizes, batch 2, with and without bias, f16 storage,
// NCHW through nhwc_layout), 1 and 2 threads; and cases where it must not run.
TEST(Conv2DKernel, WinogradAgainstReferenceAndDirect) {
  std::mt19937 rng(8);
  struct WinogradCase {
    ConvCase k;
    bool winograd;  // whether it should run on the Winograd kernel where the CPU has one
  };
  const std::vector<WinogradCase> cases = {
      {{2, 17, 13, 32, 48, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, true, "NHWC", ir::Storage::raw, true}, true},
      {{1, 28, 28, 64, 64, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, false, "NHWC", ir::Storage::raw}, true},
      {{2, 16, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, {0, 0, 0, 0}, true, "NHWC", ir::Storage::f16}, true},
      {{2, 10, 12, 24, 40, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, true, "NCHW", ir::Storage::raw}, true},
      // oneDNN's Winograd kernel takes only symmetric pads: the direct kernel runs instead.
      {{1, 12, 12, 32, 32, 3, 3, 1, 1, 1, 1, 1, {1, 0, 1, 2}, true, "NHWC", ir::Storage::raw}, false},
      // Too small to pay (16 tiles: ResNet's 7x7 stage; 16 output channels): direct.
      {{1, 7, 7, 256, 128, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, true, "NHWC", ir::Storage::raw}, false},
      {{1, 20, 20, 64, 16, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, true, "NHWC", ir::Storage::raw}, false},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const ConvCase& k = cases[i].k;
    SCOPED_TRACE(k.describe());
    const OneOp conv = make_conv(k, rng);
    for (const bool winograd : {true, false}) {
      auto r = compare_paths(conv, i % 2 == 0 ? 1 : 2, kernels::ConvLibrary::onednn, false, winograd);
      ASSERT_TRUE(r.ok()) << r.status().message();
      const bool wino = r->kernel.find("wino") != std::string::npos;
      EXPECT_EQ(wino, winograd && cases[i].winograd && winograd_expected() && kernels::onednn_allowed()) << r->kernel;
      if (wino) {
        EXPECT_TRUE(within_winograd_bound(*r, conv, k.c)) << r->kernel;
      } else {
        EXPECT_TRUE(within_summation_bound(*r, double(k.c * 9 + (k.bias ? 1 : 0)))) << r->kernel;
      }
    }
  }
}

// A fused residual summand (ResNet's shortcut): Winograd adds it as a sum into its blocked
// destination, which the kernel fills with the summand first.
TEST(Conv2DKernel, WinogradWithResidualSummand) {
  std::mt19937 rng(9);
  ConvCase k{2, 14, 15, 32, 32, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, true, "NHWC", ir::Storage::raw};
  OneOp conv = make_conv(k, rng);
  conv.inputs.push_back(random_tensor(Shape{2, 14, 15, 32}, rng));
  for (const int threads : {1, 2}) {
    auto r = compare_paths(conv, threads);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->kernel.find("wino") != std::string::npos, winograd_expected() && kernels::onednn_allowed()) << r->kernel;
    if (kernels::onednn_allowed()) {  // at sse2 the reference kernel runs it (XNNPACK has no summand)
      EXPECT_NE(r->kernel.find("+ residual"), std::string::npos) << r->kernel;
    }
    EXPECT_TRUE(within_winograd_bound(*r, conv, k.c)) << r->kernel;
  }
}

}  // namespace kernels_test_conv2d
}  // namespace ingot::testing_kernels
