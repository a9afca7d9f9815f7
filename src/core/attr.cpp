#include "ingot/attr.h"

#include <bit>
#include <charconv>
#include <cstring>

namespace ingot {
namespace {

constexpr const char* kTypeNames[] = {"int",      "float",      "bool",        "string",
                                      "int list", "float list", "string list", "tensor"};

std::string format_double(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest form that round-trips
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

template <class T, class F>
std::string join(const std::vector<T>& items, F&& render) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) s += ", ";
    s += render(items[i]);
  }
  return s + "]";
}

std::string quote_string(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

const char* attr_type_name(AttrType type) {
  const auto i = static_cast<std::size_t>(type) - 1;
  return i < std::size(kTypeNames) ? kTypeNames[i] : "unknown";
}

std::optional<AttrType> attr_type_from_code(std::uint8_t code) {
  if (code < 1 || code > std::size(kTypeNames)) return std::nullopt;
  return static_cast<AttrType>(code);
}

std::string attr_to_string(const AttrValue& v) {
  switch (attr_type(v)) {
    case AttrType::int_: return std::to_string(std::get<std::int64_t>(v));
    case AttrType::float_: return format_double(std::get<double>(v));
    case AttrType::bool_: return std::get<bool>(v) ? "true" : "false";
    case AttrType::string: return quote_string(std::get<std::string>(v));
    case AttrType::int_list:
      return join(std::get<std::vector<std::int64_t>>(v), [](std::int64_t x) { return std::to_string(x); });
    case AttrType::float_list: return join(std::get<std::vector<double>>(v), format_double);
    case AttrType::string_list: return join(std::get<std::vector<std::string>>(v), quote_string);
    case AttrType::tensor: return "tensor '" + std::get<TensorRef>(v).name + "'";
  }
  return "?";
}

bool attr_bit_equal(const AttrValue& a, const AttrValue& b) {
  if (a.index() != b.index()) return false;
  if (const double* x = std::get_if<double>(&a)) {
    return std::bit_cast<std::uint64_t>(*x) == std::bit_cast<std::uint64_t>(std::get<double>(b));
  }
  if (const auto* x = std::get_if<std::vector<double>>(&a)) {
    const auto& y = std::get<std::vector<double>>(b);
    return x->size() == y.size() &&
           (x->empty() || std::memcmp(x->data(), y.data(), x->size() * sizeof(double)) == 0);
  }
  return a == b;
}

}  // namespace ingot
