#include "frontends/common/report.h"

namespace ingot::import {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::note:
      return "note";
  }
  return "?";
}

const char* origin_name(Origin o) {
  switch (o) {
    case Origin::layer_entry:
      return "parameter file (layer)";
    case Origin::class_entry:
      return "parameter file (class)";
    case Origin::model_file:
      return "model file";
    case Origin::default_value:
      return "default";
  }
  return "?";
}

const char* layer_kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::standard:
      return "standard";
    case LayerKind::custom:
      return "custom";
    case LayerKind::lambda:
      return "lambda";
    case LayerKind::opaque:
      return "opaque";
    case LayerKind::unknown:
      return "unknown";
  }
  return "?";
}

bool LayerReport::has_errors() const {
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == Severity::error) return true;
  }
  return false;
}

bool ImportReport::has_errors() const {
  for (const LayerReport& l : layers) {
    if (l.has_errors()) return true;
  }
  return false;
}

std::size_t ImportReport::count(Severity s) const {
  std::size_t n = 0;
  for (const LayerReport& l : layers) {
    for (const Diagnostic& d : l.diagnostics) n += d.severity == s;
  }
  return n;
}

LayerReport* ImportReport::find(const std::string& layer_name) {
  for (LayerReport& l : layers) {
    if (l.name == layer_name) return &l;
  }
  return nullptr;
}

nlohmann::json attr_to_json(const AttrValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, TensorRef>) {
          return "tensor " + v.name;
        } else {
          return v;
        }
      },
      value);
}

OpDef opaque_op(const std::string& name, const std::string& origin) {
  OpDef def;
  def.schema.name = name;
  def.schema.doc = "opaque op carried from an unknown " + origin + " with --keep-unknown; register a kernel for it (--plugin) to run it";
  def.schema.min_inputs = 1;
  def.schema.max_inputs = kVariadic;
  def.schema.open_params = true;
  def.bind = [](const AttrMap&, const TensorLookup&) -> Result<std::shared_ptr<const void>> { return std::shared_ptr<const void>(); };
  def.infer = [](const void*, std::span<const TensorInfo> in) -> Result<std::vector<TensorInfo>> {
    return std::vector<TensorInfo>{in[0]};
  };
  return def;
}

}  // namespace ingot::import
