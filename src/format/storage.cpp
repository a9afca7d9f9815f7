#include "format/storage.h"

#include "core/codebook.h"

namespace ingot::format {
namespace {

std::optional<DType> raw_dtype(DType logical) { return logical; }

std::optional<DType> f16_dtype(DType logical) {
  if (logical == DType::f32) return DType::f16;
  return std::nullopt;
}

std::optional<DType> codebook8_dtype(DType logical) {
  if (logical == DType::f32) return DType::u8;
  return std::nullopt;
}

// Code 3 was listed as reserved from the first build, so builds without codebook8 report
// such files as "unsupported", not as corrupt.
constexpr StorageType kStorageTypes[] = {
    {1, "raw", ir::Storage::raw, raw_dtype, 0, "the logical dtype's elements as they are"},
    {2, "f16", ir::Storage::f16, f16_dtype, 0, "f32 values stored as IEEE 754 binary16"},
    {3, "codebook8", ir::Storage::codebook8, codebook8_dtype, 2 * kCodebookEntries,
     "f32 values as 256 binary16 entries (ascending, one exactly 0), then one u8 index per element"},
};

}  // namespace

std::span<const StorageType> storage_types() { return kStorageTypes; }

const StorageType* find_storage(std::uint8_t code) {
  for (const auto& row : kStorageTypes) {
    if (row.code == code) return &row;
  }
  return nullptr;
}

const StorageType* find_storage(ir::Storage storage) {
  for (const auto& row : kStorageTypes) {
    if (row.storage == storage) return &row;
  }
  return nullptr;
}

std::optional<std::uint64_t> stored_byte_size(const StorageType& type, DType logical,
                                              std::int64_t elements) {
  if (type.stored_dtype == nullptr) return std::nullopt;
  const std::optional<DType> stored = type.stored_dtype(logical);
  if (!stored) return std::nullopt;
  return type.prefix_bytes + static_cast<std::uint64_t>(elements) * dtype_size(*stored);
}

}  // namespace ingot::format
