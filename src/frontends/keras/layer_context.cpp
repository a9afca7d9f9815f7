#include "frontends/keras/layer_context.h"

#include <algorithm>

namespace ingot::keras {
namespace {

}  // namespace

void Config::mark(const std::string& key) const {
  if (std::find(use_.read.begin(), use_.read.end(), key) == use_.read.end()) use_.read.push_back(key);
}

bool Config::has(const std::string& key) const {
  mark(key);
  return j_.contains(key) && !j_[key].is_null();
}

const json* Config::get(const std::string& key) const { return has(key) ? &j_[key] : nullptr; }

void Config::defaulted(const std::string& key, const json& value) const {
  mark(key);
  if (j_.contains(key)) return;  // saved, if only as null: the file's choice, not a default
  for (const auto& [k, v] : use_.defaulted) {
    if (k == key) return;
  }
  use_.defaulted.emplace_back(key, value);
}

Status Config::wrong(const std::string& key, const std::string& want) const {
  return bad_input("key " + quote(key) + " must be " + want + ", got " + (j_.contains(key) ? json_excerpt(j_[key], 120) : "nothing"));
}

Result<std::int64_t> Config::integer(const std::string& key) const {
  if (!has(key)) return bad_input("key " + quote(key) + " is required, got nothing");
  const json& v = j_[key];
  if (v.is_number_integer()) return v.get<std::int64_t>();
  // Some writers store integral values as floats (2.0).
  if (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<std::int64_t>(v.get<double>()))) {
    return static_cast<std::int64_t>(v.get<double>());
  }
  return wrong(key, "an integer");
}

Result<std::int64_t> Config::integer(const std::string& key, std::int64_t fallback) const {
  if (!has(key)) {
    defaulted(key, fallback);
    return fallback;
  }
  return integer(key);
}

Result<double> Config::number(const std::string& key, double fallback) const {
  if (!has(key)) {
    defaulted(key, fallback);
    return fallback;
  }
  if (!j_[key].is_number()) return wrong(key, "a number");
  return j_[key].get<double>();
}

Result<std::optional<double>> Config::optional_number(const std::string& key) const {
  if (!has(key)) {
    defaulted(key, nullptr);
    return std::optional<double>();
  }
  if (!j_[key].is_number()) return wrong(key, "a number or null");
  return std::optional<double>(j_[key].get<double>());
}

Result<bool> Config::boolean(const std::string& key, bool fallback) const {
  if (!has(key)) {
    defaulted(key, fallback);
    return fallback;
  }
  if (!j_[key].is_boolean()) return wrong(key, "true or false");
  return j_[key].get<bool>();
}

Result<std::string> Config::string(const std::string& key, const std::string& fallback,
                                   const std::vector<std::string>& choices) const {
  if (!has(key)) {
    defaulted(key, fallback);
    return fallback;
  }
  if (!j_[key].is_string()) return wrong(key, "a string");
  std::string v = j_[key].get<std::string>();
  if (choices.empty()) return v;
  for (const auto& c : choices) {
    if (c == v) return v;
  }
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "\"" : ", \"") + c + "\"";
  return wrong(key, "one of " + list);
}

Result<std::vector<std::int64_t>> Config::int_list(const std::string& key) const {
  if (!has(key)) return bad_input("key " + quote(key) + " is required, got nothing");
  const json& v = j_[key];
  if (!v.is_array()) return wrong(key, "a list of integers");
  std::vector<std::int64_t> out;
  for (const auto& x : v) {
    if (!x.is_number_integer()) return wrong(key, "a list of integers");
    out.push_back(x.get<std::int64_t>());
  }
  return out;
}

Result<std::vector<std::int64_t>> Config::ints(const std::string& key, std::size_t n, std::int64_t fallback) const {
  if (!has(key)) {
    defaulted(key, n == 1 ? json(fallback) : json(std::vector<std::int64_t>(n, fallback)));
    return std::vector<std::int64_t>(n, fallback);
  }
  const json& v = j_[key];
  if (v.is_number_integer()) return std::vector<std::int64_t>(n, v.get<std::int64_t>());
  INGOT_ASSIGN_OR_RETURN(auto list, int_list(key));
  if (list.size() != n) return wrong(key, "an integer or a list of " + std::to_string(n) + " integers");
  return list;
}

Result<std::vector<std::int64_t>> Config::pairs2d(const std::string& key) const {
  // Returns {top, bottom, left, right}.
  if (!has(key)) return bad_input("key " + quote(key) + " is required, got nothing");
  const json& v = j_[key];
  const std::string want = "an integer, [h, w] or [[top, bottom], [left, right]]";
  if (v.is_number_integer()) return std::vector<std::int64_t>(4, v.get<std::int64_t>());
  if (!v.is_array() || v.size() != 2) return wrong(key, want);
  if (v[0].is_number_integer() && v[1].is_number_integer()) {
    const auto h = v[0].get<std::int64_t>();
    const auto w = v[1].get<std::int64_t>();
    return std::vector<std::int64_t>{h, h, w, w};
  }
  std::vector<std::int64_t> out;
  for (const auto& pair : v) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer() || !pair[1].is_number_integer()) {
      return wrong(key, want);
    }
    out.push_back(pair[0].get<std::int64_t>());
    out.push_back(pair[1].get<std::int64_t>());
  }
  return out;
}

std::string LayerContext::name(const std::string& suffix) const {
  return suffix.empty() ? layer.name : layer.name + "/" + suffix;
}

Result<Tensor> LayerContext::weight(const std::string& short_name) const {
  if (auto w = optional_weight(short_name)) return *w;
  std::string have;
  for (const auto& w : weights) have += (have.empty() ? "" : ", ") + w.name;
  return error("weight " + quote(short_name) + " is required, got " +
               (have.empty() ? std::string("no weights") : "only " + have));
}

std::optional<Tensor> LayerContext::optional_weight(const std::string& short_name) const {
  for (const auto& w : weights) {
    if (w.name == short_name) return w.value;
  }
  return std::nullopt;
}

Status LayerContext::expect_inputs(std::size_t min, std::size_t max) const {
  if (inputs.size() < min || inputs.size() > max) {
    const std::string want = min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
    return error("it must have " + want + " inputs, got " + std::to_string(inputs.size()));
  }
  return {};
}

Result<std::string> LayerContext::add(const std::string& node_name, const std::string& op,
                                      std::vector<std::string> in, AttrMap attrs) {
  return graph.add1(node_name, op, std::move(in), std::move(attrs));
}

Result<TensorRef> LayerContext::constant(const std::string& suffix, const Tensor& value) {
  return graph.constant(name(suffix), value);
}

std::vector<std::int64_t> LayerContext::open_reshape(std::vector<std::int64_t> dims,
                                                     std::optional<std::size_t> length_axis) const {
  if (settings.open_batch && !dims.empty()) dims[0] = 0;
  if (settings.open_sizes && length_axis && *length_axis < dims.size()) dims[*length_axis] = -1;
  return dims;
}

Status LayerContext::error(const std::string& message) const {
  return bad_input(message);
}

}  // namespace ingot::keras
