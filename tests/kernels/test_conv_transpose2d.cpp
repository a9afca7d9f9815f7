// ConvTranspose2D: oneDNN's deconvolution against the reference on a randomized sweep of every
// form the op has (strides, dilations, asymmetric crops, output padding, groups, odd sizes,
// batch 2, f32 and f16 storage, NHWC and NCHW, 1 and 2 threads). NCHW runs NHWC between the
// nhwc_layout pass's transposes. Tolerance: the summation bound of K = C / groups * taps that
// reach one output (at most kh * kw) + bias terms, two orders of the same float32 products.
#include "kernel_test_util.h"
#include "kernels/onednn.h"

namespace ingot::testing_kernels {
namespace kernels_test_conv_transpose2d {

struct DeconvCase {
  std::int64_t n, h, w, c, o, kh, kw, sh, sw, dh, dw, groups, oph, opw;
  std::vector<std::int64_t> pads;
  bool bias;
  std::string layout;
  ir::Storage storage;
  std::string describe() const {
    return "n" + std::to_string(n) + " " + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) +
           " -> " + std::to_string(o) + " k" + std::to_string(kh) + "x" + std::to_string(kw) + " s" +
           std::to_string(sh) + "," + std::to_string(sw) + " d" + std::to_string(dh) + "," + std::to_string(dw) +
           " g" + std::to_string(groups) + " pads " + attr_to_string(AttrValue(pads)) + " output_padding " +
           std::to_string(oph) + "," + std::to_string(opw) + " " + layout + (storage == ir::Storage::f16 ? " f16" : "");
  }
};

DeconvCase random_case(std::mt19937& rng, const std::string& layout) {
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  DeconvCase k;
  k.n = pick(1, 2);
  k.h = pick(1, 9), k.w = pick(1, 9);
  k.kh = pick(1, 4), k.kw = pick(0, 2) == 0 ? k.kh : pick(1, 4);
  k.sh = pick(1, 3), k.sw = pick(1, 3);
  k.dh = pick(0, 3) == 0 ? 2 : 1, k.dw = pick(0, 3) == 0 ? 2 : 1;
  k.groups = pick(0, 3) == 0 ? pick(2, 3) : 1;
  k.c = k.groups * pick(1, 9), k.o = k.groups * pick(1, 11);
  k.pads = {pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)};
  // Output padding below max(stride, dilation); half the cases keep it within the bottom /
  // right crop (oneDNN's form), the others may exceed it (the reference then runs).
  k.oph = pick(0, std::max(k.sh, k.dh) - 1), k.opw = pick(0, std::max(k.sw, k.dw) - 1);
  k.bias = pick(0, 1) == 1;
  k.layout = layout;
  k.storage = pick(0, 3) == 0 ? ir::Storage::f16 : ir::Storage::raw;
  return k;
}

OneOp make_deconv(const DeconvCase& k, std::mt19937& rng) {
  OneOp c;
  c.op = "ConvTranspose2D";
  c.storage = k.storage;
  c.constants.push_back({"w", random_tensor(Shape{k.c, k.o / k.groups, k.kh, k.kw}, rng)});
  c.attrs = {{"weights", TensorRef{"w"}},
             {"strides", std::vector<std::int64_t>{k.sh, k.sw}},
             {"dilations", std::vector<std::int64_t>{k.dh, k.dw}},
             {"pads", k.pads},
             {"output_padding", std::vector<std::int64_t>{k.oph, k.opw}},
             {"groups", k.groups},
             {"layout", k.layout}};
  if (k.bias) {
    c.constants.push_back({"b", random_tensor(Shape{k.o}, rng)});
    c.attrs["bias"] = TensorRef{"b"};
  }
  c.inputs.push_back(random_tensor(k.layout == "NHWC" ? Shape{k.n, k.h, k.w, k.c} : Shape{k.n, k.c, k.h, k.w}, rng));
  return c;
}

void sweep(const std::string& layout, std::uint32_t seed) {
  std::mt19937 rng(seed);
  int on_onednn = 0, on_reference = 0;
  for (int i = 0; i < 60; ++i) {
    const DeconvCase k = random_case(rng, layout);
    SCOPED_TRACE(k.describe());
    const OneOp op = make_deconv(k, rng);
    auto r = compare_paths(op, 1 + i % 2);
    if (!r.ok()) {  // the shape rule rejected the geometry (an output of size <= 0)
      EXPECT_NE(r.status().message().find("ConvTranspose2D"), std::string::npos) << r.status().message();
      continue;
    }
    const double terms = static_cast<double>(k.c / k.groups * k.kh * k.kw + (k.bias ? 1 : 0));
    EXPECT_TRUE(within_summation_bound(*r, terms));
    // oneDNN needs SSE4.1: at the sse2 level every case runs on the reference.
    const bool onednn_form = k.pads[2] >= k.oph && k.pads[3] >= k.opw && kernels::onednn::available();
    if (onednn_form) {
      EXPECT_EQ(r->kernel.rfind("onednn conv_transpose2d", 0), 0u) << r->kernel;
      ++on_onednn;
    } else {
      EXPECT_EQ(r->kernel, "reference");
      ++on_reference;
    }
  }
  EXPECT_GE(on_onednn, kernels::onednn::available() ? 25 : 0);
  EXPECT_GE(on_reference, 3);
}

TEST(ConvTranspose2DOnednn, RandomNHWC) { sweep("NHWC", 51); }
TEST(ConvTranspose2DOnednn, RandomNCHW) { sweep("NCHW", 52); }

// The stride-2 upsampling of FCN heads and DCGAN generators (k4, crop 1 on every side).
TEST(ConvTranspose2DOnednn, UpsamplingByTwoAsInFcnAndDcgan) {
  std::mt19937 rng(53);
  DeconvCase k{2, 7, 5, 16, 8, 4, 4, 2, 2, 1, 1, 1, 0, 0, {1, 1, 1, 1}, true, "NHWC", ir::Storage::raw};
  auto r = compare_paths(make_deconv(k, rng), 2);
  ASSERT_TRUE(r.ok()) << r.status().message();
  if (kernels::onednn::available()) {
    EXPECT_EQ(r->kernel.rfind("onednn conv_transpose2d", 0), 0u) << r->kernel;
  }
  EXPECT_EQ(r->optimized.shape(), (Shape{2, 14, 10, 8}));
  EXPECT_TRUE(within_summation_bound(*r, 16 * 16 + 1));
}

}  // namespace kernels_test_conv_transpose2d
}  // namespace ingot::testing_kernels
