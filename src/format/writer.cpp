// Writing .ingot files. The writer applies the reader's per-field rules (names, counts, shapes,
// storage) as it encodes, so every file it produces parses; the semantic rules are ir::verify's,
// which write_model runs first. Output is a pure function of the graph: walks follow the
// graph's vectors and the sorted AttrMaps, and every padding byte is zero.
#include <bit>
#include <limits>

#include "core/atomic_file.h"
#include "format/format.h"
#include "ir/open_dims.h"
#include "format/reader.h"
#include "format/storage.h"
#include "ir/passes.h"

namespace ingot::format {
namespace {

std::size_t align_up(std::size_t n, std::size_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

class ByteWriter {
 public:
  void u8(std::uint8_t v) { put(v, 1); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }  // keeps NaN payloads and -0.0
  void bytes(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void text(std::string_view s) { bytes({reinterpret_cast<const std::byte*>(s.data()), s.size()}); }
  void pad_to(std::size_t alignment) { out_.resize(align_up(out_.size(), alignment)); }  // zeros
  void patch_u64(std::size_t at, std::uint64_t v) {
    for (std::size_t i = 0; i < 8; ++i) out_[at + i] = static_cast<std::byte>(v >> (8 * i));
  }
  std::size_t size() const { return out_.size(); }
  std::vector<std::byte>& buffer() { return out_; }

 private:
  void put(std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out_.push_back(static_cast<std::byte>(v >> (8 * i)));
  }
  std::vector<std::byte> out_;
};

Status write_count(ByteWriter& w, std::size_t n, std::string_view what) {
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    return bad_input("write " + std::string(what) + ": it must be below 2^32, got " +
                     std::to_string(n));
  }
  w.u32(static_cast<std::uint32_t>(n));
  return {};
}

Status write_string(ByteWriter& w, std::string_view s, std::string_view what) {
  INGOT_TRY(write_count(w, s.size(), std::string(what) + " length"));
  w.text(s);
  return {};
}

Status write_name(ByteWriter& w, std::string_view name, std::string_view what) {
  // The enclosing context names the item; quoting a bad name here could repeat 5000 bytes or a NUL.
  INGOT_TRY_CTX(check_name(name), "write " + std::string(what));
  return write_string(w, name, what);
}

template <class T, class WriteItem>
Status write_list(ByteWriter& w, const std::vector<T>& items, std::string_view what,
                  WriteItem write_item) {
  INGOT_TRY(write_count(w, items.size(), std::string(what) + " count"));
  for (const T& item : items) INGOT_TRY(write_item(item));
  return {};
}

Status write_names(ByteWriter& w, const std::vector<std::string>& names, std::string_view what) {
  return write_list(w, names, what, [&](const std::string& n) { return write_name(w, n, what); });
}

Status write_attr_value(ByteWriter& w, const AttrValue& value) {
  switch (attr_type(value)) {
    case AttrType::int_:
      w.i64(std::get<std::int64_t>(value));
      return {};
    case AttrType::float_:
      w.f64(std::get<double>(value));
      return {};
    case AttrType::bool_:
      w.u8(std::get<bool>(value) ? 1 : 0);
      return {};
    case AttrType::string:
      return write_string(w, std::get<std::string>(value), "string value");
    case AttrType::int_list:
      return write_list(w, std::get<std::vector<std::int64_t>>(value), "int list",
                        [&](std::int64_t v) {
                          w.i64(v);
                          return Status();
                        });
    case AttrType::float_list:
      return write_list(w, std::get<std::vector<double>>(value), "float list", [&](double v) {
        w.f64(v);
        return Status();
      });
    case AttrType::string_list:
      return write_list(
          w, std::get<std::vector<std::string>>(value), "string list",
          [&](const std::string& s) { return write_string(w, s, "string list item"); });
    case AttrType::tensor:
      return write_name(w, std::get<TensorRef>(value).name, "tensor name");
  }
  return internal_error("write attribute: unhandled attribute type");
}

// Metadata and node attributes share this encoding; AttrMap's order makes it deterministic.
Status write_attrs(ByteWriter& w, const AttrMap& attrs, std::string_view what) {
  INGOT_TRY(write_count(w, attrs.size(), std::string(what) + " count"));
  for (const auto& [key, value] : attrs) {
    INGOT_TRY(write_name(w, key, std::string(what) + " key"));
    w.u8(static_cast<std::uint8_t>(attr_type(value)));
    INGOT_TRY_CTX(write_attr_value(w, value), "write " + std::string(what) + " " + quote(key));
  }
  return {};
}

Status write_metadata(ByteWriter& w, const AttrMap& metadata) {
  for (const auto& [key, value] : metadata) {
    if (attr_type(value) == AttrType::tensor) {
      return bad_input("write metadata " + quote(key) + ": its type must not be tensor, got " +
                       attr_to_string(value));
    }
  }
  return write_attrs(w, metadata, "metadata");
}

Status write_node(ByteWriter& w, const ir::Node& node) {
  INGOT_TRY(write_name(w, node.name, "node name"));
  INGOT_TRY(write_name(w, node.op, "op name"));
  if (node.version < 1) {
    return bad_input("write op version: it must be >= 1, got " + std::to_string(node.version));
  }
  w.u32(static_cast<std::uint32_t>(node.version));
  INGOT_TRY(write_names(w, node.inputs, "input value name"));
  INGOT_TRY(write_names(w, node.outputs, "output value name"));
  return write_attrs(w, node.attrs, "attribute");
}

Status write_shape(ByteWriter& w, const Shape& shape) {
  INGOT_TRY_CTX(validate_shape(shape), "write shape");
  w.u8(static_cast<std::uint8_t>(shape.rank()));
  for (std::int64_t d : shape.dims()) w.i64(d);
  return {};
}

Status write_value(ByteWriter& w, const ir::Value& value) {
  INGOT_TRY(write_name(w, value.name, "value name"));
  w.u8(static_cast<std::uint8_t>(value.info.dtype));
  return write_shape(w, value.info.shape);
}

// Checks that a constant's payload is what its storage row says it is, so the byte size the
// table records is the one the reader will expect.
Result<const StorageType*> constant_storage(const ir::Constant& c) {
  const StorageType* type = find_storage(c.storage);
  if (type == nullptr) {
    return bad_input("write storage: it must be in the storage table, got code " +
                     std::to_string(static_cast<int>(c.storage)));
  }
  const std::optional<DType> stored = type->stored_dtype(c.dtype);
  if (!stored || c.payload.empty() || c.payload.dtype() != *stored) {
    return bad_input(
        std::string("write payload: it must be ") + (stored ? dtype_name(*stored) : "absent") +
        " for logical " + dtype_name(c.dtype) + " stored as " + type->name + ", got " +
        (c.payload.empty() ? std::string("no payload") : dtype_name(c.payload.dtype())));
  }
  if (c.codebook_bytes() != type->prefix_bytes) {
    return bad_input(std::string("write codebook: it must hold ") + std::to_string(type->prefix_bytes) +
                     " bytes for storage " + type->name + ", got " + std::to_string(c.codebook_bytes()));
  }
  return type;
}

// Writes one tensor table row with a zero offset; returns where the offset goes.
Result<std::size_t> write_tensor_entry(ByteWriter& w, const ir::Constant& c) {
  INGOT_TRY(write_name(w, c.name, "tensor name"));
  INGOT_ASSIGN_OR_RETURN(const StorageType* type, constant_storage(c));
  w.u8(type->code);
  w.u8(static_cast<std::uint8_t>(c.dtype));
  INGOT_TRY(write_shape(w, c.shape()));
  const std::size_t offset_at = w.size();
  w.u64(0);
  w.u64(c.stored_bytes());
  return offset_at;
}

Status write_compilation(ByteWriter& w, const ir::Compilation& c) {
  INGOT_TRY(write_name(w, c.target, "target name"));
  INGOT_TRY(write_string(w, c.target_text, "target text"));
  w.u8(static_cast<std::uint8_t>(c.activations));
  w.u8(static_cast<std::uint8_t>(c.accumulation));
  w.u8(static_cast<std::uint8_t>(c.weights));
  INGOT_TRY(write_count(w, c.runs.size(), "run count"));
  for (std::size_t i = 0; i < c.runs.size(); ++i) {
    const ir::CompiledRun& run = c.runs[i];
    const std::string what = "write run " + std::to_string(i);
    w.u8(run.on_device ? 1 : 0);
    INGOT_TRY_CTX(write_string(w, run.fusion, "fusion"), what);
    INGOT_TRY_CTX(write_names(w, run.nodes, "run node name"), what);
    INGOT_TRY_CTX(write_names(w, run.layers, "run layer name"), what);
    if (run.tiles < 0) return bad_input(what + ": tiles must be >= 0, got " + std::to_string(run.tiles));
    w.u64(static_cast<std::uint64_t>(run.tiles));
  }
  return {};
}

template <class Fill>
Status write_section(ByteWriter& w, Section section, Fill fill) {
  w.text(section_tag(section));
  const std::size_t length_at = w.size();
  w.u64(0);
  INGOT_TRY_CTX(fill(), "write section '" + std::string(section_tag(section)) + "'");
  w.patch_u64(length_at, w.size() - length_at - 8);
  return {};
}

template <class T, class WriteItem>
Status write_table(ByteWriter& w, const std::vector<T>& items, std::string_view what,
                   WriteItem write_item) {
  INGOT_TRY(write_count(w, items.size(), std::string(what) + " count"));
  for (std::size_t i = 0; i < items.size(); ++i) {
    INGOT_TRY_CTX(write_item(items[i]), "write " + std::string(what) + " " + std::to_string(i) +
                                            " " + quote(items[i].name));
  }
  return {};
}

Status write_tables(ByteWriter& w, const ir::Graph& g, std::vector<std::size_t>& offset_fields) {
  INGOT_TRY(write_section(w, Section::metadata, [&] { return write_metadata(w, g.metadata); }));
  INGOT_TRY(write_section(w, Section::nodes, [&] {
    return write_table(w, g.nodes, "node", [&](const ir::Node& n) { return write_node(w, n); });
  }));
  INGOT_TRY(write_section(w, Section::values, [&] {
    return write_table(w, g.values, "value", [&](const ir::Value& v) { return write_value(w, v); });
  }));
  INGOT_TRY(write_section(w, Section::inputs,
                          [&] { return write_names(w, g.inputs, "graph input name"); }));
  INGOT_TRY(write_section(w, Section::outputs,
                          [&] { return write_names(w, g.outputs, "graph output name"); }));
  INGOT_TRY(write_section(w, Section::tensors, [&] {
    return write_table(w, g.constants, "tensor", [&](const ir::Constant& c) -> Status {
      INGOT_ASSIGN_OR_RETURN(const std::size_t at, write_tensor_entry(w, c));
      offset_fields.push_back(at);
      return {};
    });
  }));
  // Version 3 always has the section, empty for a graph without a compilation record.
  if (!g.compilation && !ir::has_open_dims(g)) return {};
  return write_section(w, Section::compilation,
                       [&] { return g.compilation ? write_compilation(w, *g.compilation) : Status(); });
}

void write_header(ByteWriter& w, std::uint32_t version) {
  for (unsigned char b : kMagic) w.u8(b);
  w.u32(version);
  w.u32(0);  // reserved
  w.u64(0);  // file size, patched at the end
  w.u64(0);  // checksum, patched at the end
}

// The file as pieces: the header and tables in one buffer (with every payload's offset
// patched in), then each payload after its zero padding, straight from the graph's tensors.
struct Pieces {
  std::vector<std::byte> head;
  std::vector<std::span<const std::byte>> spans;  // head, then padding and payload, in order
};

}  // namespace

std::uint32_t version_for(const ir::Graph& graph) {
  if (ir::has_open_dims(graph)) return kFirstOpenDimsVersion;
  return graph.compilation ? kFirstCompiledVersion : 1;
}

namespace {

Result<Pieces> serialize_pieces(const ir::Graph& graph) {
  static constexpr std::byte kZeros[kDataAlignment] = {};
  ByteWriter w;
  write_header(w, version_for(graph));
  std::vector<std::size_t> offset_fields;
  INGOT_TRY(write_tables(w, graph, offset_fields));
  std::size_t end = w.size();
  std::vector<std::pair<std::size_t, std::size_t>> layout;  // padding, then offset, per payload
  for (std::size_t i = 0; i < graph.constants.size(); ++i) {
    const std::size_t at = align_up(end, kDataAlignment);
    layout.emplace_back(at - end, at);
    w.patch_u64(offset_fields[i], at);
    end = at + graph.constants[i].stored_bytes();
  }
  w.patch_u64(kFileSizeOffset, end);
  Pieces out{std::move(w.buffer()), {}};
  out.spans.emplace_back(out.head);
  for (std::size_t i = 0; i < graph.constants.size(); ++i) {
    const ir::Constant& c = graph.constants[i];
    out.spans.emplace_back(kZeros, layout[i].first);
    if (!c.codebook.empty()) out.spans.emplace_back(c.codebook.bytes(), c.codebook.byte_size());
    out.spans.emplace_back(c.payload.bytes(), c.payload.byte_size());
  }
  const std::uint64_t checksum = file_checksum(out.spans);
  for (std::size_t i = 0; i < 8; ++i) out.head[kChecksumOffset + i] = static_cast<std::byte>(checksum >> (8 * i));
  return out;
}

}  // namespace

Result<std::vector<std::byte>> serialize(const ir::Graph& graph) {
  INGOT_ASSIGN_OR_RETURN(const Pieces pieces, serialize_pieces(graph));
  std::vector<std::byte> out;
  for (const auto& p : pieces.spans) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Status write_model(const std::string& path, const ir::Graph& graph, const OpRegistry& registry) {
  const std::string what = "write file " + quote(path);
  INGOT_TRY_CTX(ir::verify(graph, registry), what);
  INGOT_ASSIGN_OR_RETURN_CTX(const Pieces pieces, serialize_pieces(graph), what);
  return write_file_atomic(path, pieces.spans);  // its messages name the file already
}

}  // namespace ingot::format
