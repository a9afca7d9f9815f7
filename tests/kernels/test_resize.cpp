// Resize: the row kernel against the reference on a randomized sweep of every mode and
// coordinate mapping (scales 1-4 per axis, odd sizes, 1-19 channels, batch 2, NHWC, and NCHW
// through the nhwc_layout pass). Bit-identical: both evaluate the same taps (one function) and
// the same expression per element; nearest copies, so inf and NaN pass through unchanged.
#include <limits>

#include "kernel_test_util.h"

namespace ingot::testing_kernels {
namespace kernels_test_resize {

struct ResizeCase {
  std::int64_t n, h, w, c, sh, sw;
  std::string mode, coordinates, layout;
  std::string describe() const {
    return "n" + std::to_string(n) + " " + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) +
           " x" + std::to_string(sh) + "," + std::to_string(sw) + " " + mode + " " + coordinates + " " + layout;
  }
};

OneOp make_resize(const ResizeCase& k, std::mt19937& rng) {
  OneOp op;
  op.op = "Resize";
  op.attrs = {{"scales", std::vector<std::int64_t>{k.sh, k.sw}},
              {"mode", k.mode},
              {"coordinates", k.coordinates},
              {"layout", k.layout}};
  const Shape x = k.layout == "NHWC" ? Shape{k.n, k.h, k.w, k.c} : Shape{k.n, k.c, k.h, k.w};
  op.inputs.push_back(random_tensor(x, rng, -10.0f, 10.0f));
  return op;
}

TEST(ResizeKernel, BitIdenticalToTheReference) {
  std::mt19937 rng(61);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  for (const std::string mode : {"nearest", "bilinear"}) {
    for (const std::string coordinates : {"asymmetric", "half_pixel", "align_corners"}) {
      for (const std::string layout : {"NHWC", "NCHW"}) {
        for (int i = 0; i < 6; ++i) {
          const ResizeCase k{pick(1, 2), pick(1, 9), pick(1, 9), pick(1, 19), pick(1, 4), pick(1, 4), mode, coordinates, layout};
          SCOPED_TRACE(k.describe());
          auto r = compare_paths(make_resize(k, rng), 1);
          ASSERT_TRUE(r.ok()) << r.status().message();
          EXPECT_EQ(r->kernel, "resize " + mode + " (rows)");
          EXPECT_TRUE(bit_equal(r->optimized, r->reference));
        }
      }
    }
  }
}

// Non-finite values: nearest copies them; bilinear blends them exactly as the reference does.
TEST(ResizeKernel, NonFiniteValuesAsTheReference) {
  std::mt19937 rng(62);
  for (const std::string mode : {"nearest", "bilinear"}) {
    const ResizeCase k{1, 5, 4, 3, 2, 3, mode, "half_pixel", "NHWC"};
    OneOp op = make_resize(k, rng);
    auto v = op.inputs[0].mutable_data<float>();
    v[0] = std::numeric_limits<float>::infinity();
    v[7] = -std::numeric_limits<float>::infinity();
    v[20] = std::numeric_limits<float>::quiet_NaN();
    auto r = compare_paths(op, 1);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r->optimized.bit_equal(r->reference)) << mode;
  }
}

}  // namespace kernels_test_resize
}  // namespace ingot::testing_kernels
