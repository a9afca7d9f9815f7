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
  std::string describe() const {
    return "n" + std::to_string(n) + " " + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) +
           " -> " + std::to_string(o) + " k" + std::to_string(kh) + "x" + std::to_string(kw) + " s" +
           std::to_string(sh) + "," + std::to_string(sw) + " d" + std::to_string(dh) + "," + std::to_string(dw) +
           " g" + std::to_string(groups) + " pads " + attr_to_string(AttrValue(pads)) + " " + layout +
           (storage == ir::Storage::f16 ? " f16" : "");
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
  const Shape x = k.layout == "NHWC" ? Shape{k.n, k.h, k.w, k.c} : Shape{k.n, k.c, k.h, k.w};
  c.inputs.push_back(random_tensor(x, rng));
  return c;
}

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
      EXPECT_TRUE(within_summation_bound(*result, terms));
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

}  // namespace kernels_test_conv2d
}  // namespace ingot::testing_kernels
