// Element types, shapes, and tensors (owning buffers or read-only views over mapped files).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ingot/status.h"

namespace ingot {

// Numeric values are stable: they are written into .ingot files.
enum class DType : std::uint8_t { f32 = 1, f16 = 2, i32 = 3, i64 = 4, u8 = 5, boolean = 6 };

std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // "f32", "f16", "i32", "i64", "u8", "bool"
std::optional<DType> dtype_from_name(std::string_view name);
std::optional<DType> dtype_from_code(std::uint8_t code);  // nullopt for unknown codes

// Largest element count ingot accepts for one tensor (2^40): far above any real model, far
// below the point where byte sizes overflow 64 bits.
inline constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;
inline constexpr std::size_t kMaxRank = 8;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {}

  std::size_t rank() const { return dims_.size(); }
  std::int64_t operator[](std::size_t i) const { return dims_[i]; }
  std::int64_t& operator[](std::size_t i) { return dims_[i]; }
  const std::vector<std::int64_t>& dims() const { return dims_; }

  // Element count, or nullopt when a dim is negative or above kMaxElements, rank exceeds
  // kMaxRank, or the count exceeds kMaxElements. A rank-0 shape has one element.
  std::optional<std::int64_t> element_count() const;
  // Element count of a shape already known to be valid.
  std::int64_t num_elements() const;

  std::string to_string() const;  // "[1, 3, 224, 224]"
  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::vector<std::int64_t> dims_;
};

// Checks a shape from untrusted input: rank, negative dims, element count.
Status validate_shape(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;

  // Zero-filled, 64-byte aligned, writable.
  static Result<Tensor> allocate(DType dtype, const Shape& shape);
  // Read-only view of `data`; `keepalive` owns the memory (a mapped file, say).
  static Tensor view(DType dtype, const Shape& shape, const void* data,
                     std::shared_ptr<const void> keepalive);
  // Writable view of memory owned by `keepalive` (an activation arena, say).
  static Tensor wrap(DType dtype, const Shape& shape, void* data, std::shared_ptr<const void> keepalive);
  // Owning f32 tensor with the given values (values.size() must equal the shape's count).
  static Tensor from_floats(const Shape& shape, std::span<const float> values);

  bool empty() const { return data_ == nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::int64_t num_elements() const { return shape_.num_elements(); }
  std::size_t byte_size() const { return static_cast<std::size_t>(num_elements()) * dtype_size(dtype_); }
  bool writable() const { return writable_; }

  const std::byte* bytes() const { return data_; }
  std::byte* mutable_bytes();  // asserts writable()

  template <class T>
  std::span<const T> data() const {
    return {reinterpret_cast<const T*>(data_), static_cast<std::size_t>(num_elements())};
  }
  template <class T>
  std::span<T> mutable_data() {
    return {reinterpret_cast<T*>(mutable_bytes()), static_cast<std::size_t>(num_elements())};
  }

  // Same dtype, shape and bytes.
  bool bit_equal(const Tensor& other) const;
  // A writable copy that owns its bytes.
  Tensor clone() const;
  // The same elements (shared, not copied) seen with another shape of equal element count.
  Tensor reshaped(const Shape& shape) const;
  // Sees fewer (or as many) elements of the same buffer under `shape`: an op whose schema sets
  // variable_output trims its planned, largest output to the rows it produced.
  void shrink(const Shape& shape);

 private:
  DType dtype_ = DType::f32;
  Shape shape_;
  std::byte* data_ = nullptr;
  bool writable_ = false;
  std::shared_ptr<const void> owner_;
};

}  // namespace ingot
