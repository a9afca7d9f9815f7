// Carves many tensors out of a few large allocations. Plan time makes one fresh buffer per
// layer (folded weights, packed weights); from malloc each is its own mmap, faulted in 4 KiB
// pages, which cost more than the work written into them. Chunks come from Tensor::allocate
// (huge pages where the kernel allows), and every tensor keeps its chunk alive, so the arena
// itself may go as soon as the last tensor is carved.
#pragma once

#include <cstddef>
#include <memory>

#include "ingot/tensor.h"

namespace ingot {

class TensorArena {
 public:
  // A chunk is at least `chunk_bytes`; a tensor larger than that gets a chunk of its own size.
  explicit TensorArena(std::size_t chunk_bytes = std::size_t{8} << 20) : chunk_bytes_(chunk_bytes) {}

  // Zero-filled, 64-byte aligned, writable, like Tensor::allocate.
  Result<Tensor> allocate(DType dtype, const Shape& shape);
  // Raw zero-filled bytes for a library that writes its own layout (oneDNN's packed weights).
  Result<Tensor> allocate_bytes(std::size_t bytes) {
    return allocate(DType::u8, Shape{static_cast<std::int64_t>(bytes)});
  }

 private:
  std::size_t chunk_bytes_;
  std::shared_ptr<Tensor> chunk_;
  std::size_t used_ = 0;
};

}  // namespace ingot
