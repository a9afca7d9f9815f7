#include "runtime/npy.h"

#include <cstring>
#include <regex>

#include "core/atomic_file.h"
#include "core/mapped_file.h"

namespace ingot::npy {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;
constexpr std::size_t kMaxHeader = 1 << 20;  // real headers are ~100 bytes

struct DescrRow {
  const char* descr;
  DType dtype;
};
constexpr DescrRow kDescrs[] = {
    {"<f4", DType::f32}, {"<f2", DType::f16}, {"<i4", DType::i32},
    {"<i8", DType::i64}, {"|u1", DType::u8},  {"|b1", DType::boolean},
};

// Pulls `'key': value` out of the header dict. The header is a Python literal; we accept the
// subset numpy writes (and hand-written equivalents), nothing more.
std::optional<std::string> dict_field(const std::string& header, const std::string& key,
                                      const std::string& value_pattern) {
  const std::regex re("['\"]" + key + "['\"]\\s*:\\s*(" + value_pattern + ")");
  std::smatch m;
  if (!std::regex_search(header, m, re)) return std::nullopt;
  return m[1].str();
}

Result<Shape> parse_shape(const std::string& text) {
  if (!std::regex_match(text, std::regex("\\(\\s*(\\d+\\s*(,\\s*\\d+\\s*)*,?\\s*)?\\)"))) {
    return bad_input("field 'shape' must be a tuple of non-negative integers, got " + text);
  }
  std::vector<std::int64_t> dims;
  const std::regex num("\\d+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), num); it != std::sregex_iterator(); ++it) {
    const std::string d = it->str();
    if (d.size() > 15) return bad_input("field 'shape' dims must be at most 2^40, got " + d);
    dims.push_back(std::stoll(d));
  }
  Shape shape(std::move(dims));
  INGOT_TRY_CTX(validate_shape(shape), "field 'shape'");
  return shape;
}

Result<Tensor> make_tensor(const std::string& descr, const Shape& shape, const std::byte* data) {
  for (const auto& row : kDescrs) {
    if (descr == row.descr) {
      INGOT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(row.dtype, shape));
      std::memcpy(t.mutable_bytes(), data, t.byte_size());
      return t;
    }
  }
  // <f8: numpy's default float type; every kernel works in f32.
  INGOT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DType::f32, shape));
  auto out = t.mutable_data<float>();
  for (std::size_t i = 0; i < out.size(); ++i) {
    double v;
    std::memcpy(&v, data + i * 8, 8);
    out[i] = static_cast<float>(v);
  }
  return t;
}

std::size_t descr_size(const std::string& descr) {
  if (descr == "<f8") return 8;
  for (const auto& row : kDescrs) {
    if (descr == row.descr) return dtype_size(row.dtype);
  }
  return 0;
}

}  // namespace

Result<Tensor> parse(std::span<const std::byte> bytes, const std::string& source) {
  const std::string what = "read npy file " + quote(source);
  if (bytes.size() < kMagicSize + 4 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    return bad_input(what + ": it must start with the .npy magic \\x93NUMPY, got " +
                     (bytes.size() < kMagicSize + 4 ? std::string("a file of ") + std::to_string(bytes.size()) + " bytes"
                                                    : std::string("other bytes")));
  }
  const auto major = static_cast<std::uint8_t>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<std::uint8_t>(bytes[8]) | static_cast<std::size_t>(static_cast<std::uint8_t>(bytes[9])) << 8;
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return bad_input(what + ": header length must be 4 bytes, got a truncated file");
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(static_cast<std::uint8_t>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return bad_input(what + ": format version must be 1, 2 or 3, got " + std::to_string(major));
  }
  if (header_len > kMaxHeader || header_start + header_len > bytes.size()) {
    return bad_input(what + ": header of " + std::to_string(header_len) + " bytes must fit in the file of " +
                     std::to_string(bytes.size()) + " bytes");
  }
  const std::string header(reinterpret_cast<const char*>(bytes.data() + header_start), header_len);

  const auto descr = dict_field(header, "descr", "'[^']*'|\"[^\"]*\"");
  if (!descr) return bad_input(what + ": header field 'descr' is required, got nothing");
  const std::string d = descr->substr(1, descr->size() - 2);
  if (descr_size(d) == 0) {
    return bad_input(what + ": field 'descr' must be one of <f4 <f8 <f2 <i4 <i8 |u1 |b1, got " + *descr);
  }
  const auto fortran = dict_field(header, "fortran_order", "True|False");
  if (!fortran) return bad_input(what + ": header field 'fortran_order' is required, got nothing");
  if (*fortran == "True") return bad_input(what + ": field 'fortran_order' must be False, got True");
  const auto shape_text = dict_field(header, "shape", "\\([^)]*\\)");
  if (!shape_text) return bad_input(what + ": header field 'shape' is required, got nothing");
  INGOT_ASSIGN_OR_RETURN_CTX(Shape shape, parse_shape(*shape_text), what);

  const std::size_t data_start = header_start + header_len;
  const auto needed = static_cast<std::size_t>(shape.num_elements()) * descr_size(d);
  if (bytes.size() - data_start != needed) {
    return bad_input(what + ": data must be " + std::to_string(needed) + " bytes for shape " + shape.to_string() +
                     " and " + d + ", got " + std::to_string(bytes.size() - data_start));
  }
  return make_tensor(d, shape, bytes.data() + data_start);
}

Result<Tensor> read(const std::string& path) {
  INGOT_ASSIGN_OR_RETURN(auto file, MappedFile::open(path));
  return parse(file->bytes(), path);
}

std::string serialize(const Tensor& tensor) {
  const char* descr = "<f4";
  for (const auto& row : kDescrs) {
    if (row.dtype == tensor.dtype()) descr = row.descr;
  }
  std::string shape = "(";
  for (std::size_t i = 0; i < tensor.shape().rank(); ++i) shape += std::to_string(tensor.shape()[i]) + ", ";
  if (tensor.shape().rank() > 1) shape.resize(shape.size() - 2);
  if (tensor.shape().rank() == 1) shape.resize(shape.size() - 1);  // "(3,)"
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts 64-byte aligned, newline last, as numpy does.
  const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(tensor.bytes()), tensor.byte_size());
  return out;
}

Status write(const std::string& path, const Tensor& tensor) {
  const std::string bytes = serialize(tensor);
  return write_file_atomic(path, std::as_bytes(std::span(bytes.data(), bytes.size())));
}

}  // namespace ingot::npy
