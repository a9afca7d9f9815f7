#include "frontends/keras/custom_layers.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace ingot::keras {
namespace {

// --- Lambda layers: what can be said about Python bytecode without running it.

std::string base64_decode(const std::string& text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '+') v = 62;
    if (c == '/') v = 63;
    if (v < 0) continue;  // newlines, padding
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// The identifiers a marshalled Python code object names (short ASCII strings, marshal types
// 'z' and 'Z', with or without the reference flag): a hint at what the function does.
std::vector<std::string> code_identifiers(const std::string& marshalled) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i + 2 < marshalled.size(); ++i) {
    const auto type = static_cast<unsigned char>(marshalled[i]) & 0x7F;
    if (type != 'z' && type != 'Z') continue;
    const auto n = static_cast<unsigned char>(marshalled[i + 1]);
    if (n < 2 || i + 2 + n > marshalled.size()) continue;
    const std::string s = marshalled.substr(i + 2, n);
    const bool ident = std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }) &&
                       !std::isdigit(static_cast<unsigned char>(s[0]));
    if (ident && std::find(names.begin(), names.end(), s) == names.end()) names.push_back(s);
  }
  return names;
}

std::string describe_lambda(const Layer& layer) {
  const json& c = layer.config;
  std::string out = "a Lambda holds Python code ingot cannot run";
  if (c.contains("module") && c["module"].is_string()) out += "; module " + quote(c["module"].get<std::string>());
  if (c.contains("function_type") && c["function_type"].is_string()) out += ", function_type " + c["function_type"].get<std::string>();
  if (c.contains("function") && c["function"].is_array() && !c["function"].empty()) {
    const json& f = c["function"];
    if (f[0].is_string()) {
      const auto ids = code_identifiers(base64_decode(f[0].get<std::string>()));
      std::string joined;
      for (const auto& id : ids) joined += (joined.empty() ? "" : ", ") + id;
      if (!joined.empty()) out += ", code names: " + joined;
    }
    if (f.size() > 2 && !f[2].is_null()) out += ", closure constants " + json_excerpt(f[2], 300);
  }
  if (c.contains("arguments") && !c["arguments"].empty()) out += ", arguments " + json_excerpt(c["arguments"], 300);
  if (c.contains("output_shape") && !c["output_shape"].is_null()) out += ", output_shape " + json_excerpt(c["output_shape"], 300);
  return out;
}

void review_lambda(const Layer& layer, const ReviewSettings& s, LayerReport& r) {
  r.kind = LayerKind::lambda;
  const json* entry = nullptr;
  if (s.params != nullptr) {
    if (auto it = s.params->layers.find(layer.name); it != s.params->layers.end()) entry = &it->second;
  }
  if (entry == nullptr || !entry->contains("op")) {
    r.add(Severity::error, "",
        describe_lambda(layer) + ". Map it to an ingot op in a parameter file (--params), e.g. " +
            "{\"" + layer.name + "\": {\"op\": \"Affine\", \"scale\": 1.0, \"offset\": 0.0}} or {\"op\": \"Identity\"}");
    return;
  }
  if (!(*entry)["op"].is_string()) {
    r.add(Severity::error, "op", "key 'op' of the parameter file entry must be an op name, got " + json_excerpt((*entry)["op"], 300));
    return;
  }
  r.op = (*entry)["op"].get<std::string>();
  r.add(Severity::note, "op", describe_lambda(layer) + "; mapped to op " + quote(r.op) + " by the parameter file");
  if (r.op == "Identity") {
    if (entry->size() > 1) r.add(Severity::error, "", "op 'Identity' takes no parameters, got " + json_excerpt(*entry, 300));
    return;
  }
  const OpDef* def = s.registry.find(r.op);
  if (def == nullptr) {
    std::vector<std::string> ops{"Identity"};
    for (const OpDef* d : s.registry.all()) ops.push_back(d->schema.name);
    r.add(Severity::error, "op", "key 'op' must name an ingot op, got " + quote(r.op) + " (closest: " + closest_names(r.op, ops) + ")");
    return;
  }
  // The saved config describes the Python function, not the op: only the file's values count.
  resolve_params(def->schema, layer, json::object(), s.params, r);
}

// --- unknown classes carried through with --keep-unknown

std::optional<AttrValue> infer_attr(const json& v) {
  if (v.is_boolean()) return AttrValue(v.get<bool>());
  if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))) {
    return AttrValue(v.get<std::int64_t>());
  }
  if (v.is_number()) return AttrValue(v.get<double>());
  if (v.is_string()) return AttrValue(v.get<std::string>());
  if (!v.is_array()) return std::nullopt;
  const bool ints = std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_number_integer(); });
  const bool nums = std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_number(); });
  const bool strs = std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); });
  if (ints && !v.empty()) return AttrValue(v.get<std::vector<std::int64_t>>());
  if (nums) return AttrValue(v.get<std::vector<double>>());
  if (strs) return AttrValue(v.get<std::vector<std::string>>());
  return std::nullopt;
}

void review_unknown(const Layer& layer, const ReviewSettings& s, LayerReport& r) {
  const std::string config = json_excerpt(layer.config, 400);
  if (!s.keep_unknown) {
    r.kind = LayerKind::unknown;
    r.add(Severity::error, "",
        "class " + quote(layer.class_name) + " must be a known Keras layer class, got an unknown one (closest known: " +
            closest_names(layer.class_name, suggestible_classes(s.registry)) + "); its saved config: " + config +
            ". Register an op of that name (--plugin), or carry it as an opaque op with --keep-unknown");
    return;
  }
  r.kind = LayerKind::opaque;
  r.op = layer.class_name;
  if (s.registry.find(r.op) == nullptr) {
    Status st = s.registry.add(opaque_op(r.op, "Keras class"));
    if (!st.ok()) {
      r.add(Severity::error, "", st.message());
      return;
    }
  }
  for (const auto& [key, value] : layer.config.items()) {
    if (is_base_layer_key(key) || value.is_null()) continue;
    if (auto attr = infer_attr(value)) {
      r.params.push_back({key, *attr, Origin::model_file});
    } else {
      r.params.push_back({key, AttrValue(value.dump()), Origin::model_file});
      r.add(Severity::warning, key, "key " + quote(key) + " has a nested value, kept as its JSON text: " + json_excerpt(value, 300));
    }
  }
  r.add(Severity::warning, "",
      "class " + quote(layer.class_name) + " is unknown: carried as opaque op " + quote(r.op) +
          " with its saved config as attributes; ingot assumes it keeps its input's shape, and it runs only once a kernel is registered for it");
}

Result<TensorRef> weight_param(LayerContext& ctx, const ParamSpec& spec) {
  for (const Weight& w : ctx.weights) {
    const std::string suffix = "_" + spec.name;
    const bool match = w.name == spec.name ||
                       (w.name.size() > suffix.size() && w.name.compare(w.name.size() - suffix.size(), suffix.size(), suffix) == 0);
    if (match) return ctx.constant(spec.name, w.value);
  }
  std::string have;
  for (const Weight& w : ctx.weights) have += (have.empty() ? "" : ", ") + w.name;
  return ctx.error("weight " + quote(spec.name) + " (or <layer>_" + spec.name + ") is required, got " +
                   (have.empty() ? std::string("no weights") : "only " + have));
}

}  // namespace

std::vector<std::string> suggestible_classes(const OpRegistry& registry) {
  std::vector<std::string> names = known_classes();
  for (const OpDef* def : registry.all()) {
    if (std::find(names.begin(), names.end(), def->schema.name) == names.end()) names.push_back(def->schema.name);
  }
  return names;
}

LayerReport review_layer(const Layer& layer, const std::string& model_name, const std::vector<Weight>& weights,
                         const ReviewSettings& settings) {
  LayerReport r;
  r.name = layer.name;
  r.class_name = layer.class_name;
  r.model = model_name;
  if (layer.config.is_object()) {
    for (const auto& [key, value] : layer.config.items()) r.saved_keys.push_back(key);
  }
  for (const Weight& w : weights) r.weights.push_back(w.name + " " + w.value.shape().to_string());
  if (find_import_fn(layer.class_name) != nullptr) {
    r.kind = LayerKind::standard;
    return r;
  }
  if (layer.class_name == "Lambda") {
    review_lambda(layer, settings, r);
    return r;
  }
  const OpDef* def = settings.registry.find(layer.class_name);
  if (def == nullptr || def->schema.open_params) {
    review_unknown(layer, settings, r);
    return r;
  }
  r.kind = LayerKind::custom;
  r.op = def->schema.name;
  resolve_params(def->schema, layer, layer.config, settings.params, r);
  const bool only_base = std::all_of(r.saved_keys.begin(), r.saved_keys.end(), is_base_layer_key);
  if (!r.missing.empty()) {
    r.add(Severity::note, "",
        only_base ? "the model file stores only the base keys (name, trainable) for this layer: class " + quote(layer.class_name) +
                        " has no get_config(), so Keras never saved its parameters"
                  : "class " + quote(layer.class_name) + "'s get_config() leaves out required parameters");
  }
  return r;
}

Result<std::vector<std::string>> import_reviewed(LayerContext& ctx, const LayerReport& report) {
  if (report.kind == LayerKind::lambda && report.op == "Identity") {
    INGOT_TRY(ctx.expect_inputs(1, 1));
    return std::vector<std::string>{ctx.inputs[0]};
  }
  AttrMap attrs = resolved_attrs(report);
  if (report.kind == LayerKind::opaque) {
    // Carried whole, weights included, for the kernel a user registers later.
    for (const Weight& w : ctx.weights) {
      INGOT_ASSIGN_OR_RETURN(attrs[w.name], ctx.constant(w.name, w.value));
    }
  }
  if (report.kind == LayerKind::custom) {
    const OpDef* def = ctx.graph.registry().find(report.op);
    for (const ParamSpec& spec : def->schema.params) {
      if (spec.type != AttrType::tensor) continue;
      auto ref = weight_param(ctx, spec);
      if (ref.ok()) {
        attrs[spec.name] = *ref;
      } else if (spec.required) {
        return ref.status();
      }
    }
  }
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), report.op, ctx.inputs, std::move(attrs)));
  return std::vector<std::string>{out};
}

}  // namespace ingot::keras
