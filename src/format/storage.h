// The storage-types table: how a constant's elements are encoded in the data section of a
// .ingot file. One row per storage code; the writer, the reader, `inspect` and docs/format.md
// all take their facts from here, so a new storage type is one new row.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "ingot/tensor.h"
#include "ir/graph.h"

namespace ingot::format {

struct StorageType {
  std::uint8_t code;  // written into the tensor table; stable forever
  const char* name;   // "raw", "f16", "codebook8"
  // The in-memory storage this row decodes to; nullopt for a reserved code that this build
  // recognizes but cannot decode (the reader reports it as unsupported, not as garbage).
  std::optional<ir::Storage> storage;
  // The dtype of the stored elements for a constant of logical dtype `logical`, or nullopt
  // when this storage cannot hold that dtype. Null for reserved rows.
  std::optional<DType> (*stored_dtype)(DType logical);
  // Bytes stored before the elements: codebook8's 256 binary16 entries, 0 for the others.
  std::uint64_t prefix_bytes;
  const char* doc;
};

// Every row, ordered by code.
std::span<const StorageType> storage_types();

// The row for a code read from a file; nullptr for a code no build has ever defined.
const StorageType* find_storage(std::uint8_t code);

// The row for an in-memory storage; nullptr only for a value outside the ir::Storage enum.
const StorageType* find_storage(ir::Storage storage);

// Bytes taken by `elements` stored elements of a constant with logical dtype `logical`, or
// nullopt when the row cannot hold that dtype. `elements` is at most kMaxElements, so the
// product cannot overflow.
std::optional<std::uint64_t> stored_byte_size(const StorageType& type, DType logical,
                                              std::int64_t elements);

}  // namespace ingot::format
