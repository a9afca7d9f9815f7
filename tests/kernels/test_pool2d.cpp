// MaxPool2D and AvgPool2D: XNNPACK's pooling against the reference, including Caffe's ceil
// mode (run as extra end padding) and padding that average pooling does not count. Max
// pooling must be exact; average pooling is a sum of K terms and one division.
#include "kernel_test_util.h"

namespace ingot::testing_kernels {
namespace kernels_test_pool2d {

struct PoolCase {
  Shape x;
  std::vector<std::int64_t> kernel, strides, pads;
  bool ceil;
  std::string layout;
};

PoolCase random_pool(std::mt19937& rng, const std::string& layout) {
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  for (;;) {
    PoolCase p;
    const std::int64_t n = pick(1, 2), h = pick(1, 12), w = pick(1, 12), c = pick(1, 20);
    p.x = layout == "NHWC" ? Shape{n, h, w, c} : Shape{n, c, h, w};
    p.kernel = {pick(1, 4), pick(1, 4)};
    p.strides = {pick(1, 3), pick(1, 3)};
    p.pads = {pick(0, 1), pick(0, 1), pick(0, 1), pick(0, 1)};
    for (int a = 0; a < 2; ++a) {  // pads smaller than the window, as the shape rule demands
      if (p.pads[a] >= p.kernel[a]) p.pads[a] = 0;
      if (p.pads[a + 2] >= p.kernel[a]) p.pads[a + 2] = 0;
    }
    p.ceil = pick(0, 2) == 0;
    p.layout = layout;
    if (p.kernel[0] <= h + p.pads[0] + p.pads[2] && p.kernel[1] <= w + p.pads[1] + p.pads[3]) return p;
  }
}

OneOp make_pool(const std::string& op, const PoolCase& p, std::mt19937& rng, bool count_pad) {
  OneOp c;
  c.op = op;
  c.attrs = {{"kernel", p.kernel}, {"strides", p.strides}, {"pads", p.pads}, {"ceil_mode", p.ceil}, {"layout", p.layout}};
  if (op == "AvgPool2D") c.attrs["count_include_pad"] = count_pad;
  c.inputs.push_back(random_tensor(p.x, rng));
  return c;
}

std::string describe(const PoolCase& p) {
  return p.x.to_string() + " k" + attr_to_string(AttrValue(p.kernel)) + " s" + attr_to_string(AttrValue(p.strides)) +
         " pads " + attr_to_string(AttrValue(p.pads)) + (p.ceil ? " ceil" : "") + " " + p.layout;
}

TEST(MaxPool2DKernel, RandomWindowsExact) {
  std::mt19937 rng(21);
  int optimized = 0;
  for (int i = 0; i < 60; ++i) {
    const PoolCase p = random_pool(rng, i % 4 == 3 ? "NCHW" : "NHWC");
    SCOPED_TRACE(describe(p));
    const OneOp pool = make_pool("MaxPool2D", p, rng, false);
    // NCHW: both the nhwc_layout plan (transposes around an NHWC pool) and, without passes,
    // the NCHW adapter.
    for (const bool keep_all : {false, true}) {
      if (keep_all && p.layout != "NCHW") continue;
      auto r = compare_paths(pool, 1 + i % 2, kernels::ConvLibrary::onednn, keep_all);
      if (!r.ok()) continue;  // the shape rule rejected the window (a ceil-mode window past the input)
      optimized += r->kernel.find("xnnpack") != std::string::npos;
      EXPECT_TRUE(bit_equal(r->optimized, r->reference));
    }
  }
  EXPECT_GE(optimized, 25);  // XNNPACK declines 1x1 windows only
}

TEST(AvgPool2DKernel, RandomWindowsExcludingPad) {
  std::mt19937 rng(22);
  int optimized = 0;
  for (int i = 0; i < 60; ++i) {
    const PoolCase p = random_pool(rng, i % 4 == 3 ? "NCHW" : "NHWC");
    SCOPED_TRACE(describe(p));
    const OneOp pool = make_pool("AvgPool2D", p, rng, false);
    // NCHW: both the nhwc_layout plan (transposes around an NHWC pool) and, without passes,
    // the NCHW adapter.
    for (const bool keep_all : {false, true}) {
      if (keep_all && p.layout != "NCHW") continue;
      auto r = compare_paths(pool, 1 + i % 2, kernels::ConvLibrary::onednn, keep_all);
      if (!r.ok()) continue;
      optimized += r->kernel.find("xnnpack") != std::string::npos;
      EXPECT_TRUE(within_summation_bound(*r, static_cast<double>(p.kernel[0] * p.kernel[1] + 1)));
    }
  }
  EXPECT_GE(optimized, 25);
}

TEST(AvgPool2DKernel, CountingPadStaysOnReferenceWhenPadded) {
  std::mt19937 rng(23);
  PoolCase p{Shape{1, 5, 5, 3}, {3, 3}, {2, 2}, {1, 1, 1, 1}, false, "NHWC"};
  auto r = compare_paths(make_pool("AvgPool2D", p, rng, true));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->kernel, "reference");
  EXPECT_TRUE(bit_equal(r->optimized, r->reference));
  p.pads = {0, 0, 0, 0};  // nothing to count: XNNPACK's result is the same
  auto unpadded = compare_paths(make_pool("AvgPool2D", p, rng, true));
  ASSERT_TRUE(unpadded.ok());
  EXPECT_EQ(unpadded->kernel, "xnnpack avgpool2d");
  EXPECT_TRUE(within_summation_bound(*unpadded, 10));
}

}  // namespace kernels_test_pool2d
}  // namespace ingot::testing_kernels
