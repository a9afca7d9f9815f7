// Round trips: graphs built in code are written and read back identical, bit for bit, through
// memory and through mmap; the bytes are deterministic and laid out as docs/format.md says.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "format/format.h"
#include "format/format_test_util.h"
#include "format/reader.h"
#include "format/storage.h"

namespace ingot::formattest {
namespace format_test_roundtrip {

void expect_round_trip(const ir::Graph& g, const OpRegistry& registry) {
  const Bytes bytes = serialize_or_die(g);
  auto back = parse(bytes, registry);
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_same_graph(g, *back);
}

TEST(FormatRoundTrip, EveryAttributeTypeAndEdgeValueInMemory) {
  expect_round_trip(every_type_graph(), test_registry());
}

TEST(FormatRoundTrip, CnnOfBuiltinOpsInMemory) { expect_round_trip(cnn_graph(), builtin_ops()); }

TEST(FormatRoundTrip, MatrixAndTinyGraphs) {
  expect_round_trip(matrix_graph(), builtin_ops());
  expect_round_trip(tiny_graph(), builtin_ops());
}

TEST(FormatRoundTrip, GraphWithoutMetadataOrConstants) {
  ir::Graph g;
  g.add_input("x", Shape{});  // rank 0
  g.add_node("r", "ReLU", {"x"});
  g.add_output("r");
  ASSERT_TRUE(ir::infer_shapes(g, builtin_ops()).ok());
  expect_round_trip(g, builtin_ops());
}

TEST(FormatRoundTrip, ThroughMappedFileWithAlignedViews) {
  TempDir dir("roundtrip");
  const ir::Graph g = every_type_graph();
  const std::string path = dir.file("every.ingot");
  Status st = format::write_model(path, g, test_registry());
  ASSERT_TRUE(st.ok()) << st.message();
  auto back = format::read_model(path, test_registry());
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_same_graph(g, *back);
  for (const auto& c : back->constants) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(c.payload.bytes()) % format::kDataAlignment, 0u)
        << c.name;
    EXPECT_FALSE(c.payload.writable()) << c.name << " must be a view into the mapping";
  }
  // The mapping outlives the call: the constants keep it alive after the file is gone.
  std::filesystem::remove(path);
  const ir::Constant* w32 = back->find_constant("w32");
  ASSERT_NE(w32, nullptr);
  EXPECT_EQ(w32->payload.data<float>()[0], 1.0f);
}

TEST(FormatRoundTrip, F16ConstantsKeepTheirHalvesAndDecode) {
  const ir::Graph g = cnn_graph();
  const Bytes bytes = serialize_or_die(g);
  auto back = parse(bytes, builtin_ops());
  ASSERT_TRUE(back.ok()) << back.status().message();
  const ir::Constant* w = back->find_constant("conv/w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->storage, ir::Storage::f16);
  EXPECT_EQ(w->dtype, DType::f32);
  EXPECT_EQ(w->payload.dtype(), DType::f16);
  auto want = ir::decode_constant(*g.find_constant("conv/w"));
  auto got = ir::decode_constant(*w);
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_TRUE(want->bit_equal(*got));
}

// The codebook lies before the indices in one tensor range (docs/format.md); read back through
// a mapping, both are views, and they decode to what was written.
TEST(FormatRoundTrip, Codebook8ConstantsKeepEntriesAndIndices) {
  TempDir dir("codebook");
  const ir::Graph g = cnn_graph();
  const std::string path = dir.file("cnn.ingot");
  Status st = format::write_model(path, g, builtin_ops());
  ASSERT_TRUE(st.ok()) << st.message();
  auto back = format::read_model(path, builtin_ops());
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_same_graph(g, *back);
  const ir::Constant* w = back->find_constant("fc/w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->storage, ir::Storage::codebook8);
  EXPECT_EQ(w->payload.dtype(), DType::u8);
  EXPECT_EQ(w->payload.shape(), (Shape{5, 4}));
  EXPECT_EQ(w->codebook.shape(), (Shape{256}));
  EXPECT_EQ(w->payload.bytes(), w->codebook.bytes() + 512);
  EXPECT_FALSE(w->payload.writable());
  auto decoded = ir::decode_constant(*w);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  // 20 distinct values: each is its own entry, off only by its binary16 rounding.
  const auto values = decoded->data<float>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float want = 0.05f * (static_cast<float>(i) - 3.25f);
    EXPECT_NEAR(values[i], want, std::abs(want) * std::ldexp(1.0, -11)) << i;
  }
}

TEST(FormatRoundTrip, UnalignedBufferIsCopiedIntoAlignedTensors) {
  const Bytes bytes = serialize_or_die(every_type_graph());
  Bytes shifted(bytes.size() + 1);
  std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
  const std::span<const std::byte> view(shifted.data() + 1, bytes.size());
  auto back = format::parse_model(view, nullptr, test_registry(), "shifted");
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_same_graph(every_type_graph(), *back);
  for (const auto& c : back->constants) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(c.payload.bytes()) % format::kDataAlignment, 0u)
        << c.name;
  }
}

TEST(FormatDeterminism, SameGraphSameBytes) {
  const Bytes a = serialize_or_die(every_type_graph());
  const Bytes b = serialize_or_die(every_type_graph());
  EXPECT_EQ(a, b);
  // And what was read back writes the same bytes again.
  auto back = parse(a, test_registry());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(serialize_or_die(*back), a);
}

TEST(FormatDeterminism, WritingTwiceGivesIdenticalFiles) {
  TempDir dir("determinism");
  const ir::Graph g = cnn_graph();
  ASSERT_TRUE(format::write_model(dir.file("a.ingot"), g, builtin_ops()).ok());
  ASSERT_TRUE(format::write_model(dir.file("b.ingot"), g, builtin_ops()).ok());
  EXPECT_EQ(read_bytes(dir.file("a.ingot")), read_bytes(dir.file("b.ingot")));
  EXPECT_EQ(read_bytes(dir.file("a.ingot")), serialize_or_die(g));
}

TEST(FormatLayout, HeaderSectionsAndAlignedZeroPaddedData) {
  const ir::Graph g = every_type_graph();
  const Bytes b = serialize_or_die(g);
  ASSERT_GE(b.size(), format::kHeaderSize);
  EXPECT_EQ(std::memcmp(b.data(), format::kMagic.data(), 8), 0);
  // Without a compilation record the file is version 1, as older builds wrote and read it.
  EXPECT_EQ(get_u32(b, format::kVersionOffset), 1u);
  EXPECT_EQ(get_u32(b, format::kReservedOffset), 0u);
  EXPECT_EQ(get_u64(b, format::kFileSizeOffset), b.size());
  EXPECT_EQ(get_u64(b, format::kChecksumOffset), format::file_checksum(b));
  const auto s = sections(b);
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s.at("META").header, format::kHeaderSize);
  EXPECT_EQ(s.at("NODE").header, s.at("META").end);
  EXPECT_EQ(s.at("TENS").header, s.at("OUTP").end);
  std::size_t pos = s.at("TENS").end;  // data section starts here
  for (const auto& c : g.constants) {
    const TensorFields f = tensor_fields(b, c.name);
    const std::uint64_t offset = get_u64(b, f.offset);
    EXPECT_EQ(offset % 64, 0u) << c.name;
    EXPECT_EQ(offset, (pos + 63) / 64 * 64) << c.name << " must follow the previous tensor";
    for (std::size_t i = pos; i < offset; ++i)
      EXPECT_EQ(b[i], std::byte{0}) << "padding byte " << i;
    EXPECT_EQ(get_u64(b, f.size), c.payload.byte_size()) << c.name;
    EXPECT_EQ(std::memcmp(&b[offset], c.payload.bytes(), c.payload.byte_size()), 0) << c.name;
    pos = offset + c.payload.byte_size();
  }
  EXPECT_EQ(pos, b.size()) << "the file ends at the last tensor's end";
}

TEST(FormatWriter, RejectsWhatTheReaderWouldReject) {
  struct Case {
    const char* name;
    std::function<void(ir::Graph&)> spoil;
    const char* fragment;
  };
  const Case cases[] = {
      {"empty node name", [](ir::Graph& g) { g.nodes[2].name.clear(); }, "name must be non-empty"},
      {"long name", [](ir::Graph& g) { g.nodes[2].name = std::string(5000, 'n'); },
       "at most 4096 bytes"},
      {"NUL in name", [](ir::Graph& g) { g.values[0].name = std::string("a\0b", 3); },
       "must not contain NUL"},
      {"metadata tensor", [](ir::Graph& g) { g.metadata["t"] = TensorRef{"fc_w"}; },
       "must not be tensor"},
      {"op version 0", [](ir::Graph& g) { g.nodes[2].version = 0; }, "op version: it must be >= 1"},
      {"bad shape", [](ir::Graph& g) { g.values[0].info.shape = Shape{-1}; }, "dims must be >= 0"},
      {"payload mismatch",
       [](ir::Graph& g) {
         g.constants[1].payload = Tensor::from_floats(Shape{3}, std::vector<float>{1, 2, 3});
       },
       "write payload: it must be f16 for logical f32 stored as f16, got f32"},
      {"no payload", [](ir::Graph& g) { g.constants[0].payload = Tensor(); }, "got no payload"},
  };
  for (const Case& c : cases) {
    ir::Graph g = matrix_graph();
    c.spoil(g);
    auto bytes = format::serialize(g);
    ASSERT_FALSE(bytes.ok()) << c.name;
    EXPECT_EQ(bytes.status().kind(), ErrorKind::bad_input) << c.name;
    EXPECT_NE(bytes.status().message().find(c.fragment), std::string::npos)
        << c.name << ": " << bytes.status().message();
  }
}

TEST(FormatStorage, TableIsConsistent) {
  std::set<int> codes;
  for (const auto& row : format::storage_types()) {
    EXPECT_TRUE(codes.insert(row.code).second) << row.name;
    EXPECT_EQ(format::find_storage(row.code), &row);
    if (row.storage) {
      EXPECT_EQ(format::find_storage(*row.storage), &row);
      EXPECT_EQ(static_cast<int>(*row.storage), row.code)
          << "ir::Storage values are the file codes";
      ASSERT_NE(row.stored_dtype, nullptr);
    }
  }
  EXPECT_EQ(format::find_storage(std::uint8_t{0}), nullptr);
  const auto* codebook = format::find_storage(std::uint8_t{3});
  ASSERT_NE(codebook, nullptr);
  EXPECT_STREQ(codebook->name, "codebook8");
  EXPECT_EQ(codebook->storage, ir::Storage::codebook8);
  EXPECT_EQ(format::stored_byte_size(*codebook, DType::f32, 10), 512u + 10u) << "256 halves, then the indices";
  EXPECT_FALSE(format::stored_byte_size(*codebook, DType::i32, 10));
  const auto* f16 = format::find_storage(ir::Storage::f16);
  EXPECT_EQ(format::stored_byte_size(*f16, DType::f32, 10), 20u);
  EXPECT_FALSE(format::stored_byte_size(*f16, DType::i32, 10));
  EXPECT_EQ(format::stored_byte_size(*format::find_storage(ir::Storage::raw), DType::i64, 3), 24u);
}


// ---- Version 2: the compilation record ----

TEST(FormatCompiled, RecordRoundTripsAsVersion2InMemoryAndThroughMmap) {
  const ir::Graph g = compiled_cnn_graph();
  expect_round_trip(g, builtin_ops());
  const Bytes b = serialize_or_die(g);
  EXPECT_EQ(get_u32(b, format::kVersionOffset), 2u);
  const auto s = sections(b);
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s.at("CMPL").header, s.at("TENS").end);
  // The data section begins after CMPL: the first tensor is the first 64-byte boundary past it.
  const std::size_t first = get_u64(b, tensor_fields(b, g.constants[0].name).offset);
  EXPECT_EQ(first, (s.at("CMPL").end + 63) / 64 * 64);
  TempDir dir("compiled");
  ASSERT_TRUE(format::write_model(dir.file("c.ingot"), g, builtin_ops()).ok());
  auto back = format::read_model(dir.file("c.ingot"), builtin_ops());
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_same_graph(g, *back);
}

TEST(FormatCompiled, UncompiledGraphsKeepTheirVersion1Bytes) {
  ir::Graph g = compiled_cnn_graph();
  g.compilation.reset();
  EXPECT_EQ(serialize_or_die(g), serialize_or_die(cnn_graph()));
  EXPECT_EQ(get_u32(serialize_or_die(g), format::kVersionOffset), 1u);
}

// Byte surgery on the record: each damaged field gets its own message and kind.
TEST(FormatCompiled, DamagedRecordsAreRejected) {
  struct Case {
    const char* name;
    std::function<void(Bytes&)> spoil;
    ErrorKind kind;
    const char* fragment;
  };
  const auto run_kind_at = [](const Bytes& b) {
    // The first run's kind byte follows the target name, text, three type bytes and the count.
    const std::size_t text = find_string(b, "CMPL", "test-device") + 4 + 11;
    return text + 4 + get_u32(b, text) + 3 + 4;
  };
  const Case cases[] = {
      {"run kind 2", [&](Bytes& b) { b[run_kind_at(b)] = std::byte{2}; }, ErrorKind::bad_input,
       "read run kind at byte"},
      {"activation type i64",
       [&](Bytes& b) { b[run_kind_at(b) - 7] = static_cast<std::byte>(DType::i64); }, ErrorKind::bad_input,
       "activation type at byte"},
      {"unknown node", [](Bytes& b) { put_text(b, find_string(b, "CMPL", "relu") + 4, "rel_"); },
       ErrorKind::verification, "names node 'rel_'"},
      {"node in two runs", [](Bytes& b) { put_text(b, find_string(b, "CMPL", "pool") + 4, "relu"); },
       ErrorKind::verification, "is in runs 0 and 0"},
      {"labelled version 1", [](Bytes& b) { put_u32(b, format::kVersionOffset, 1); }, ErrorKind::bad_input,
       "data section"},
  };
  for (const Case& c : cases) {
    Bytes b = serialize_or_die(compiled_cnn_graph());
    c.spoil(b);
    refresh(b);
    auto back = parse(b, builtin_ops());
    ASSERT_FALSE(back.ok()) << c.name;
    EXPECT_EQ(back.status().kind(), c.kind) << c.name << ": " << back.status().message();
    EXPECT_NE(back.status().message().find(c.fragment), std::string::npos) << c.name << ": " << back.status().message();
  }
  // A truncated record (the body shortened by one byte, its length kept) never reads past it.
  Bytes b = serialize_or_die(compiled_cnn_graph());
  const auto s = sections(b);
  put_u64(b, s.at("CMPL").header + 4, s.at("CMPL").end - s.at("CMPL").begin - 1);
  refresh(b);
  auto back = parse(b, builtin_ops());
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().kind(), ErrorKind::bad_input) << back.status().message();
}

}  // namespace format_test_roundtrip
}  // namespace ingot::formattest
