// Typed attribute values: node parameters and file metadata share this one type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ingot {

// Numeric values are stable: they are written into .ingot files. The order matches the
// alternatives of AttrValue (code = variant index + 1).
enum class AttrType : std::uint8_t {
  int_ = 1,
  float_ = 2,
  bool_ = 3,
  string = 4,
  int_list = 5,
  float_list = 6,
  string_list = 7,
  tensor = 8,
};

// A weight referenced by name from the graph's constant table.
struct TensorRef {
  std::string name;
  friend bool operator==(const TensorRef&, const TensorRef&) = default;
};

// Floats are doubles so that values from JSON configs (epsilon=0.001) survive unchanged.
using AttrValue = std::variant<std::int64_t, double, bool, std::string, std::vector<std::int64_t>,
                               std::vector<double>, std::vector<std::string>, TensorRef>;

// Ordered by name, which makes every walk over attributes deterministic.
using AttrMap = std::map<std::string, AttrValue, std::less<>>;

inline AttrType attr_type(const AttrValue& v) { return static_cast<AttrType>(v.index() + 1); }
const char* attr_type_name(AttrType type);  // "int", "float", ..., "tensor"
std::optional<AttrType> attr_type_from_code(std::uint8_t code);

// A short human-readable rendering: 3, 0.5, true, "same", [1, 2], tensor 'conv1/kernel'.
std::string attr_to_string(const AttrValue& v);

// Bit-exact equality (NaN payloads included), unlike operator== on doubles.
bool attr_bit_equal(const AttrValue& a, const AttrValue& b);

}  // namespace ingot
