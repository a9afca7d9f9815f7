// Binary elementwise ops with broadcasting, constant Pad, the ReLU clamp, Sigmoid, Softmax and global
// average pooling (ReduceMean over H, W) against their reference kernels.
#include "kernel_test_util.h"

namespace ingot::testing_kernels {
namespace kernels_test_elementwise {

OneOp binary(const std::string& op, const Shape& a, const Shape& b, std::mt19937& rng) {
  OneOp c;
  c.op = op;
  c.inputs = {random_tensor(a, rng), random_tensor(b, rng)};
  return c;
}

// One rounding per element, the same IEEE operation: results must be identical.
TEST(BinaryKernels, BroadcastingExact) {
  std::mt19937 rng(31);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{2, 5, 7, 3}, {2, 5, 7, 3}}, {{2, 5, 7, 3}, {3}}, {{1, 4, 1, 6}, {2, 1, 5, 1}}, {{9}, {1}}, {{3, 1}, {1, 3}},
      {{2, 3, 4, 5, 6}, {3, 1, 5, 1}}};
  for (const std::string op : {"Add", "Sub", "Mul", "Maximum", "Minimum"}) {
    for (const auto& [a, b] : shapes) {
      SCOPED_TRACE(op + " " + a.to_string() + " " + b.to_string());
      auto r = compare_paths(binary(op, a, b, rng), 2);
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_NE(r->kernel.find("xnnpack"), std::string::npos) << r->kernel;
      EXPECT_TRUE(bit_equal(r->optimized, r->reference));
    }
  }
}

// Pad copies and fills: bit-identical to the reference, for ranks 1 to 6, on both pool forms.
TEST(PadKernel, RandomRanksAndPadsExact) {
  std::mt19937 rng(33);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  const float values[] = {0.0f, -0.0f, 2.5f, -1e30f};
  for (int i = 0; i < 40; ++i) {
    const auto rank = static_cast<std::size_t>(1 + i % 6);
    std::vector<std::int64_t> dims, pads(2 * rank);
    for (std::size_t d = 0; d < rank; ++d) dims.push_back(pick(1, rank > 4 ? 3 : 6));
    for (auto& p : pads) p = pick(0, 2);
    OneOp c;
    c.op = "Pad";
    c.attrs = {{"pads", pads}, {"value", static_cast<double>(values[i % 4])}};
    c.inputs.push_back(random_tensor(Shape(dims), rng));
    SCOPED_TRACE(Shape(dims).to_string() + " pads " + attr_to_string(AttrValue(pads)));
    for (const auto library : {kernels::ConvLibrary::onednn, kernels::ConvLibrary::xnnpack}) {
      auto r = compare_paths(c, 1 + i % 2, library);
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(r->kernel, "xnnpack constant pad");
      EXPECT_TRUE(bit_equal(r->optimized, r->reference));
    }
  }
}

TEST(BinaryKernels, ThreeInputsStayOnReference) {
  std::mt19937 rng(32);
  OneOp c = binary("Add", {2, 3}, {2, 3}, rng);
  c.inputs.push_back(random_tensor(Shape{2, 3}, rng));
  auto r = compare_paths(c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->kernel, "reference");
}

TEST(ReLUKernel, ClampFormsExactLeakyOnReference) {
  std::mt19937 rng(33);
  const std::vector<std::pair<AttrMap, bool>> forms = {{{}, true},
                                                       {{{"max_value", 6.0}}, true},
                                                       {{{"max_value", 0.5}}, true},
                                                       {{{"negative_slope", 0.1}}, false},
                                                       {{{"threshold", 0.2}}, false}};
  for (const auto& [attrs, clamp] : forms) {
    OneOp c;
    c.op = "ReLU";
    c.attrs = attrs;
    c.inputs = {random_tensor(Shape{2, 7, 5, 3}, rng, -8, 8)};
    auto r = compare_paths(c);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->kernel, clamp ? "xnnpack relu clamp" : "reference");
    EXPECT_TRUE(bit_equal(r->optimized, r->reference));
  }
}

// XNNPACK evaluates exp with its own polynomial: a few ulp from libm's. Allowed: 4e-7 absolute
// (sigmoid is in (0, 1); 4e-7 is about 7 ulp at 0.5).
TEST(SigmoidKernel, WithinFewUlp) {
  std::mt19937 rng(34);
  OneOp c;
  c.op = "Sigmoid";
  c.inputs = {random_tensor(Shape{3, 333}, rng, -20, 20)};
  auto r = compare_paths(c, 2);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->kernel, "xnnpack sigmoid");
  const auto got = r->optimized.data<float>(), want = r->reference.data<float>();
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 4e-7) << "element " << i;
}

// Softmax: exp's few ulp plus the sum of n terms: relative 1e-5 per element for n <= 1000.
TEST(SoftmaxKernel, LastAxisRelative) {
  std::mt19937 rng(35);
  for (const Shape& s : {Shape{1, 1000}, Shape{2, 17, 21}, Shape{5, 1}}) {
    OneOp c;
    c.op = "Softmax";
    c.inputs = {random_tensor(s, rng, -10, 10)};
    auto r = compare_paths(c);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->kernel, "xnnpack softmax");
    const auto got = r->optimized.data<float>(), want = r->reference.data<float>();
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5 * want[i] + 1e-30) << s.to_string();
  }
}

TEST(SoftmaxKernel, OtherAxisOnReference) {
  std::mt19937 rng(36);
  OneOp c;
  c.op = "Softmax";
  c.attrs = {{"axis", std::int64_t{1}}};
  c.inputs = {random_tensor(Shape{2, 5, 3}, rng)};
  auto r = compare_paths(c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->kernel, "reference");
  EXPECT_TRUE(bit_equal(r->optimized, r->reference));
}

TEST(ReduceMeanKernel, GlobalAveragePooling) {
  std::mt19937 rng(37);
  for (bool keep : {false, true}) {
    OneOp c;
    c.op = "ReduceMean";
    c.attrs = {{"axes", std::vector<std::int64_t>{1, 2}}, {"keepdims", keep}};
    c.inputs = {random_tensor(Shape{2, 7, 9, 13}, rng)};
    auto r = compare_paths(c, 2);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->kernel, "xnnpack global average pooling");
    EXPECT_TRUE(within_summation_bound(*r, 64));
  }
}

}  // namespace kernels_test_elementwise
}  // namespace ingot::testing_kernels

namespace ingot::testing_kernels {
namespace kernels_test_channel_affine {

// BatchNorm / Scale left unfolded (here: on a graph input) run on the channel-affine kernel.
// It computes the reference's per-channel factors with the same formulas in the same order and
// applies them as x * m + a (x * m without a bias), so the result must be bit-identical.
TEST(ChannelAffineKernel, BatchNormAndScaleBitExactOnEveryAxis) {
  std::mt19937 rng(41);
  const std::vector<Shape> shapes{{2, 7, 5, 3}, {2, 3, 9, 11}, {1, 1, 1, 17}, {2, 13}, {3, 5, 19}};
  int cases = 0;
  for (const Shape& shape : shapes) {
    for (std::int64_t axis = -1; axis < static_cast<std::int64_t>(shape.rank()); ++axis) {
      const auto channels = shape[static_cast<std::size_t>(axis < 0 ? axis + static_cast<std::int64_t>(shape.rank()) : axis)];
      for (const char* op : {"BatchNorm", "Scale"}) {
        for (int variant = 0; variant < 2; ++variant) {  // with and without the optional terms
          OneOp c;
          c.op = op;
          c.storage = (cases % 3 == 0) ? ir::Storage::f16 : ir::Storage::raw;
          c.inputs = {random_tensor(shape, rng, -4, 4)};
          c.attrs["axis"] = axis;
          if (std::string(op) == "BatchNorm") {
            c.constants.push_back({"mean", random_tensor(Shape{channels}, rng)});
            c.constants.push_back({"var", random_tensor(Shape{channels}, rng, 0.0f, 2.0f)});
            c.attrs["mean"] = TensorRef{"mean"};
            c.attrs["variance"] = TensorRef{"var"};
            c.attrs["epsilon"] = 1e-3;
            if (variant == 1) {
              c.constants.push_back({"gamma", random_tensor(Shape{channels}, rng)});
              c.constants.push_back({"beta", random_tensor(Shape{channels}, rng)});
              c.attrs["scale"] = TensorRef{"gamma"};
              c.attrs["offset"] = TensorRef{"beta"};
            }
          } else {
            c.constants.push_back({"s", random_tensor(Shape{channels}, rng)});
            c.attrs["scale"] = TensorRef{"s"};
            if (variant == 1) {
              c.constants.push_back({"b", random_tensor(Shape{channels}, rng)});
              c.attrs["bias"] = TensorRef{"b"};
            }
          }
          auto r = compare_paths(c, 1 + cases % 2);
          ASSERT_TRUE(r.ok()) << r.status().message();
          EXPECT_EQ(r->kernel.rfind("channel affine", 0), 0u) << r->kernel;
          EXPECT_TRUE(bit_equal(r->optimized, r->reference))
              << op << " on " << shape.to_string() << " axis " << axis << " variant " << variant;
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 88);  // 22 (shape, axis) pairs x 2 ops x 2 variants
}

// A Scale without bias keeps the sign of a zero product: x * s, never x * s + 0.
TEST(ChannelAffineKernel, ScaleWithoutBiasKeepsNegativeZero) {
  OneOp c;
  c.op = "Scale";
  c.inputs = {Tensor::from_floats(Shape{1, 2}, std::vector<float>{-0.0f, 3.0f})};
  c.constants.push_back({"s", Tensor::from_floats(Shape{2}, std::vector<float>{2.0f, -0.0f})});
  c.attrs["scale"] = TensorRef{"s"};
  auto r = compare_paths(c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto got = r->optimized.data<float>();
  EXPECT_TRUE(std::signbit(got[0]) && got[0] == 0.0f);
  EXPECT_TRUE(std::signbit(got[1]) && got[1] == 0.0f);
  EXPECT_TRUE(bit_equal(r->optimized, r->reference));
}

}  // namespace kernels_test_channel_affine
}  // namespace ingot::testing_kernels

namespace ingot::testing_kernels {
namespace kernels_test_layout_transpose {

// The NCHW <-> NHWC transposes (the nhwc_layout pass's borders, Caffe's Permute) are copies:
// bit-identical to the reference on odd sizes, batch 2 and tiles cut at every edge. Other
// permutations stay on the reference kernel.
TEST(TransposeKernel, LayoutPermutationsBitExact) {
  std::mt19937 rng(44);
  const std::vector<Shape> shapes{{2, 3, 5, 7}, {1, 33, 1, 65}, {2, 64, 31, 9}, {1, 1, 1, 1}};
  for (const Shape& shape : shapes) {
    for (const auto& perm : {std::vector<std::int64_t>{0, 2, 3, 1}, std::vector<std::int64_t>{0, 3, 1, 2}}) {
      OneOp c;
      c.op = "Transpose";
      c.attrs["perm"] = perm;
      c.inputs = {random_tensor(shape, rng)};
      auto r = compare_paths(c);
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(r->kernel.rfind("transpose NCHW to NHWC", 0) == 0 || r->kernel.rfind("transpose NHWC to NCHW", 0) == 0,
                true)
          << r->kernel;
      EXPECT_TRUE(bit_equal(r->optimized, r->reference)) << shape.to_string();
    }
  }
  OneOp other;
  other.op = "Transpose";
  other.attrs["perm"] = std::vector<std::int64_t>{0, 1, 3, 2};
  other.inputs = {random_tensor(Shape{2, 3, 4, 5}, rng)};
  auto r = compare_paths(other);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->kernel, "reference");
}

}  // namespace kernels_test_layout_transpose
}  // namespace ingot::testing_kernels
