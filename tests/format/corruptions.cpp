#include "format/corruptions.h"

#include <cstring>
#include <limits>

namespace ingot::formattest {
namespace {

using Patch = std::function<void(Bytes&)>;
enum class Fix { refresh, none };

constexpr ErrorKind kBad = ErrorKind::bad_input;
constexpr ErrorKind kUnsupported = ErrorKind::unsupported;
constexpr ErrorKind kVerify = ErrorKind::verification;

Corruption make_case(std::string name, ErrorKind kind, std::string fragment, Patch patch,
                     Fix fix = Fix::refresh) {
  return {std::move(name),
          [patch, fix] {
            Bytes b = matrix_file();
            patch(b);
            if (fix == Fix::refresh) refresh(b);
            return b;
          },
          kind, std::move(fragment)};
}

// Offset of the byte after a length-prefixed string found by find_string.
std::size_t after(const Bytes& b, const std::string& tag, const std::string& text, int nth = 0) {
  return find_string(b, tag, text, nth) + 4 + text.size();
}

// Renames the nth occurrence of `from` in a section to `to` (same length).
Patch rename(std::string tag, std::string from, std::string to, int nth = 0) {
  return [=](Bytes& b) { put_text(b, find_string(b, tag, from, nth) + 4, to); };
}

std::size_t op_version_of(const Bytes& b, const std::string& node, const std::string& op) {
  return after(b, "NODE", node) + 4 + op.size();
}

std::vector<Corruption> header_cases() {
  return {
      make_case(
          "EmptyFile", kBad, "the file must not be empty", [](Bytes& b) { b.clear(); }, Fix::none),
      make_case(
          "NotAnIngotFile", kBad, "magic",
          [](Bytes& b) {
            const std::string text = "name: \"LeNet\"\nlayer {\n}\n";
            b.assign(reinterpret_cast<const std::byte*>(text.data()),
                     reinterpret_cast<const std::byte*>(text.data()) + text.size());
          },
          Fix::none),
      make_case(
          "BadMagic", kBad, "read magic at byte 0", [](Bytes& b) { put_text(b, 1, "X"); },
          Fix::none),
      make_case(
          "ShortHeader", kBad, "it needs 32 bytes, got 20 (truncated)",
          [](Bytes& b) { b.resize(20); }, Fix::none),
      make_case("FutureFormatVersion", kUnsupported,
                "format version at byte 8: it must be at most 3",
                [](Bytes& b) { put_u32(b, format::kVersionOffset, 4); }),
      make_case("Version2WithoutCompilationSection", kBad, "section 'CMPL'",
                [](Bytes& b) { put_u32(b, format::kVersionOffset, 2); }),
      make_case("Version3WithoutCompilationSection", kBad, "section 'CMPL'",
                [](Bytes& b) { put_u32(b, format::kVersionOffset, 3); }),
      make_case("FormatVersionZero", kBad, "it must be >= 1, got 0",
                [](Bytes& b) { put_u32(b, format::kVersionOffset, 0); }),
      make_case("ReservedHeaderField", kBad, "reserved header field at byte 12",
                [](Bytes& b) { put_u32(b, format::kReservedOffset, 1); }),
      make_case(
          "TruncatedLastByte", kBad, "as its header records, got", [](Bytes& b) { b.pop_back(); },
          Fix::none),
      make_case(
          "TrailingByte", kBad, "(trailing bytes)", [](Bytes& b) { b.push_back(std::byte{0}); },
          Fix::none),
      make_case(
          "ChecksumMismatchInData", kBad, "checksum mismatch",
          [](Bytes& b) { b.back() ^= std::byte{0x40}; }, Fix::none),
      make_case(
          "ChecksumFieldFlipped", kBad, "checksum at byte 24",
          [](Bytes& b) { b[format::kChecksumOffset] ^= std::byte{1}; }, Fix::none),
  };
}

std::vector<Corruption> section_cases() {
  return {
      make_case("WrongSectionTag", kBad, "its tag must be 'NODE', got 'NODX'",
                [](Bytes& b) { put_text(b, sections(b).at("NODE").header + 3, "X"); }),
      make_case(
          "SectionLengthBeyondFile", kBad, "(the bytes left in the file), got 1099511627776",
          [](Bytes& b) { put_u64(b, sections(b).at("TENS").header + 4, std::uint64_t{1} << 40); }),
      make_case("SectionWithUnreadBytes", kBad, "read section 'META' at byte",
                [](Bytes& b) {
                  const std::size_t at = sections(b).at("META").header + 4;
                  put_u64(b, at, get_u64(b, at) + 1);
                }),
      make_case("HugeMetadataCount", kBad, "metadata count at byte 44: it must be at most",
                [](Bytes& b) { put_u32(b, sections(b).at("META").begin, 0xFFFFFFFF); }),
      make_case("HugeNodeCount", kBad, "node count",
                [](Bytes& b) { put_u32(b, sections(b).at("NODE").begin, 0xFFFFFFFF); }),
      make_case("HugeTensorCount", kBad, "tensor count",
                [](Bytes& b) { put_u32(b, sections(b).at("TENS").begin, 0x40000000); }),
      make_case("HugeListCount", kBad, "int list count",
                [](Bytes& b) {
                  put_u32(b, after(b, "NODE", "shape") + 1, 0xFFFFFFF0);  // Input x's shape
                }),
      make_case("HugeStringLength", kBad, "it needs 2147483647 bytes",
                [](Bytes& b) { put_u32(b, find_string(b, "NODE", "relu2"), 0x7FFFFFFF); }),
      make_case("HugeGraphOutputCount", kBad, "graph output name count",
                [](Bytes& b) { put_u32(b, sections(b).at("OUTP").begin, 0x10000); }),
  };
}

std::vector<Corruption> name_cases() {
  Corruption too_long{"NameTooLong",
                      [] {
                        ir::Graph g = matrix_graph();
                        g.metadata["a"] = std::string(5000, 'z');
                        Bytes b = serialize_or_die(g);
                        put_u32(b, find_string(b, "META", "a"), 4097);
                        refresh(b);
                        return b;
                      },
                      kBad, "name must be at most 4096 bytes, got 4097"};
  return {
      too_long,
      make_case("EmptyName", kBad, "name must be non-empty",
                [](Bytes& b) { put_u32(b, find_string(b, "NODE", "sum"), 0); }),
      make_case("NulInName", kBad, "name must not contain NUL",
                [](Bytes& b) { put_u8(b, find_string(b, "NODE", "relu2") + 4 + 2, 0); }),
      make_case("DuplicateNodeName", kBad, "node names must be unique, got 'x' twice",
                rename("NODE", "y", "x")),
      make_case("DuplicateValueName", kBad, "value names must be unique, got 'x' twice",
                rename("VALU", "y", "x")),
      make_case("DuplicateTensorName", kBad, "tensor names must be unique, got 'fc_w' twice",
                rename("TENS", "fc_b", "fc_w")),
      make_case("DuplicateMetadataKey", kBad, "metadata keys must be unique, got 'dims' twice",
                rename("META", "flag", "dims")),
      make_case("DuplicateAttributeKey", kBad,
                "attribute keys must be unique, got 'max_value' twice",
                rename("NODE", "threshold", "max_value")),
  };
}

std::vector<Corruption> op_and_attr_cases() {
  return {
      make_case("UnknownOp", kUnsupported, "op 'ReLX' must be registered in this build",
                rename("NODE", "ReLU", "ReLX")),
      make_case("OpVersionTooNew", kUnsupported,
                "op 'ReLU' version must be in [1, 1] for this build, got 99",
                [](Bytes& b) { put_u32(b, op_version_of(b, "relu2", "ReLU"), 99); }),
      make_case("OpVersionZero", kUnsupported, "version must be in [1, 1] for this build, got 0",
                [](Bytes& b) { put_u32(b, op_version_of(b, "relu2", "ReLU"), 0); }),
      // (An int where the schema wants a float is widened, not refused: the reader's rule for
      // opaque stand-ins' saved ints.)
      make_case("WrongAttributeTypeForSchema", kVerify,
                "its type must be float per the schema of op 'ReLU', got bool",
                [](Bytes& b) { put_u8(b, after(b, "NODE", "max_value"), 3); }),
      make_case("UnknownAttributeTypeCode", kBad, "attribute type at byte",
                [](Bytes& b) { put_u8(b, after(b, "NODE", "negative_slope"), 9); }),
      make_case("MetadataOfTensorType", kBad, "read metadata 'producer' at byte",
                [](Bytes& b) { put_u8(b, after(b, "META", "producer"), 8); }),
      make_case("BoolNeitherZeroNorOne", kBad, "it must be 0 or 1, got 2",
                [](Bytes& b) { put_u8(b, after(b, "META", "flag") + 1, 2); }),
  };
}

std::vector<Corruption> code_and_shape_cases() {
  return {
      make_case("UnknownValueDType", kBad, "its code must be one of 1 (f32)",
                [](Bytes& b) { put_u8(b, value_fields(b, "x").dtype, 0); }),
      make_case("UnknownTensorDType", kBad, "got 200",
                [](Bytes& b) { put_u8(b, tensor_fields(b, "fc_w").dtype, 200); }),
      make_case("UnknownStorageCode", kBad, "read storage at byte",
                [](Bytes& b) { put_u8(b, tensor_fields(b, "fc_w").storage, 9); }),
      make_case("CodebookStorageOfRawBytes", kBad,
                "it must be 524 for f32 [3, 4] stored as codebook8, got 48",
                [](Bytes& b) { put_u8(b, tensor_fields(b, "fc_w").storage, 3); }),
      make_case("StorageUnsuitedToDType", kBad,
                "storage 'f16' must suit the logical dtype, got i32",
                [](Bytes& b) { put_u8(b, tensor_fields(b, "fc_b").dtype, 3); }),
      make_case("TensorRankTooLarge", kBad, "it must be at most 8, got 9",
                [](Bytes& b) { put_u8(b, tensor_fields(b, "fc_w").rank, 9); }),
      make_case("TensorNegativeDim", kBad, "shape dims must be >= 0",
                [](Bytes& b) {
                  put_u64(b, tensor_fields(b, "fc_w").dims, static_cast<std::uint64_t>(-1));
                }),
      make_case("ValueNegativeDim", kBad, "shape dims must be >= 0, got [1, -4]",
                [](Bytes& b) {
                  put_u64(b, value_fields(b, "x").dims + 8, static_cast<std::uint64_t>(-4));
                }),
      make_case("ElementCountOverflows64Bits", kBad, "element count must be at most 2^40",
                [](Bytes& b) {
                  const std::size_t dims = tensor_fields(b, "fc_w").dims;
                  put_u64(b, dims, std::uint64_t{1} << 32);
                  put_u64(b, dims + 8, std::uint64_t{1} << 32);
                }),
  };
}

std::vector<Corruption> data_cases() {
  return {
      make_case("ByteSizeNotMatchingShape", kBad,
                "it must be 48 for f32 [3, 4] stored as raw, got 47",
                [](Bytes& b) { put_u64(b, tensor_fields(b, "fc_w").size, 47); }),
      make_case("ByteSizeHuge", kBad, "got 18446744073709551615",
                [](Bytes& b) { put_u64(b, tensor_fields(b, "fc_w").size, ~std::uint64_t{0}); }),
      make_case("MisalignedOffset", kBad, "(misaligned)",
                [](Bytes& b) {
                  const std::size_t at = tensor_fields(b, "fc_w").offset;
                  put_u64(b, at, get_u64(b, at) + 8);
                }),
      make_case("OffsetBeyondFile", kBad, "(out of range)",
                [](Bytes& b) {
                  put_u64(b, tensor_fields(b, "fc_b").offset, (b.size() + 63) / 64 * 64 + 64);
                }),
      make_case("OffsetPlusSizeOverflows64Bits", kBad, "(out of range)",
                [](Bytes& b) { put_u64(b, tensor_fields(b, "fc_w").offset, ~std::uint64_t{63}); }),
      make_case("OffsetInsideTables", kBad, "(out of range)",
                [](Bytes& b) { put_u64(b, tensor_fields(b, "fc_w").offset, 64); }),
      make_case("OverlappingTensors", kBad, "must not overlap tensor 'fc_b'",
                [](Bytes& b) {
                  put_u64(b, tensor_fields(b, "fc_b").offset,
                          get_u64(b, tensor_fields(b, "fc_w").offset));
                }),
      make_case("NonZeroPadding", kBad, "padding at byte",
                [](Bytes& b) {
                  put_u8(b, get_u64(b, tensor_fields(b, "fc_w").offset) + 48,
                         0xAB);  // fc_w has 48 bytes
                }),
      make_case("TrailingBytesAfterLastTensor", kBad, "the file must end at the last tensor's end",
                [](Bytes& b) { b.resize(b.size() + 64); }),
      make_case("TruncatedInLastTensor", kBad, "(out of range)", [](Bytes& b) { b.pop_back(); }),
  };
}

std::vector<Corruption> verify_cases() {
  return {
      make_case("ValueReferencedButMissing", kVerify, "input 'fz' must be produced by a node",
                rename("NODE", "fc", "fz", 3)),  // relu2's input
      make_case("GraphOutputMissing", kVerify, "graph output 'relX' must be a produced value",
                rename("OUTP", "relu", "relX")),
      make_case("TensorReferenceMissing", kVerify, "must name a constant, got 'fc_x'",
                rename("NODE", "fc_w", "fc_x")),
      make_case("ValueShapeDisagreesWithShapeRule", kVerify, "by the shape rule, got f32 [1, 5]",
                [](Bytes& b) { put_u64(b, value_fields(b, "fc").dims + 8, 5); }),
      make_case("GraphInputListedTwice", kVerify, "graph inputs must be unique",
                rename("INPT", "y", "x")),
  };
}

}  // namespace

const Bytes& matrix_file() {
  static const Bytes bytes = serialize_or_die(matrix_graph());
  return bytes;
}

const std::vector<Corruption>& corruptions() {
  static const std::vector<Corruption> all = [] {
    std::vector<Corruption> out;
    for (auto group : {header_cases(), section_cases(), name_cases(), op_and_attr_cases(),
                       code_and_shape_cases(), data_cases(), verify_cases()}) {
      out.insert(out.end(), group.begin(), group.end());
    }
    return out;
  }();
  return all;
}

}  // namespace ingot::formattest
