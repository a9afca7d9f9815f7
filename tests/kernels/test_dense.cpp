// Dense: oneDNN's inner product and XNNPACK's fully-connected GEMM against the reference, rows from leading axes.
#include "kernel_test_util.h"

namespace ingot::testing_kernels {
namespace kernels_test_dense {

TEST(DenseKernel, RandomShapes) {
  std::mt19937 rng(11);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 30; ++i) {
    const std::int64_t in = pick(1, 300), out = pick(1, 130);
    const Shape x = i % 3 == 0 ? Shape{pick(1, 3), pick(1, 5), in} : Shape{pick(1, 4), in};
    OneOp c;
    c.op = "Dense";
    c.storage = i % 4 == 0 ? ir::Storage::f16 : ir::Storage::raw;
    c.constants.push_back({"w", random_tensor(Shape{out, in}, rng)});
    c.attrs["weights"] = TensorRef{"w"};
    if (i % 2 == 0) {
      c.constants.push_back({"b", random_tensor(Shape{out}, rng)});
      c.attrs["bias"] = TensorRef{"b"};
    }
    if (i % 3 == 1) {  // fold_batch_norm's per-output factor, applied where the weights are packed
      c.constants.push_back({"s", random_tensor(Shape{out}, rng, -2.0f, 2.0f)});
      c.attrs["weights_scale"] = TensorRef{"s"};
    }
    c.inputs.push_back(random_tensor(x, rng));
    SCOPED_TRACE("x " + x.to_string() + " out " + std::to_string(out) + (i % 3 == 1 ? " scaled" : ""));
    for (const auto library : {kernels::ConvLibrary::onednn, kernels::ConvLibrary::xnnpack}) {
      auto r = compare_paths(c, 1 + i % 2, library);
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(r->kernel.rfind(std::string(expected_library(library)) + " dense", 0), 0u) << r->kernel;
      EXPECT_TRUE(within_summation_bound(*r, static_cast<double>(in + 1))) << r->kernel;
    }
  }
}

}  // namespace kernels_test_dense
}  // namespace ingot::testing_kernels
