#include "ingot/tensor.h"

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sys/mman.h>

namespace ingot {
namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::f32, "f32", 4}, {DType::f16, "f16", 2}, {DType::i32, "i32", 4},
    {DType::i64, "i64", 8}, {DType::u8, "u8", 1},   {DType::boolean, "bool", 1},
};

const DTypeInfo& info(DType dtype) {
  for (const auto& row : kDTypes) {
    if (row.dtype == dtype) return row;
  }
  assert(false && "unknown dtype");
  return kDTypes[0];
}

struct AlignedFree {
  void operator()(std::byte* p) const { std::free(p); }
};

// Weights and activation arenas run to megabytes. Faulting them in 4 KiB pages cost more than
// half of MobileNet's load + plan time (one kernel entry and page clear per 4 KiB), so large
// tensors come straight from mmap, which also returns them zeroed, with transparent huge
// pages requested: one fault per 2 MiB where the kernel allows it (THP "madvise" mode is
// Debian's default), plain pages otherwise.
constexpr std::size_t kLargeAllocation = std::size_t{1} << 20;

std::byte* map_zeroed(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: refusal leaves ordinary pages
  return static_cast<std::byte*>(p);
}

}  // namespace

std::size_t dtype_size(DType dtype) { return info(dtype).size; }
const char* dtype_name(DType dtype) { return info(dtype).name; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& row : kDTypes) {
    if (name == row.name) return row.dtype;
  }
  return std::nullopt;
}

std::optional<DType> dtype_from_code(std::uint8_t code) {
  for (const auto& row : kDTypes) {
    if (static_cast<std::uint8_t>(row.dtype) == code) return row.dtype;
  }
  return std::nullopt;
}

std::optional<std::int64_t> Shape::element_count() const {
  if (dims_.size() > kMaxRank) return std::nullopt;
  std::int64_t count = 1;
  for (std::int64_t d : dims_) {
    // Each dim is bounded too, so an empty shape like [0, 2^62] cannot overflow the stride
    // and window arithmetic of the ops.
    if (d < 0 || d > kMaxElements) return std::nullopt;
    // Divide before multiplying: count * d must not overflow on the way to the bound check.
    if (d != 0 && count > kMaxElements / d) return std::nullopt;
    count *= d;
  }
  return count;
}

std::int64_t Shape::num_elements() const {
  std::int64_t count = 1;
  for (std::int64_t d : dims_) count *= d;
  return count;
}

std::string Shape::to_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

Status validate_shape(const Shape& shape) {
  if (shape.rank() > kMaxRank) {
    return bad_input("shape rank must be at most " + std::to_string(kMaxRank) + ", got " +
                     std::to_string(shape.rank()));
  }
  for (std::int64_t d : shape.dims()) {
    if (d < 0) return bad_input("shape dims must be >= 0, got " + shape.to_string());
  }
  if (!shape.element_count()) {
    return bad_input("shape dims and element count must be at most 2^40, got " + shape.to_string());
  }
  return {};
}

Result<Tensor> Tensor::allocate(DType dtype, const Shape& shape) {
  INGOT_TRY(validate_shape(shape));
  const std::size_t bytes = static_cast<std::size_t>(*shape.element_count()) * dtype_size(dtype);
  // aligned_alloc wants a multiple of the alignment; never zero so empty tensors still have data.
  const std::size_t rounded = (bytes + 63) / 64 * 64 + 64;
  const bool large = rounded >= kLargeAllocation;
  auto* raw = large ? map_zeroed(rounded) : static_cast<std::byte*>(std::aligned_alloc(64, rounded));
  if (raw == nullptr) {
    return io_error("allocate tensor of " + std::to_string(bytes) + " bytes: out of memory");
  }
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.data_ = raw;
  t.writable_ = true;
  if (large) {
    t.owner_ = std::shared_ptr<std::byte>(raw, [rounded](std::byte* p) { ::munmap(p, rounded); });
  } else {
    std::memset(raw, 0, rounded);
    t.owner_ = std::shared_ptr<std::byte>(raw, AlignedFree());
  }
  return t;
}

Tensor Tensor::view(DType dtype, const Shape& shape, const void* data,
                    std::shared_ptr<const void> keepalive) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  // Views are read-only: writes go through mutable_bytes(), which refuses them.
  t.data_ = const_cast<std::byte*>(static_cast<const std::byte*>(data));
  t.writable_ = false;
  t.owner_ = std::move(keepalive);
  return t;
}

Tensor Tensor::wrap(DType dtype, const Shape& shape, void* data, std::shared_ptr<const void> keepalive) {
  Tensor t = view(dtype, shape, data, std::move(keepalive));
  t.writable_ = true;
  return t;
}

Tensor Tensor::from_floats(const Shape& shape, std::span<const float> values) {
  Tensor t = allocate(DType::f32, shape).value();
  assert(values.size() == static_cast<std::size_t>(t.num_elements()));
  if (!values.empty()) std::memcpy(t.data_, values.data(), values.size_bytes());
  return t;
}

std::byte* Tensor::mutable_bytes() {
  assert(writable_);
  return data_;
}

bool Tensor::bit_equal(const Tensor& other) const {
  if (dtype_ != other.dtype_ || shape_ != other.shape_) return false;
  if (empty() || other.empty()) return empty() == other.empty();
  return std::memcmp(data_, other.data_, byte_size()) == 0;
}

Tensor Tensor::clone() const {
  Tensor t = allocate(dtype_, shape_).value();
  if (!empty()) std::memcpy(t.data_, data_, byte_size());
  return t;
}

Tensor Tensor::reshaped(const Shape& shape) const {
  assert(shape.element_count() == shape_.element_count());
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

void Tensor::shrink(const Shape& shape) {
  assert(shape.num_elements() <= shape_.num_elements());
  shape_ = shape;
}

}  // namespace ingot
