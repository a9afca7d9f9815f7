#include <gtest/gtest.h>

#include <cstdint>

#include "ingot/tensor.h"

namespace ingot {
namespace unit_test_tensor {

TEST(Shape, CountsAndText) {
  EXPECT_EQ(Shape({2, 3, 4}).element_count(), 24);
  EXPECT_EQ(Shape().element_count(), 1);  // scalar
  EXPECT_EQ(Shape({0, 5}).element_count(), 0);
  EXPECT_EQ(Shape({1, 3, 224, 224}).to_string(), "[1, 3, 224, 224]");
}

TEST(Shape, RejectsHostileShapes) {
  EXPECT_FALSE(Shape({-1, 3}).element_count());
  EXPECT_FALSE(Shape({std::int64_t{1} << 21, std::int64_t{1} << 21}).element_count());  // 2^42
  EXPECT_FALSE(Shape({INT64_MAX, INT64_MAX}).element_count());  // would overflow
  EXPECT_FALSE(Shape({1, 1, 1, 1, 1, 1, 1, 1, 1}).element_count());  // rank 9
  const Status st = validate_shape(Shape({2, -3}));
  EXPECT_EQ(st.kind(), ErrorKind::bad_input);
  EXPECT_EQ(st.message(), "shape dims must be >= 0, got [2, -3]");
}

TEST(DType, NamesSizesCodes) {
  EXPECT_EQ(dtype_size(DType::f16), 2u);
  EXPECT_EQ(dtype_size(DType::i64), 8u);
  EXPECT_STREQ(dtype_name(DType::boolean), "bool");
  EXPECT_EQ(dtype_from_name("u8"), DType::u8);
  EXPECT_FALSE(dtype_from_name("f64"));
  EXPECT_EQ(dtype_from_code(2), DType::f16);
  EXPECT_FALSE(dtype_from_code(0));
  EXPECT_FALSE(dtype_from_code(7));
}

TEST(Tensor, AllocateIsZeroedAlignedAndWritable) {
  auto t = Tensor::allocate(DType::f32, Shape{3, 5});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t->bytes()) % 64, 0u);
  EXPECT_EQ(t->byte_size(), 60u);
  for (float v : t->data<float>()) EXPECT_EQ(v, 0.0f);
  t->mutable_data<float>()[4] = 2.5f;
  EXPECT_EQ(t->data<float>()[4], 2.5f);
  EXPECT_FALSE(Tensor::allocate(DType::f32, Shape{-1}).ok());
}

TEST(Tensor, ViewSharesMemoryAndKeepsOwnerAlive) {
  auto owner = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3, 4});
  Tensor v = Tensor::view(DType::f32, Shape{2, 2}, owner->data(), owner);
  std::weak_ptr<std::vector<float>> weak = owner;
  owner.reset();
  ASSERT_FALSE(weak.expired());  // the view holds it
  EXPECT_FALSE(v.writable());
  EXPECT_EQ(v.data<float>()[3], 4.0f);
  Tensor c = v.clone();
  EXPECT_TRUE(c.writable());
  EXPECT_TRUE(c.bit_equal(v));
  c.mutable_data<float>()[0] = 9;
  EXPECT_FALSE(c.bit_equal(v));
  v = Tensor();
  EXPECT_TRUE(weak.expired());
}

}  // namespace unit_test_tensor
}  // namespace ingot
