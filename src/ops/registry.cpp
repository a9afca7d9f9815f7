#include "ops/registry.h"

#include <algorithm>

namespace ingot {
namespace {

Status check_schema(const OpSchema& s) {
  const std::string what = "register op " + quote(s.name);
  if (s.name.empty()) return usage_error("register op: name must be non-empty, got \"\"");
  if (s.version < 1 || s.min_version < 1 || s.min_version > s.version) {
    return usage_error(what + ": versions must satisfy 1 <= min_version <= version, got " +
                       std::to_string(s.min_version) + " and " + std::to_string(s.version));
  }
  if (s.min_inputs < 0 || (s.max_inputs != kVariadic && s.max_inputs < s.min_inputs) || s.num_outputs < 1) {
    return usage_error(what + ": input and output counts must be consistent, got inputs " +
                       std::to_string(s.min_inputs) + ".." + std::to_string(s.max_inputs) +
                       " and outputs " + std::to_string(s.num_outputs));
  }
  for (std::size_t i = 0; i < s.params.size(); ++i) {
    const ParamSpec& p = s.params[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (s.params[j].name == p.name) return usage_error(what + ": parameter names must be unique, got " + quote(p.name) + " twice");
    }
    if (p.required && p.default_value) {
      return usage_error(what + ": parameter " + quote(p.name) + " is required and has a default");
    }
    if (p.default_value) INGOT_TRY_CTX(check_param(p, *p.default_value), what + ": default of " + quote(p.name));
  }
  return {};
}

}  // namespace

Status OpRegistry::add(OpDef def) {
  INGOT_TRY(check_schema(def.schema));
  if (!def.bind || !def.infer) {
    return usage_error("register op " + quote(def.schema.name) + ": bind and infer must be set");
  }
  if (ops_.count(def.schema.name)) {
    return usage_error("register op " + quote(def.schema.name) + ": an op of that name is already registered");
  }
  const std::string name = def.schema.name;
  ops_.emplace(name, std::move(def));
  return {};
}

const OpDef* OpRegistry::find(std::string_view name) const {
  auto it = ops_.find(name);
  return it == ops_.end() ? nullptr : &it->second;
}

std::vector<const OpDef*> OpRegistry::all() const {
  std::vector<const OpDef*> out;
  for (const auto& [name, def] : ops_) out.push_back(&def);
  return out;
}

OpRegistry builtin_registry() {
  OpRegistry registry;
#define INGOT_OP(Name)                                      \
  if (Status st = registry.add(make_##Name##_op()); !st.ok()) \
    throw std::logic_error("built-in op " #Name ": " + st.message());
#include "ops/ops.def"
#undef INGOT_OP
  return registry;
}

OpRegistry& default_registry() {
  static OpRegistry registry = builtin_registry();
  return registry;
}

}  // namespace ingot
