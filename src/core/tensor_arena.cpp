#include "core/tensor_arena.h"

namespace ingot {

Result<Tensor> TensorArena::allocate(DType dtype, const Shape& shape) {
  INGOT_TRY(validate_shape(shape));
  const std::size_t bytes = static_cast<std::size_t>(*shape.element_count()) * dtype_size(dtype);
  // Room for kernels that read a vector's width past the end, as Tensor::allocate leaves.
  const std::size_t rounded = (bytes + 63) / 64 * 64 + 64;
  // A tensor of half a chunk or more gets its own allocation, leaving the current chunk's
  // tail for the small ones that follow.
  if (rounded >= chunk_bytes_ / 2) return Tensor::allocate(dtype, shape);
  if (!chunk_ || chunk_->byte_size() - used_ < rounded) {
    INGOT_ASSIGN_OR_RETURN(Tensor chunk,
                           Tensor::allocate(DType::u8, Shape{static_cast<std::int64_t>(chunk_bytes_)}));
    chunk_ = std::make_shared<Tensor>(std::move(chunk));
    used_ = 0;
  }
  std::byte* data = chunk_->mutable_bytes() + used_;
  used_ += rounded;
  return Tensor::wrap(dtype, shape, data, chunk_);
}

}  // namespace ingot
