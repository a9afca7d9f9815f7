#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/tensor_arena.h"

namespace ingot {
namespace unit_test_tensor_arena {

bool all_zero(const Tensor& t) {
  const auto* b = t.bytes();
  return std::all_of(b, b + t.byte_size(), [](std::byte x) { return x == std::byte{0}; });
}

bool aligned64(const Tensor& t) { return reinterpret_cast<std::uintptr_t>(t.bytes()) % 64 == 0; }

TEST(TensorArena, CarvesZeroedAlignedDisjointTensorsThatOutliveIt) {
  std::vector<Tensor> carved;
  {
    TensorArena arena(4096);
    for (std::int64_t n : {1, 17, 100, 3, 250}) {
      auto t = arena.allocate(DType::f32, Shape{n});
      ASSERT_TRUE(t.ok()) << t.status().message();
      EXPECT_EQ(t->shape(), Shape{n});
      EXPECT_TRUE(t->writable());
      EXPECT_TRUE(aligned64(*t));
      EXPECT_TRUE(all_zero(*t));
      carved.push_back(std::move(*t));
    }
  }  // the arena is gone; its chunks live on in the tensors
  // Fill each with its own index, then check nothing overlapped (ASan also checks the bounds).
  for (std::size_t i = 0; i < carved.size(); ++i) {
    for (float& v : carved[i].mutable_data<float>()) v = static_cast<float>(i + 1);
  }
  for (std::size_t i = 0; i < carved.size(); ++i) {
    for (float v : carved[i].data<float>()) ASSERT_EQ(v, static_cast<float>(i + 1)) << "tensor " << i;
  }
  // Small tensors share a chunk: the second sits right after the first's rounded size.
  EXPECT_EQ(carved[1].bytes() - carved[0].bytes(), 128);
}

TEST(TensorArena, LargeTensorsGetTheirOwnAllocationAndKeepTheChunkTail) {
  TensorArena arena(4096);
  auto small = arena.allocate(DType::u8, Shape{10});
  auto large = arena.allocate_bytes(3000);  // half a chunk or more: its own allocation
  auto next = arena.allocate(DType::u8, Shape{10});
  ASSERT_TRUE(small.ok() && large.ok() && next.ok());
  EXPECT_EQ(large->byte_size(), 3000u);
  EXPECT_TRUE(all_zero(*large));
  EXPECT_EQ(next->bytes() - small->bytes(), 128);  // still the first chunk
}

TEST(TensorArena, HugeTensorsComeFromTheMappedPathZeroed) {
  TensorArena arena;
  auto t = arena.allocate(DType::f32, Shape{3 << 20});  // 12 MiB: past the arena's chunk and mmap threshold
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(aligned64(*t));
  EXPECT_TRUE(all_zero(*t));
  t->mutable_data<float>().back() = 1.0f;  // writable to the last element
}

TEST(TensorArena, RejectsHostileShapes) {
  TensorArena arena;
  const auto t = arena.allocate(DType::f32, Shape{2, -3});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "shape dims must be >= 0, got [2, -3]");
}

}  // namespace unit_test_tensor_arena
}  // namespace ingot
