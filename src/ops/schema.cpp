// Checking attribute values against ParamSpecs; shared by every op through ParamList.
#include <cmath>
#include <string>

#include "ingot/op.h"

namespace ingot {
namespace {

std::string number(double v) { return attr_to_string(AttrValue(v)); }

std::string bound_text(const ParamSpec& spec) {
  if (spec.min && spec.max) return "in [" + number(*spec.min) + ", " + number(*spec.max) + "]";
  if (spec.min) return ">= " + number(*spec.min);
  if (spec.max) return "<= " + number(*spec.max);
  return "";
}

bool in_bounds(const ParamSpec& spec, double v) {
  if (std::isnan(v)) return !spec.min && !spec.max;
  return (!spec.min || v >= *spec.min) && (!spec.max || v <= *spec.max);
}

std::string choices_text(const ParamSpec& spec) {
  std::string s;
  for (std::size_t i = 0; i < spec.choices.size(); ++i) s += (i ? ", \"" : "\"") + spec.choices[i] + "\"";
  return s;
}

bool is_choice(const ParamSpec& spec, const std::string& v) {
  if (spec.choices.empty()) return true;
  for (const auto& c : spec.choices) {
    if (c == v) return true;
  }
  return false;
}

template <class T>
Status check_list_size(const ParamSpec& spec, const std::vector<T>& list, const AttrValue& value) {
  const std::size_t n = list.size();
  if ((spec.min_size && n < *spec.min_size) || (spec.max_size && n > *spec.max_size)) {
    std::string want;
    if (spec.min_size == spec.max_size) {
      want = std::to_string(*spec.min_size);
    } else if (spec.min_size && spec.max_size) {
      want = std::to_string(*spec.min_size) + " to " + std::to_string(*spec.max_size);
    } else if (spec.min_size) {
      want = "at least " + std::to_string(*spec.min_size);
    } else {
      want = "at most " + std::to_string(*spec.max_size);
    }
    return bad_input("parameter " + quote(spec.name) + " must have " + want + " elements, got " +
                     attr_to_string(value));
  }
  return {};
}

}  // namespace

std::string describe_constraints(const ParamSpec& spec) {
  std::string s = attr_type_name(spec.type);
  const std::string bounds = bound_text(spec);
  if (!bounds.empty()) s += std::string(spec.type == AttrType::int_list || spec.type == AttrType::float_list ? ", each " : " ") + bounds;
  if (!spec.choices.empty()) s += ", one of " + choices_text(spec);
  if (spec.min_size || spec.max_size) {
    if (spec.min_size == spec.max_size) {
      s += ", " + std::to_string(*spec.min_size) + " elements";
    } else {
      s += ", " + (spec.min_size ? std::to_string(*spec.min_size) : std::string("0")) + " to " +
           (spec.max_size ? std::to_string(*spec.max_size) : std::string("any")) + " elements";
    }
  }
  if (spec.layer_weights) s += ", layer weights (codebook8 storage quantizes them)";
  return s;
}

Status check_param(const ParamSpec& spec, const AttrValue& value) {
  const std::string name = "parameter " + quote(spec.name);
  if (attr_type(value) != spec.type) {
    return bad_input(name + " must be " + attr_type_name(spec.type) + ", got " +
                     attr_type_name(attr_type(value)) + " " + attr_to_string(value));
  }
  auto out_of_range = [&] {
    return bad_input(name + " must be " + bound_text(spec) + ", got " + attr_to_string(value));
  };
  switch (spec.type) {
    case AttrType::int_:
      if (!in_bounds(spec, static_cast<double>(std::get<std::int64_t>(value)))) return out_of_range();
      break;
    case AttrType::float_: {
      const double v = std::get<double>(value);
      if (!std::isfinite(v) && (spec.min || spec.max)) return out_of_range();
      if (!in_bounds(spec, v)) return out_of_range();
      break;
    }
    case AttrType::int_list: {
      const auto& list = std::get<std::vector<std::int64_t>>(value);
      INGOT_TRY(check_list_size(spec, list, value));
      for (std::int64_t v : list) {
        if (!in_bounds(spec, static_cast<double>(v))) return out_of_range();
      }
      break;
    }
    case AttrType::float_list: {
      const auto& list = std::get<std::vector<double>>(value);
      INGOT_TRY(check_list_size(spec, list, value));
      for (double v : list) {
        if ((!std::isfinite(v) && (spec.min || spec.max)) || !in_bounds(spec, v)) return out_of_range();
      }
      break;
    }
    case AttrType::string:
      if (!is_choice(spec, std::get<std::string>(value))) {
        return bad_input(name + " must be one of " + choices_text(spec) + ", got " + attr_to_string(value));
      }
      break;
    case AttrType::string_list: {
      const auto& list = std::get<std::vector<std::string>>(value);
      INGOT_TRY(check_list_size(spec, list, value));
      for (const auto& v : list) {
        if (!is_choice(spec, v)) {
          return bad_input(name + " elements must be one of " + choices_text(spec) + ", got " +
                           attr_to_string(value));
        }
      }
      break;
    }
    case AttrType::bool_:
    case AttrType::tensor:
      break;
  }
  return {};
}

const ParamSpec* OpSchema::find_param(std::string_view param) const {
  for (const auto& spec : params) {
    if (spec.name == param) return &spec;
  }
  return nullptr;
}

void widen_ints_to_schema(const OpSchema& schema, AttrMap& attrs) {
  for (const ParamSpec& p : schema.params) {
    auto it = attrs.find(p.name);
    if (it == attrs.end()) continue;
    if (p.type == AttrType::float_ && std::holds_alternative<std::int64_t>(it->second)) {
      it->second = static_cast<double>(std::get<std::int64_t>(it->second));
    } else if (p.type == AttrType::float_list && std::holds_alternative<std::vector<std::int64_t>>(it->second)) {
      const auto& v = std::get<std::vector<std::int64_t>>(it->second);
      it->second = std::vector<double>(v.begin(), v.end());
    }
  }
}

Status check_attrs(const OpSchema& schema, const AttrMap& attrs) {
  if (schema.open_params) return {};
  for (const auto& [key, value] : attrs) {
    if (schema.find_param(key) == nullptr) {
      std::string known;
      for (const auto& spec : schema.params) known += (known.empty() ? "" : ", ") + spec.name;
      return bad_input("parameter " + quote(key) + " is not a parameter of op " + quote(schema.name) +
                       " (its parameters: " + (known.empty() ? "none" : known) + "), got " +
                       attr_to_string(value));
    }
  }
  for (const auto& spec : schema.params) {
    auto it = attrs.find(spec.name);
    if (it == attrs.end()) {
      if (spec.required) return bad_input("parameter " + quote(spec.name) + " is required, got nothing");
      continue;
    }
    INGOT_TRY(check_param(spec, it->second));
  }
  return {};
}

}  // namespace ingot
