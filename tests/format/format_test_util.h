// Shared helpers for tests/format: sample graphs, a registry with a test-only op taking every
// attribute type, graph comparison, and byte surgery on .ingot files (finding sections and
// fields, patching them, refreshing the size and checksum so a corruption reaches its check).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "format/format.h"
#include "format/reader.h"
#include "ir/graph.h"
#include "ir/passes.h"

namespace ingot::formattest {

using Bytes = std::vector<std::byte>;

// builtin_registry() plus "EveryType", an identity op with one optional parameter of each
// attribute type, a required tensor and an optional tensor.
const OpRegistry& test_registry();
// The built-in ops only: what `ingot inspect` sees.
const OpRegistry& builtin_ops();

// Metadata with one entry of every non-tensor type, edge values included.
AttrMap every_type_metadata();
// EveryType attributes with edge values (NaN, -0.0, inf, INT64_MIN/MAX, empty lists, empty and
// unicode strings); `weights` names the required tensor.
AttrMap every_type_attrs(const std::string& weights);

// Two inputs, two outputs, EveryType and ReLU nodes, f32/f16/i64/u8 and empty constants, one
// constant shared by two nodes. Needs test_registry(). Shapes inferred.
ir::Graph every_type_graph();
// A small CNN of built-in ops: Conv2D (f16 weights) -> ReLU -> MaxPool2D -> Dense, plus Add.
ir::Graph cnn_graph();
// cnn_graph() with a compilation record: two device runs and a host op (a version 2 file).
ir::Graph compiled_cnn_graph();
// The graph the corruption matrix patches: built-in ops only (Input, Dense, Add, ReLU).
ir::Graph matrix_graph();
// The smallest useful file: one input, one ReLU, one constant.
ir::Graph tiny_graph();

Bytes serialize_or_die(const ir::Graph& g);
Result<ir::Graph> parse(const Bytes& bytes, const OpRegistry& registry);

// Node for node, bit for bit (attr_bit_equal, Tensor::bit_equal).
void expect_same_graph(const ir::Graph& want, const ir::Graph& got);

// ---- byte surgery ----

struct SectionSpan {
  std::size_t header = 0;  // offset of the tag
  std::size_t begin = 0;   // first byte of the body
  std::size_t end = 0;     // one past the body
};
// Every section of a valid file, by tag.
std::map<std::string, SectionSpan> sections(const Bytes& b);

// Offset of the u32 length prefix of the nth occurrence of `text` as a length-prefixed string
// inside section `tag`. Fails the test (and returns 0) when absent.
std::size_t find_string(const Bytes& b, const std::string& tag, const std::string& text,
                        int nth = 0);

// Fields of a tensor table row, as absolute offsets.
struct TensorFields {
  std::size_t storage, dtype, rank, dims, offset, size;
};
TensorFields tensor_fields(const Bytes& b, const std::string& name);
// Fields of a value table row.
struct ValueFields {
  std::size_t dtype, rank, dims;
};
ValueFields value_fields(const Bytes& b, const std::string& name);

std::uint64_t get_u64(const Bytes& b, std::size_t at);
std::uint32_t get_u32(const Bytes& b, std::size_t at);
void put_u8(Bytes& b, std::size_t at, std::uint8_t v);
void put_u32(Bytes& b, std::size_t at, std::uint32_t v);
void put_u64(Bytes& b, std::size_t at, std::uint64_t v);
void put_text(Bytes& b, std::size_t at, std::string_view text);
// Rewrites the header's file size and checksum to match the bytes.
void refresh(Bytes& b);

void write_bytes(const std::string& path, const Bytes& b);
Bytes read_bytes(const std::string& path);

// A fresh empty directory, removed with everything in it by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }
  // Names of the entries in the directory, sorted.
  std::vector<std::string> entries() const;

 private:
  std::filesystem::path path_;
};

}  // namespace ingot::formattest
