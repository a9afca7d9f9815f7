#include "ops/op_test_util.h"

namespace ingot {
namespace ops_test_affine {

using optest::fails_with;

// Hand-checked values: every scale and offset here and every product is exactly representable in
// float32, so the results are exact (tolerance 0).
TEST(AffineKernel, ScalesThenAddsElementwise) {
  auto out = optest::run("Affine", {{"scale", 0.5}, {"offset", -1.0}}, {},
                         {optest::tensor({2, 2}, {0.0f, 2.0f, -4.0f, 255.0f})});
  ASSERT_TRUE(out.ok()) << out.status().message();
  const auto y = (*out)[0].data<float>();
  EXPECT_EQ(std::vector<float>(y.begin(), y.end()), (std::vector<float>{-1.0f, 0.0f, -3.0f, 126.5f}));
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 2}));
}

TEST(AffineKernel, DefaultsAreTheIdentityAndNaNPropagates) {
  auto out = optest::run("Affine", {}, {}, {optest::tensor({3}, {1.5f, -0.0f, std::nanf("")})});
  ASSERT_TRUE(out.ok()) << out.status().message();
  const auto y = (*out)[0].data<float>();
  EXPECT_EQ(y[0], 1.5f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_TRUE(std::isnan(y[2]));
}

TEST(AffineSchema, RejectsWrongTypesAndAbsurdValues) {
  EXPECT_TRUE(fails_with(optest::bind_status("Affine", {{"scale", std::string("2")}}),
                         {"parameter 'scale' must be float", "got string \"2\""}));
  EXPECT_TRUE(fails_with(optest::bind_status("Affine", {{"offset", 1e31}}), {"parameter 'offset' must be"}));
  EXPECT_TRUE(fails_with(optest::bind_status("Affine", {{"shift", 1.0}}), {"parameter 'shift' is not a parameter of op 'Affine'"}));
}

}  // namespace ops_test_affine
}  // namespace ingot
