// Reading .ingot files. Every field is untrusted: each is checked before anything uses it, and
// the only way to touch the bytes is through a Cursor, which refuses to leave its range. The
// order of checks is part of the contract: cheap whole-file checks (magic, version, size,
// checksum) first, then the tables field by field, then the data layout, then ir::verify.
#include "format/reader.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <set>

#include "core/mapped_file.h"
#include "format/storage.h"
#include "ir/passes.h"

namespace ingot::format {
namespace {

// Smallest encodings, used to bound counts: a name is a length and at least one byte.
constexpr std::size_t kMinNameBytes = 4 + 1;
constexpr std::size_t kMinAttrBytes = kMinNameBytes + 1 + 1;                // key, type, bool
constexpr std::size_t kMinNodeBytes = 2 * kMinNameBytes + 4 + 3 * 4;        // + 3 empty lists
constexpr std::size_t kMinValueBytes = kMinNameBytes + 1 + 1;               // dtype, rank 0
constexpr std::size_t kMinTensorBytes = kMinNameBytes + 1 + 1 + 1 + 8 + 8;  // ... offset, size

std::string at_byte(std::size_t offset) { return " at byte " + std::to_string(offset); }

std::uint64_t load_le(std::span<const std::byte> bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    v |= std::uint64_t{std::to_integer<std::uint8_t>(bytes[i])} << (8 * i);
  }
  return v;
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Bytes as text for messages: printable ASCII as is, the rest as \xHH.
std::string printable(std::span<const std::byte> bytes) {
  std::string s;
  for (std::byte b : bytes) {
    const auto c = std::to_integer<unsigned char>(b);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      s += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    }
  }
  return s;
}

// "1 (f32), 2 (f16), ...": the codes a lookup accepts, derived from the lookup itself so the
// message never drifts from the table.
template <class Lookup, class Name>
std::string known_codes(Lookup lookup, Name name) {
  std::string s;
  for (int code = 0; code < 256; ++code) {
    if (auto found = lookup(static_cast<std::uint8_t>(code))) {
      s += (s.empty() ? "" : ", ") + std::to_string(code) + " (" + name(*found) + ")";
    }
  }
  return s;
}

}  // namespace

std::uint64_t file_checksum(std::span<const std::byte> file) {
  const std::span<const std::byte> one[] = {file};
  return file_checksum(one);
}

std::uint64_t file_checksum(std::span<const std::span<const std::byte>> pieces) {
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                 XXH3_freeState);
  // The streaming state lives on the heap (its layout is private to the shared library); not
  // getting a few hundred bytes is out of memory, which throws everywhere else too.
  if (state == nullptr) throw std::bad_alloc();
  XXH3_64bits_reset(state.get());
  // Every byte except the 8 of the checksum field, in file order.
  const std::size_t skip_from = kChecksumOffset, skip_to = kChecksumOffset + 8;
  std::size_t at = 0;
  for (const auto& p : pieces) {
    const std::size_t begin = at, end = at + p.size();
    at = end;
    if (end <= skip_from || begin >= skip_to) {
      XXH3_64bits_update(state.get(), p.data(), p.size());
      continue;
    }
    if (begin < skip_from) XXH3_64bits_update(state.get(), p.data(), skip_from - begin);
    if (end > skip_to) XXH3_64bits_update(state.get(), p.data() + (skip_to - begin), end - skip_to);
  }
  return XXH3_64bits_digest(state.get());
}

Status check_name(std::string_view name) {
  if (name.empty()) return bad_input("name must be non-empty, got \"\"");
  if (name.size() > kMaxNameBytes) {
    return bad_input("name must be at most " + std::to_string(kMaxNameBytes) + " bytes, got " +
                     std::to_string(name.size()));
  }
  if (const auto nul = name.find('\0'); nul != std::string_view::npos) {
    return bad_input("name must not contain NUL, got one at index " + std::to_string(nul));
  }
  return {};
}

// ---- Cursor ----

Status Cursor::truncated(std::string_view what, std::size_t need) const {
  const char* where = end_ == file_.size() ? "the file" : "its section";
  return bad_input("read " + std::string(what) + at_byte(pos_) + ": it needs " +
                   std::to_string(need) + " bytes, got " + std::to_string(remaining()) +
                   " before the end of " + where + " (truncated)");
}

Result<std::span<const std::byte>> Cursor::take(std::size_t n, std::string_view what) {
  if (n > remaining()) return truncated(what, n);
  const auto out = file_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<std::uint8_t> Cursor::u8(std::string_view what) {
  INGOT_ASSIGN_OR_RETURN(const auto b, take(1, what));
  return static_cast<std::uint8_t>(load_le(b));
}

Result<std::uint32_t> Cursor::u32(std::string_view what) {
  INGOT_ASSIGN_OR_RETURN(const auto b, take(4, what));
  return static_cast<std::uint32_t>(load_le(b));
}

Result<std::uint64_t> Cursor::u64(std::string_view what) {
  INGOT_ASSIGN_OR_RETURN(const auto b, take(8, what));
  return load_le(b);
}

Result<std::int64_t> Cursor::i64(std::string_view what) {
  INGOT_ASSIGN_OR_RETURN(const std::uint64_t v, u64(what));
  return static_cast<std::int64_t>(v);
}

Result<double> Cursor::f64(std::string_view what) {
  INGOT_ASSIGN_OR_RETURN(const std::uint64_t v, u64(what));
  return std::bit_cast<double>(v);
}

Result<std::uint32_t> Cursor::count(std::string_view what, std::size_t min_item_bytes) {
  const std::size_t at = pos_;
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t n, u32(what));
  const std::size_t fits = remaining() / min_item_bytes;
  if (n > fits) {
    return bad_input("read " + std::string(what) + at_byte(at) + ": it must be at most " +
                     std::to_string(fits) + " (items of at least " +
                     std::to_string(min_item_bytes) + " bytes in the " +
                     std::to_string(remaining()) + " bytes left), got " + std::to_string(n));
  }
  return n;
}

Result<std::string> Cursor::string(std::string_view what) {
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t n, u32(std::string(what) + " length"));
  INGOT_ASSIGN_OR_RETURN(const auto b, take(n, what));
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

Result<std::string> Cursor::name(std::string_view what) {
  const std::size_t at = pos_;
  INGOT_ASSIGN_OR_RETURN(std::string s, string(what));
  INGOT_TRY_CTX(check_name(s), "read " + std::string(what) + at_byte(at));
  return s;
}

namespace {

// ---- Header ----

Status check_magic(std::span<const std::byte> file) {
  const std::size_t n = std::min(file.size(), kMagic.size());
  if (std::memcmp(file.data(), kMagic.data(), n) != 0) {
    return bad_input(
        "read magic at byte 0: it must be \\x89INGOT\\r\\n (not an .ingot file?), got " +
        printable(file.first(n)));
  }
  return {};
}

Status check_version(std::uint32_t version) {
  if (version == 0) {
    return bad_input("read format version" + at_byte(kVersionOffset) + ": it must be >= 1, got 0");
  }
  if (version > kFormatVersion) {
    return unsupported("read format version" + at_byte(kVersionOffset) + ": it must be at most " +
                       std::to_string(kFormatVersion) +
                       " for this build (a newer ingot wrote it), got " + std::to_string(version));
  }
  return {};
}

Status check_file_size(std::uint64_t recorded, std::size_t actual) {
  if (recorded == actual) return {};
  return bad_input("read file size" + at_byte(kFileSizeOffset) + ": the file must have " +
                   std::to_string(recorded) + " bytes as its header records, got " +
                   std::to_string(actual) +
                   (actual < recorded ? " (truncated)" : " (trailing bytes)"));
}

Result<std::uint32_t> check_header(std::span<const std::byte> file) {
  if (file.empty()) return bad_input("read header: the file must not be empty, got 0 bytes");
  INGOT_TRY(check_magic(file));
  if (file.size() < kHeaderSize) {
    return bad_input("read header: it needs " + std::to_string(kHeaderSize) + " bytes, got " +
                     std::to_string(file.size()) + " (truncated)");
  }
  Cursor c(file, kVersionOffset, kHeaderSize);
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t version, c.u32("format version"));
  INGOT_TRY(check_version(version));
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t reserved, c.u32("reserved header field"));
  if (reserved != 0) {
    return bad_input("read reserved header field" + at_byte(kReservedOffset) +
                     ": it must be 0, got " + std::to_string(reserved));
  }
  INGOT_ASSIGN_OR_RETURN(const std::uint64_t size, c.u64("file size"));
  INGOT_TRY(check_file_size(size, file.size()));
  INGOT_ASSIGN_OR_RETURN(const std::uint64_t recorded, c.u64("checksum"));
  const std::uint64_t computed = file_checksum(file);
  if (recorded != computed) {
    return bad_input("read checksum" + at_byte(kChecksumOffset) +
                     ": it must match the contents (XXH3-64 " + hex(computed) + "), got " +
                     hex(recorded) + " (checksum mismatch: the file is corrupted)");
  }
  return version;
}

// ---- Sections ----

Result<Cursor> open_section(std::span<const std::byte> file, Cursor& c, Section section) {
  const std::string_view tag = section_tag(section);
  const std::string what = "section '" + std::string(tag) + "'";
  const std::size_t at = c.offset();
  INGOT_ASSIGN_OR_RETURN(const auto got, c.take(4, what + " tag"));
  if (std::memcmp(got.data(), tag.data(), 4) != 0) {
    return bad_input("read " + what + at_byte(at) + ": its tag must be '" + std::string(tag) +
                     "', got '" + printable(got) + "'");
  }
  INGOT_ASSIGN_OR_RETURN(const std::uint64_t length, c.u64(what + " length"));
  if (length > c.remaining()) {
    return bad_input("read " + what + " length" + at_byte(at + 4) + ": it must be at most " +
                     std::to_string(c.remaining()) + " (the bytes left in the file), got " +
                     std::to_string(length) + " (truncated)");
  }
  Cursor body(file, c.offset(), c.offset() + length);
  INGOT_TRY(c.take(length, what).status());
  return body;
}

// Opens a section, parses its body with `parse`, and insists the body is used up.
template <class Parse>
auto read_section(std::span<const std::byte> file, Cursor& c, Section section, Parse parse)
    -> decltype(parse(c)) {
  const std::string what = "read section '" + std::string(section_tag(section)) + "'";
  INGOT_ASSIGN_OR_RETURN(Cursor body, open_section(file, c, section));
  auto result = parse(body);
  if (result.ok() && body.remaining() != 0) {
    return bad_input(what + at_byte(body.offset()) + ": its content must end at byte " +
                     std::to_string(body.end()) + ", got " + std::to_string(body.remaining()) +
                     " unread bytes");
  }
  return std::move(result).with_context(what);
}

template <class T, class ReadItem>
Result<std::vector<T>> read_list(Cursor& c, std::string_view what, std::size_t min_item_bytes,
                                 ReadItem read_item) {
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t n,
                         c.count(std::string(what) + " count", min_item_bytes));
  std::vector<T> items;  // no reserve: growth follows the bytes actually read
  for (std::uint32_t i = 0; i < n; ++i) {
    INGOT_ASSIGN_OR_RETURN(T item, read_item(c));
    items.push_back(std::move(item));
  }
  return items;
}

Result<std::vector<std::string>> read_names(Cursor& c, std::string_view what) {
  return read_list<std::string>(c, what, kMinNameBytes,
                                [what](Cursor& in) { return in.name(what); });
}

// ---- Typed values ----

Result<AttrType> read_attr_type(Cursor& c) {
  const std::size_t at = c.offset();
  INGOT_ASSIGN_OR_RETURN(const std::uint8_t code, c.u8("attribute type"));
  if (auto type = attr_type_from_code(code)) return *type;
  return bad_input("read attribute type" + at_byte(at) + ": its code must be one of " +
                   known_codes(attr_type_from_code, attr_type_name) + ", got " +
                   std::to_string(code));
}

Result<AttrValue> read_bool(Cursor& c) {
  const std::size_t at = c.offset();
  INGOT_ASSIGN_OR_RETURN(const std::uint8_t b, c.u8("bool value"));
  if (b > 1) {
    return bad_input("read bool value" + at_byte(at) + ": it must be 0 or 1, got " +
                     std::to_string(b));
  }
  return AttrValue(b == 1);
}

template <class T>
Result<AttrValue> wrap(Result<T> r) {
  if (!r.ok()) return std::move(r).status();
  return AttrValue(std::move(r).value());
}

Result<AttrValue> read_attr_value(Cursor& c, AttrType type) {
  switch (type) {
    case AttrType::int_:
      return wrap(c.i64("int value"));
    case AttrType::float_:
      return wrap(c.f64("float value"));
    case AttrType::bool_:
      return read_bool(c);
    case AttrType::string:
      return wrap(c.string("string value"));
    case AttrType::int_list:
      return wrap(read_list<std::int64_t>(c, "int list", 8,
                                          [](Cursor& in) { return in.i64("int list item"); }));
    case AttrType::float_list:
      return wrap(read_list<double>(c, "float list", 8,
                                    [](Cursor& in) { return in.f64("float list item"); }));
    case AttrType::string_list:
      return wrap(read_list<std::string>(c, "string list", 4,
                                         [](Cursor& in) { return in.string("string list item"); }));
    case AttrType::tensor: {
      INGOT_ASSIGN_OR_RETURN(std::string name, c.name("tensor name"));
      return AttrValue(TensorRef{std::move(name)});
    }
  }
  return internal_error("read attribute value: unhandled attribute type");
}

Result<DType> read_dtype(Cursor& c) {
  const std::size_t at = c.offset();
  INGOT_ASSIGN_OR_RETURN(const std::uint8_t code, c.u8("dtype"));
  if (auto dtype = dtype_from_code(code)) return *dtype;
  return bad_input("read dtype" + at_byte(at) + ": its code must be one of " +
                   known_codes(dtype_from_code, dtype_name) + ", got " + std::to_string(code));
}

// Dims from a file are hostile: bound the element count dividing before each multiplication,
// so no product can overflow, before validate_shape (which multiplies first) sees them.
Status check_element_count(const Shape& shape) {
  std::int64_t count = 1;
  for (std::int64_t d : shape.dims()) {
    if (d < 0) break;  // validate_shape reports it
    if (d != 0 && count > kMaxElements / d) {
      return bad_input("shape element count must be at most 2^40, got " + shape.to_string());
    }
    count *= d;
  }
  return {};
}

Result<Shape> read_shape(Cursor& c) {
  const std::size_t at = c.offset();
  INGOT_ASSIGN_OR_RETURN(const std::uint8_t rank, c.u8("shape rank"));
  if (rank > kMaxRank) {
    return bad_input("read shape rank" + at_byte(at) + ": it must be at most " +
                     std::to_string(kMaxRank) + ", got " + std::to_string(rank));
  }
  std::vector<std::int64_t> dims(rank);
  for (auto& d : dims) {
    INGOT_ASSIGN_OR_RETURN(d, c.i64("shape dim"));
  }
  Shape shape(std::move(dims));
  INGOT_TRY_CTX(check_element_count(shape), "read shape" + at_byte(at));
  INGOT_TRY_CTX(validate_shape(shape), "read shape" + at_byte(at));
  return shape;
}

// ---- Tables ----

// Keeps names seen in one table and rejects the second occurrence of any.
class UniqueNames {
 public:
  // `field` is what the name is, singular: "node name", "metadata key".
  Status add(const std::string& name, std::size_t at, std::string_view field) {
    if (seen_.insert(name).second) return {};
    return bad_input("read " + std::string(field) + at_byte(at) + ": " + std::string(field) +
                     "s must be unique, got " + quote(name) + " twice");
  }

 private:
  std::set<std::string, std::less<>> seen_;
};

Result<AttrMap> read_metadata(Cursor& c) {
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t n, c.count("metadata count", kMinAttrBytes));
  AttrMap metadata;
  UniqueNames keys;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::size_t at = c.offset();
    INGOT_ASSIGN_OR_RETURN(std::string key, c.name("metadata key"));
    INGOT_TRY(keys.add(key, at, "metadata key"));
    const std::size_t type_at = c.offset();
    INGOT_ASSIGN_OR_RETURN_CTX(const AttrType type, read_attr_type(c),
                               "read metadata " + quote(key));
    if (type == AttrType::tensor) {
      return bad_input("read metadata " + quote(key) + at_byte(type_at) +
                       ": its type must not be tensor, got tensor");
    }
    INGOT_ASSIGN_OR_RETURN_CTX(AttrValue value, read_attr_value(c, type),
                               "read metadata " + quote(key));
    metadata.emplace(std::move(key), std::move(value));
  }
  return metadata;
}

Status check_attr_type(const OpSchema& schema, const std::string& key, AttrType type,
                       std::size_t at) {
  const ParamSpec* spec = schema.find_param(key);
  if (spec == nullptr || spec->type == type) return {};  // unknown keys are ir::verify's to report
  // Integers stored for a float parameter (an opaque stand-in's saved "alpha": 2, read with the
  // plugin that defines the op) are widened by read_node_attrs.
  if ((spec->type == AttrType::float_ && type == AttrType::int_) ||
      (spec->type == AttrType::float_list && type == AttrType::int_list)) {
    return {};
  }
  return verification_error("read attribute " + quote(key) + at_byte(at) + ": its type must be " +
                            attr_type_name(spec->type) + " per the schema of op " +
                            quote(schema.name) + ", got " + attr_type_name(type));
}

Result<AttrMap> read_node_attrs(Cursor& c, const OpSchema& schema) {
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t n, c.count("attribute count", kMinAttrBytes));
  AttrMap attrs;
  UniqueNames keys;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::size_t at = c.offset();
    INGOT_ASSIGN_OR_RETURN(std::string key, c.name("attribute key"));
    INGOT_TRY(keys.add(key, at, "attribute key"));
    const std::size_t type_at = c.offset();
    INGOT_ASSIGN_OR_RETURN_CTX(const AttrType type, read_attr_type(c),
                               "read attribute " + quote(key));
    INGOT_TRY(check_attr_type(schema, key, type, type_at));
    INGOT_ASSIGN_OR_RETURN_CTX(AttrValue value, read_attr_value(c, type),
                               "read attribute " + quote(key));
    attrs.emplace(std::move(key), std::move(value));
  }
  widen_ints_to_schema(schema, attrs);
  return attrs;
}

Result<const OpDef*> find_op(const OpRegistry& registry, const std::string& op, std::size_t at) {
  const OpDef* def = registry.find(op);
  if (def != nullptr) return def;
  return unsupported("read op name" + at_byte(at) + ": op " + quote(op) +
                     " must be registered in this build, got an unknown op (a user op: load the library that " +
                     "registers it with --plugin)");
}

Status check_op_version(const OpSchema& s, std::uint32_t version, std::size_t at) {
  if (version >= static_cast<std::uint32_t>(s.min_version) &&
      version <= static_cast<std::uint32_t>(s.version)) {
    return {};
  }
  return unsupported("read op version" + at_byte(at) + ": op " + quote(s.name) +
                     " version must be in [" + std::to_string(s.min_version) + ", " +
                     std::to_string(s.version) + "] for this build, got " +
                     std::to_string(version));
}

Status read_node_body(Cursor& c, const OpRegistry& registry, ir::Node& node) {
  const std::size_t op_at = c.offset();
  INGOT_ASSIGN_OR_RETURN(node.op, c.name("op name"));
  INGOT_ASSIGN_OR_RETURN(const OpDef* def, find_op(registry, node.op, op_at));
  const std::size_t version_at = c.offset();
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t version, c.u32("op version"));
  INGOT_TRY(check_op_version(def->schema, version, version_at));
  node.version = static_cast<int>(version);
  INGOT_ASSIGN_OR_RETURN(node.inputs, read_names(c, "input value name"));
  INGOT_ASSIGN_OR_RETURN(node.outputs, read_names(c, "output value name"));
  INGOT_ASSIGN_OR_RETURN(node.attrs, read_node_attrs(c, def->schema));
  return {};
}

Result<std::vector<ir::Node>> read_nodes(Cursor& c, const OpRegistry& registry) {
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t n, c.count("node count", kMinNodeBytes));
  std::vector<ir::Node> nodes;
  UniqueNames names;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::string what = "read node " + std::to_string(i);
    const std::size_t at = c.offset();
    ir::Node node;
    INGOT_ASSIGN_OR_RETURN_CTX(node.name, c.name("node name"), what);
    INGOT_TRY_CTX(names.add(node.name, at, "node name"), what);
    INGOT_TRY_CTX(read_node_body(c, registry, node), what + " " + quote(node.name));
    nodes.push_back(std::move(node));
  }
  return nodes;
}

Result<std::vector<ir::Value>> read_values(Cursor& c) {
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t n, c.count("value count", kMinValueBytes));
  std::vector<ir::Value> values;
  UniqueNames names;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::string what = "read value " + std::to_string(i);
    const std::size_t at = c.offset();
    ir::Value value;
    INGOT_ASSIGN_OR_RETURN_CTX(value.name, c.name("value name"), what);
    INGOT_TRY_CTX(names.add(value.name, at, "value name"), what);
    INGOT_ASSIGN_OR_RETURN_CTX(value.info.dtype, read_dtype(c), what + " " + quote(value.name));
    INGOT_ASSIGN_OR_RETURN_CTX(value.info.shape, read_shape(c), what + " " + quote(value.name));
    values.push_back(std::move(value));
  }
  return values;
}

// One row of the tensor table, checked on its own; the layout as a whole is checked later.
struct TensorEntry {
  std::string name;
  const StorageType* storage = nullptr;
  DType dtype = DType::f32;
  Shape shape;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

Result<const StorageType*> read_storage(Cursor& c) {
  const std::size_t at = c.offset();
  INGOT_ASSIGN_OR_RETURN(const std::uint8_t code, c.u8("storage"));
  const StorageType* type = find_storage(code);
  if (type == nullptr) {
    return bad_input("read storage" + at_byte(at) + ": its code must be one of " +
                     known_codes([](std::uint8_t k) { return find_storage(k); },
                                 [](const StorageType& t) { return std::string(t.name); }) +
                     ", got " + std::to_string(code));
  }
  if (!type->storage) {
    return unsupported("read storage" + at_byte(at) +
                       ": its code must be one this build decodes, got " + std::to_string(code) +
                       " (" + quote(type->name) + ", reserved for a later ingot)");
  }
  return type;
}

// The entry's stored size as its storage, dtype and shape dictate.
Result<std::uint64_t> expected_size(const TensorEntry& e, std::size_t at) {
  if (auto size = stored_byte_size(*e.storage, e.dtype, e.shape.num_elements())) return *size;
  return bad_input("read storage" + at_byte(at) + ": storage " + quote(e.storage->name) +
                   " must suit the logical dtype, got " + dtype_name(e.dtype));
}

Status check_placement(const TensorEntry& e, std::size_t offset_at, std::size_t data_begin,
                       std::size_t file_size) {
  const std::string what = "read tensor offset" + at_byte(offset_at);
  if (e.offset % kDataAlignment != 0) {
    return bad_input(what + ": it must be a multiple of " + std::to_string(kDataAlignment) +
                     ", got " + std::to_string(e.offset) + " (misaligned)");
  }
  // Written as two comparisons so that offset + size is never computed and cannot wrap.
  if (e.offset < data_begin || e.offset > file_size || e.size > file_size - e.offset) {
    return bad_input(what + ": bytes [offset, offset + " + std::to_string(e.size) +
                     ") must lie in the data section [" + std::to_string(data_begin) + ", " +
                     std::to_string(file_size) + "), got offset " + std::to_string(e.offset) +
                     " (out of range)");
  }
  return {};
}

Status read_tensor_body(Cursor& c, TensorEntry& e, std::size_t file_size) {
  const std::size_t storage_at = c.offset();
  INGOT_ASSIGN_OR_RETURN(e.storage, read_storage(c));
  INGOT_ASSIGN_OR_RETURN(e.dtype, read_dtype(c));
  INGOT_ASSIGN_OR_RETURN(e.shape, read_shape(c));
  INGOT_ASSIGN_OR_RETURN(const std::uint64_t expected, expected_size(e, storage_at));
  const std::size_t offset_at = c.offset();
  INGOT_ASSIGN_OR_RETURN(e.offset, c.u64("tensor offset"));
  const std::size_t size_at = c.offset();
  INGOT_ASSIGN_OR_RETURN(e.size, c.u64("tensor byte size"));
  if (e.size != expected) {
    return bad_input("read tensor byte size" + at_byte(size_at) + ": it must be " +
                     std::to_string(expected) + " for " + dtype_name(e.dtype) + " " +
                     e.shape.to_string() + " stored as " + e.storage->name + ", got " +
                     std::to_string(e.size));
  }
  // The tables end where this section ends, so the data section starts there.
  return check_placement(e, offset_at, c.end(), file_size);
}

Result<std::vector<TensorEntry>> read_tensor_table(Cursor& c, std::size_t file_size) {
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t n, c.count("tensor count", kMinTensorBytes));
  std::vector<TensorEntry> entries;
  UniqueNames names;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::string what = "read tensor " + std::to_string(i);
    const std::size_t at = c.offset();
    TensorEntry e;
    INGOT_ASSIGN_OR_RETURN_CTX(e.name, c.name("tensor name"), what);
    INGOT_TRY_CTX(names.add(e.name, at, "tensor name"), what);
    INGOT_TRY_CTX(read_tensor_body(c, e, file_size), what + " " + quote(e.name));
    entries.push_back(std::move(e));
  }
  return entries;
}

// ---- Data section ----

Status check_zero(std::span<const std::byte> file, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    if (file[i] != std::byte{0}) {
      return bad_input("check data section padding" + at_byte(i) + ": it must be zero, got " +
                       std::to_string(std::to_integer<int>(file[i])));
    }
  }
  return {};
}

std::string byte_range(const TensorEntry& e) {
  return "[" + std::to_string(e.offset) + ", " + std::to_string(e.offset + e.size) + ")";
}

// Tensors in offset order must not overlap, the bytes between them must be zero, and the last
// one must end the file: nothing in the data section goes unaccounted for.
Status check_data_layout(std::span<const std::byte> file, const std::vector<TensorEntry>& entries,
                         std::size_t data_begin) {
  std::vector<const TensorEntry*> sorted;
  for (const auto& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const TensorEntry* a, const TensorEntry* b) {
    return a->offset != b->offset ? a->offset < b->offset : a->size < b->size;
  });
  std::size_t pos = data_begin;
  const TensorEntry* prev = nullptr;
  for (const TensorEntry* e : sorted) {
    // Only a previous tensor can be behind pos: every row's offset is >= data_begin.
    if (e->offset < pos) {
      return bad_input("check tensor " + quote(e->name) + ": its bytes " + byte_range(*e) +
                       " must not overlap tensor " + quote(prev->name) + " bytes " +
                       byte_range(*prev) + ", got an overlap");
    }
    INGOT_TRY(check_zero(file, pos, e->offset));
    pos = e->offset + e->size;
    prev = e;
  }
  if (pos != file.size()) {
    return bad_input("check data section" + at_byte(pos) +
                     ": the file must end at the last tensor's end (byte " + std::to_string(pos) +
                     "), got " + std::to_string(file.size() - pos) +
                     " more bytes (trailing bytes)");
  }
  return {};
}

Result<ir::Constant> make_constant(std::span<const std::byte> file,
                                   const std::shared_ptr<const void>& keepalive,
                                   const TensorEntry& e) {
  const DType stored = *e.storage->stored_dtype(e.dtype);
  const std::byte* data = file.data() + e.offset;
  ir::Constant c{.name = e.name, .dtype = e.dtype, .storage = *e.storage->storage, .payload = {}, .codebook = {}};
  const std::size_t prefix = e.storage->prefix_bytes;
  const Shape codebook_shape{static_cast<std::int64_t>(prefix / 2)};
  // Offsets are aligned relative to the file start, so in-place views are aligned only when the
  // buffer itself is (always true for mmap); otherwise copy into an aligned tensor.
  if (reinterpret_cast<std::uintptr_t>(file.data()) % kDataAlignment == 0) {
    if (prefix != 0) c.codebook = Tensor::view(DType::f16, codebook_shape, data, keepalive);
    c.payload = Tensor::view(stored, e.shape, data + prefix, keepalive);
    return c;
  }
  if (prefix != 0) {
    INGOT_ASSIGN_OR_RETURN(c.codebook, Tensor::allocate(DType::f16, codebook_shape));
    std::memcpy(c.codebook.mutable_bytes(), data, prefix);
  }
  INGOT_ASSIGN_OR_RETURN(c.payload, Tensor::allocate(stored, e.shape));
  if (e.size > prefix) std::memcpy(c.payload.mutable_bytes(), data + prefix, e.size - prefix);
  return c;
}

// ---- Compilation record (version 2) ----

Result<DType> read_numeric_type(Cursor& c, std::string_view what) {
  const std::size_t at = c.offset();
  INGOT_ASSIGN_OR_RETURN(const DType type, read_dtype(c));
  if (type != DType::f32 && type != DType::f16) {
    return bad_input("read " + std::string(what) + at_byte(at) + ": it must be f32 or f16, got " + dtype_name(type));
  }
  return type;
}

Result<ir::CompiledRun> read_run(Cursor& c) {
  ir::CompiledRun run;
  const std::size_t at = c.offset();
  INGOT_ASSIGN_OR_RETURN(const std::uint8_t kind, c.u8("run kind"));
  if (kind > 1) return bad_input("read run kind" + at_byte(at) + ": it must be 0 (host) or 1 (device), got " + std::to_string(kind));
  run.on_device = kind == 1;
  INGOT_ASSIGN_OR_RETURN(run.fusion, c.string("fusion"));
  INGOT_ASSIGN_OR_RETURN(run.nodes, read_names(c, "run node name"));
  INGOT_ASSIGN_OR_RETURN(run.layers, read_names(c, "run layer name"));
  const std::size_t tiles_at = c.offset();
  INGOT_ASSIGN_OR_RETURN(const std::uint64_t tiles, c.u64("tiles"));
  if (tiles > (std::uint64_t{1} << 32)) {
    return bad_input("read tiles" + at_byte(tiles_at) + ": it must be at most 2^32, got " + std::to_string(tiles));
  }
  run.tiles = static_cast<std::int64_t>(tiles);
  return run;
}

Result<std::optional<ir::Compilation>> read_compilation(Cursor& c) {
  ir::Compilation out;
  INGOT_ASSIGN_OR_RETURN(out.target, c.name("target name"));
  INGOT_ASSIGN_OR_RETURN(out.target_text, c.string("target text"));
  INGOT_ASSIGN_OR_RETURN(out.activations, read_numeric_type(c, "activation type"));
  INGOT_ASSIGN_OR_RETURN(out.accumulation, read_numeric_type(c, "accumulation type"));
  INGOT_ASSIGN_OR_RETURN(const StorageType* storage, read_storage(c));
  out.weights = *storage->storage;
  constexpr std::size_t kMinRunBytes = 1 + 4 + 4 + 4 + 8;
  INGOT_ASSIGN_OR_RETURN(out.runs, read_list<ir::CompiledRun>(c, "run", kMinRunBytes, read_run));
  return std::optional<ir::Compilation>(std::move(out));
}

Result<ir::Graph> parse(std::span<const std::byte> file,
                        const std::shared_ptr<const void>& keepalive, const OpRegistry& registry) {
  INGOT_ASSIGN_OR_RETURN(const std::uint32_t version, check_header(file));
  Cursor c(file, kHeaderSize, file.size());
  ir::Graph g;
  INGOT_ASSIGN_OR_RETURN(g.metadata, read_section(file, c, Section::metadata, read_metadata));
  INGOT_ASSIGN_OR_RETURN(g.nodes, read_section(file, c, Section::nodes,
                                               [&](Cursor& s) { return read_nodes(s, registry); }));
  INGOT_ASSIGN_OR_RETURN(g.values, read_section(file, c, Section::values, read_values));
  auto read_io = [](std::string_view what) {
    return [what](Cursor& s) { return read_names(s, what); };
  };
  INGOT_ASSIGN_OR_RETURN(g.inputs,
                         read_section(file, c, Section::inputs, read_io("graph input name")));
  INGOT_ASSIGN_OR_RETURN(g.outputs,
                         read_section(file, c, Section::outputs, read_io("graph output name")));
  INGOT_ASSIGN_OR_RETURN(const auto entries,
                         read_section(file, c, Section::tensors, [&](Cursor& s) {
                           return read_tensor_table(s, file.size());
                         }));
  if (version >= kFirstCompiledVersion) {
    // From version 3 on an empty CMPL section stands for a graph without a record.
    auto read_record = [version](Cursor& s) -> Result<std::optional<ir::Compilation>> {
      if (version >= kFirstOpenDimsVersion && s.remaining() == 0) return std::optional<ir::Compilation>{};
      return read_compilation(s);
    };
    INGOT_ASSIGN_OR_RETURN(g.compilation, read_section(file, c, Section::compilation, read_record));
  }
  INGOT_TRY(check_data_layout(file, entries, c.offset()));
  for (const auto& e : entries) {
    INGOT_ASSIGN_OR_RETURN(ir::Constant constant, make_constant(file, keepalive, e));
    g.constants.push_back(std::move(constant));
  }
  INGOT_TRY(ir::verify(g, registry));
  return g;
}

}  // namespace

Result<ir::Graph> parse_model(std::span<const std::byte> bytes,
                              std::shared_ptr<const void> keepalive, const OpRegistry& registry,
                              const std::string& source) {
  return parse(bytes, keepalive, registry).with_context("read file " + quote(source));
}

Result<ir::Graph> read_model(const std::string& path, const OpRegistry& registry) {
  INGOT_ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::open(path));
  return parse_model(file->bytes(), file, registry, path);
}

}  // namespace ingot::format
