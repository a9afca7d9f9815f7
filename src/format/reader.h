// The .ingot byte layout, versions 1 to 3, in brief (docs/format.md is the full specification):
//  1. Little-endian throughout. Integers are unaligned in the tables; only tensor data is aligned.
//  2. string = u32 byte length + bytes (no terminator); list = u32 count + items.
//  3. name = string of 1..kMaxNameBytes bytes without NUL, unique within its table.
//  4. [0, 8)   magic 89 49 4E 47 4F 54 0D 0A ("\x89INGOT\r\n").
//  5. [8, 12)  u32 format version; this build reads 1..kFormatVersion, rejects later ones.
//  6. [12, 16) u32 reserved, zero.
//  7. [16, 24) u64 file size: the whole file, so truncation and trailing bytes show at once.
//  8. [24, 32) u64 checksum: XXH3_64bits, seed 0, of bytes [0, 24) then [32, file size).
//  9. From byte 32, six sections (seven in versions 2 and 3; an empty CMPL in version 3 means no record) in this order, each u32 tag + u64 length + `length` bytes:
// 10.   "META" metadata: list of (name key, u8 attr type, value); tensor values not allowed.
// 11.   "NODE" nodes: list of (name, op name, u32 op version, list of input value names,
//        list of output value names, list of (name key, u8 attr type, value)).
// 12.   attr values: 1 int i64 | 2 float f64 bits | 3 bool u8 0/1 | 4 string | 5 int list
//        (i64 items) | 6 float list (f64 items) | 7 string list | 8 tensor (constant name).
// 13.   "VALU" value table: list of (name, u8 dtype, shape); shape = u8 rank <= 8 + i64 dims.
// 14.   "INPT" graph inputs, "OUTP" graph outputs: lists of value names.
// 15.   "TENS" tensor table: list of (name, u8 storage, u8 logical dtype, shape, u64 offset,
//        u64 byte size); storage codes come from storage.h (1 raw, 2 f16, 3 codebook8).
// 16. Version 2 only: "CMPL" compilation record: target name, string target file text, u8
//        activation dtype, u8 accumulation dtype, u8 weight storage, list of runs (u8 on device
//        0/1, string fusion, list of node names, list of source layer names, u64 tiles).
//     The tables end where the last section ends; the data section runs from there to the end.
// 17. Each tensor's stored bytes lie at its absolute offset, a multiple of 64, inside the data
//     section, without overlap; byte size = elements x size of the stored dtype.
// 18. Every byte of the data section outside a tensor is zero; the file ends at the last
//     tensor's end (no trailing bytes).
// 19. dtype codes are DType's, attr type codes AttrType's; unknown codes are malformed input.
// 20. Every count and length is checked against the bytes left in its section before use.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "format/format.h"
#include "ingot/status.h"

namespace ingot::format {

inline constexpr std::array<unsigned char, 8> kMagic = {0x89, 'I', 'N', 'G', 'O', 'T', '\r', '\n'};
inline constexpr std::size_t kVersionOffset = 8;
inline constexpr std::size_t kReservedOffset = 12;
inline constexpr std::size_t kFileSizeOffset = 16;
inline constexpr std::size_t kChecksumOffset = 24;
inline constexpr std::size_t kHeaderSize = 32;
inline constexpr std::size_t kSectionHeaderSize = 12;  // u32 tag + u64 length
inline constexpr std::size_t kMaxNameBytes = 4096;

// The sections in file order; the enum indexes kSectionTags. Version 2 files have all seven,
// version 1 files the first six.
enum class Section { metadata, nodes, values, inputs, outputs, tensors, compilation };
inline constexpr std::array<std::string_view, 7> kSectionTags = {"META", "NODE", "VALU", "INPT",
                                                                 "OUTP", "TENS", "CMPL"};
inline std::string_view section_tag(Section s) { return kSectionTags[static_cast<std::size_t>(s)]; }

// XXH3_64bits (seed 0) of the whole file except the checksum field. `file` must hold at least
// the header.
std::uint64_t file_checksum(std::span<const std::byte> file);
// The same over a file given as consecutive pieces (the checksum field may span pieces).
std::uint64_t file_checksum(std::span<const std::span<const std::byte>> pieces);

// Checks the rule every name in the file follows (line 3 above); the writer applies it too, so
// that everything written can be read back.
Status check_name(std::string_view name);

// Reads fields from [begin, end) of a file and refuses to step outside it. Errors name the
// field and its absolute byte offset, so a message points at the exact bad byte.
class Cursor {
 public:
  Cursor(std::span<const std::byte> file, std::size_t begin, std::size_t end)
      : file_(file), pos_(begin), end_(end) {}

  std::size_t offset() const { return pos_; }
  std::size_t end() const { return end_; }
  std::size_t remaining() const { return end_ - pos_; }

  Result<std::uint8_t> u8(std::string_view what);
  Result<std::uint32_t> u32(std::string_view what);
  Result<std::uint64_t> u64(std::string_view what);
  Result<std::int64_t> i64(std::string_view what);
  Result<double> f64(std::string_view what);
  // The next `n` bytes, which stay owned by the file.
  Result<std::span<const std::byte>> take(std::size_t n, std::string_view what);
  // A u32 count of items that each take at least `min_item_bytes`; rejected unless that many
  // items fit in what is left, so a hostile count never drives an allocation.
  Result<std::uint32_t> count(std::string_view what, std::size_t min_item_bytes);
  // A length-prefixed string of any bytes.
  Result<std::string> string(std::string_view what);
  // A length-prefixed string that must be a name (check_name).
  Result<std::string> name(std::string_view what);

 private:
  Status truncated(std::string_view what, std::size_t need) const;

  std::span<const std::byte> file_;
  std::size_t pos_;
  std::size_t end_;
};

}  // namespace ingot::format
