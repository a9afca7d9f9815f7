#include "frontends/common/report.h"

#include <algorithm>
#include <cctype>

namespace ingot::import {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace


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

std::string json_excerpt(const nlohmann::json& v, std::size_t limit) {
  std::string s = v.dump();
  return s.size() > limit ? s.substr(0, limit - 3) + "..." : s;
}

std::string closest_names(const std::string& name, const std::vector<std::string>& candidates) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& c : candidates) scored.emplace_back(edit_distance(name, c), c);
  std::sort(scored.begin(), scored.end());
  std::string out;
  for (std::size_t i = 0; i < 3 && i < scored.size(); ++i) out += (i ? ", " : "") + scored[i].second;
  return out;
}

}  // namespace ingot::import
