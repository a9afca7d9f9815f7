#include "target/target.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

namespace ingot::target {
namespace {

using nlohmann::json;

struct QuantityInfo {
  Quantity quantity;
  const char* name;
};
constexpr QuantityInfo kQuantities[] = {
    {Quantity::kernel, "kernel"},
    {Quantity::stride, "stride"},
    {Quantity::dilation, "dilation"},
    {Quantity::pad, "pad"},
    {Quantity::input_width, "input_width"},
    {Quantity::input_height, "input_height"},
    {Quantity::input_channels, "input_channels"},
    {Quantity::output_width, "output_width"},
    {Quantity::output_height, "output_height"},
    {Quantity::output_channels, "output_channels"},
};

// valijson's context is a list like {"<root>", "[device_ops]", "[Conv2D]"}: written as the
// dotted path a user finds in the file ("device_ops.Conv2D").
std::string field_path(const std::vector<std::string>& context) {
  std::string path;
  for (const std::string& part : context) {
    if (part == "<root>") continue;
    std::string name = part;
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
    const bool quoted = name.size() >= 2 && name.front() == '"' && name.back() == '"';
    if (quoted) name = name.substr(1, name.size() - 2);
    // Array items as "fusions[0]", the form the checks after the schema use too.
    if (!quoted && !name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
      path += "[" + name + "]";
      continue;
    }
    path += path.empty() ? name : "." + name;
  }
  return path.empty() ? "(the document)" : path;
}

// " (found: <the value>)" for the value at valijson's context, when it is a scalar.
std::string found_text(const json& doc, const std::vector<std::string>& context) {
  const json* at = &doc;
  for (const std::string& part : context) {
    if (part == "<root>") continue;
    if (part.size() < 2 || part.front() != '[' || part.back() != ']') return "";
    std::string key = part.substr(1, part.size() - 2);
    if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
    if (at->is_object() && at->contains(key)) {
      at = &(*at)[key];
    } else if (at->is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
               std::stoul(key) < at->size()) {
      at = &(*at)[std::stoul(key)];
    } else {
      return "";
    }
  }
  if (at->is_structured()) return "";
  return " (found: " + at->dump() + ")";
}

const valijson::Schema& embedded_schema() {
  static const std::unique_ptr<valijson::Schema> schema = [] {
    auto s = std::make_unique<valijson::Schema>();
    const json doc = json::parse(target_schema_text());
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    parser.populateSchema(adapter, *s);
    return s;
  }();
  return *schema;
}

// Every schema violation, one per line, most specific first; valijson also reports each
// enclosing object ("failed to validate against schema associated with property ..."), which
// repeats the specific line, so those are left out while a specific one exists.
Status check_schema(const json& doc, const std::string& origin) {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(doc);
  if (validator.validate(embedded_schema(), adapter, &results)) return {};
  std::vector<std::string> specific, enclosing;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    const std::string line = "field " + field_path(error.context) + ": " + error.description + found_text(doc, error.context);
    const bool wraps = error.description.rfind("Failed to validate", 0) == 0;
    auto& list = wraps ? enclosing : specific;
    if (std::find(list.begin(), list.end(), line) == list.end()) list.push_back(line);
  }
  const auto& lines = specific.empty() ? enclosing : specific;
  std::string message = "target file " + quote(origin) + " does not follow the target schema (docs/targets.md):";
  for (const auto& line : lines) message += "\n  " + line;
  return bad_input(message);
}

// The checks a JSON schema cannot express. Every problem is collected, then reported at once.
class Checker {
 public:
  Checker(const Target& target, const OpRegistry& registry) : target_(target), registry_(registry) {}

  void op_name(const std::string& field, const std::string& op) {
    if (op == "*" || registry_.find(op) != nullptr) return;
    problem(field, "names op " + quote(op) + ", which ingot does not know (see `ingot ops`; a plugin's ops need --plugin)");
  }
  void source(const std::string& field, const std::string& text) {
    if (text.empty()) return;
    for (const auto& [key, _] : target_.sources) {
      if (text.rfind(key, 0) != 0) continue;
      if (text.size() == key.size() || std::string_view(" :,(;").find(text[key.size()]) != std::string_view::npos) return;
    }
    std::string keys;
    for (const auto& [key, _] : target_.sources) keys += (keys.empty() ? "" : ", ") + key;
    problem(field, "must begin with a key of 'sources' (" + (keys.empty() ? std::string("the file has none") : keys) +
                       "), got \"" + text + "\"");
  }
  void problem(const std::string& field, const std::string& message) { problems_.push_back("field " + field + ": " + message); }

  Status result(const std::string& origin) const {
    if (problems_.empty()) return {};
    std::string message = "target file " + quote(origin) + " is inconsistent:";
    for (const auto& p : problems_) message += "\n  " + p;
    return bad_input(message);
  }
  const OpRegistry& registry() const { return registry_; }

 private:
  const Target& target_;
  const OpRegistry& registry_;
  std::vector<std::string> problems_;
};

// Which ops a quantity can be measured on, from their schemas (so plugin ops qualify too).
bool quantity_applies(Quantity q, const std::string& op, const OpRegistry& registry) {
  if (op == "*") return false;
  const OpDef* def = registry.find(op);
  if (def == nullptr) return true;  // reported as an unknown op instead
  const OpSchema& s = def->schema;
  const bool has_weights = s.find_param("weights") != nullptr;
  switch (q) {
    case Quantity::kernel:
      return s.find_param("kernel") != nullptr || (has_weights && s.find_param("strides") != nullptr);
    case Quantity::stride:
      return s.find_param("strides") != nullptr;
    case Quantity::dilation:
      return s.find_param("dilations") != nullptr;
    case Quantity::pad:
      return s.find_param("pads") != nullptr && s.find_param("layout") != nullptr;
    case Quantity::input_width:
    case Quantity::input_height:
    case Quantity::output_width:
    case Quantity::output_height:
      return s.find_param("layout") != nullptr;
    case Quantity::input_channels:
    case Quantity::output_channels:
      return s.find_param("layout") != nullptr || has_weights;
  }
  return false;
}

std::vector<std::string> ops_measuring(Quantity q, const OpRegistry& registry) {
  std::vector<std::string> ops;
  for (const OpDef* def : registry.all()) {
    if (quantity_applies(q, def->schema.name, registry)) ops.push_back(def->schema.name);
  }
  return ops;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void read_numerics(const json& j, Target& t) {
  t.numerics.activations = j.at("activations") == "f16" ? NumericType::f16 : NumericType::f32;
  t.numerics.accumulation = j.at("accumulation") == "f16" ? NumericType::f16 : NumericType::f32;
  for (const auto& w : j.at("weights")) t.numerics.weights.push_back(*weights_from_name(w.get<std::string>()));
  t.numerics.default_weights = *weights_from_name(j.at("default_weights").get<std::string>());
  t.numerics.source = j.value("source", "");
}

DeviceOp read_device_op(const std::string& op, const json& j, Checker& check) {
  DeviceOp d;
  d.op = op;
  check.op_name("device_ops." + op, op);
  d.tiled = j.value("tiled", false);
  d.fused_only = j.value("fused_only", false);
  d.note = j.value("note", "");
  if (!j.contains("limits")) return d;
  for (const QuantityInfo& q : kQuantities) {
    if (!j["limits"].contains(q.name)) continue;
    const json& lj = j["limits"][q.name];
    const std::string field = "device_ops." + op + ".limits." + q.name;
    Limit limit;
    limit.quantity = q.quantity;
    if (lj.contains("min")) limit.min = lj["min"].get<std::int64_t>();
    if (lj.contains("max")) limit.max = lj["max"].get<std::int64_t>();
    limit.source = lj.value("source", "");
    if (limit.min && limit.max && *limit.min > *limit.max) {
      check.problem(field, "min " + std::to_string(*limit.min) + " is above max " + std::to_string(*limit.max));
    }
    if (!quantity_applies(q.quantity, op, check.registry())) {
      check.problem(field, std::string("does not apply to op ") + quote(op) + " (" + q.name + " is measured on " +
                               joined(ops_measuring(q.quantity, check.registry())) + ")");
    }
    check.source(field + ".source", limit.source);
    d.limits.push_back(std::move(limit));
  }
  return d;
}

Fusion read_fusion(const json& j, std::size_t index, const Target& t, Checker& check) {
  Fusion f;
  f.name = j.at("name").get<std::string>();
  f.source = j.value("source", "");
  const std::string field = "fusions[" + std::to_string(index) + "]";
  check.source(field + ".source", f.source);
  for (std::size_t s = 0; s < j.at("steps").size(); ++s) {
    const json& sj = j["steps"][s];
    FusionStep step;
    step.optional = sj.value("optional", false);
    const std::string step_field = field + ".steps[" + std::to_string(s) + "]";
    for (const auto& op : sj.at("ops")) {
      step.ops.push_back(op.get<std::string>());
      check.op_name(step_field + ".ops", step.ops.back());
      if (op == "*") check.problem(step_field + ".ops", "\"*\" is not an op a fusion can name");
      if (op != "*" && t.device_op(step.ops.back()) == nullptr) {
        check.problem(step_field + ".ops", "names op " + quote(step.ops.back()) + ", which is not in device_ops");
      }
    }
    if (s == 0 && step.optional) check.problem(step_field + ".optional", "the first step of a fusion cannot be optional");
    f.steps.push_back(std::move(step));
  }
  return f;
}

Result<Target> read_target(const json& doc, const std::string& origin, const OpRegistry& registry) {
  Target t;
  t.path = origin;
  t.name = doc.at("name").get<std::string>();
  t.description = doc.at("description").get<std::string>();
  if (doc.contains("sources")) t.sources = doc["sources"].get<std::map<std::string, std::string>>();
  Checker check(t, registry);
  const std::string stem = std::filesystem::path(origin).stem().string();
  if (std::filesystem::path(origin).extension() == ".json" && stem != t.name) {
    check.problem("name", "is \"" + t.name + "\" but the file is " + quote(stem + ".json") +
                              ": `--target` finds a target by its file name, so the two must agree");
  }
  read_numerics(doc.at("numerics"), t);
  check.source("numerics.source", t.numerics.source);
  if (!t.accepts_weights(t.numerics.default_weights)) {
    check.problem("numerics.default_weights", "is not one of numerics.weights");
  }
  if (doc.contains("buffer")) {
    const json& b = doc["buffer"];
    t.buffer = Buffer{b.at("bytes").get<std::int64_t>(), Tiling::width_strips, b.at("channel_block").get<std::int64_t>(),
                      b.at("element_bytes").get<std::int64_t>(), b.value("source", "")};
    check.source("buffer.source", t.buffer->source);
  }
  for (const auto& [op, j] : doc.at("device_ops").items()) {
    t.device_ops.push_back(read_device_op(op, j, check));
    if (t.device_ops.back().tiled && !t.buffer) {
      check.problem("device_ops." + op + ".tiled", "needs a 'buffer' for the tiles to fit in, and the target has none");
    }
  }
  if (doc.contains("host_ops")) {
    for (const auto& [op, why] : doc["host_ops"].items()) {
      check.op_name("host_ops." + op, op);
      t.host_ops[op] = why.get<std::string>();
      const bool also_device = std::any_of(t.device_ops.begin(), t.device_ops.end(), [&](const DeviceOp& d) { return d.op == op; });
      if (also_device) check.problem("host_ops." + op, "the op is also in device_ops: which is it?");
    }
  }
  if (doc.contains("fusions")) {
    for (std::size_t i = 0; i < doc["fusions"].size(); ++i) t.fusions.push_back(read_fusion(doc["fusions"][i], i, t, check));
  }
  INGOT_TRY(check.result(origin));
  return t;
}

std::filesystem::path executable_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

}  // namespace

const char* weights_name(ir::Storage storage) {
  switch (storage) {
    case ir::Storage::raw: return "f32";
    case ir::Storage::f16: return "f16";
    case ir::Storage::codebook8: return "codebook8";
  }
  return "?";
}

std::optional<ir::Storage> weights_from_name(std::string_view name) {
  for (ir::Storage s : {ir::Storage::raw, ir::Storage::f16, ir::Storage::codebook8}) {
    if (name == weights_name(s)) return s;
  }
  return std::nullopt;
}

std::string describe_limit(const Limit& limit) {
  const std::string q = quantity_name(limit.quantity);
  if (limit.min && limit.max) return std::to_string(*limit.min) + " <= " + q + " <= " + std::to_string(*limit.max);
  if (limit.max) return q + " <= " + std::to_string(*limit.max);
  return q + " >= " + std::to_string(*limit.min);
}

const char* numeric_type_name(NumericType type) { return type == NumericType::f16 ? "f16" : "f32"; }

const std::vector<Quantity>& all_quantities() {
  static const std::vector<Quantity> list = [] {
    std::vector<Quantity> v;
    for (const QuantityInfo& q : kQuantities) v.push_back(q.quantity);
    return v;
  }();
  return list;
}

const char* quantity_name(Quantity quantity) {
  for (const QuantityInfo& q : kQuantities) {
    if (q.quantity == quantity) return q.name;
  }
  return "?";
}

const DeviceOp* Target::device_op(std::string_view op) const {
  if (host_ops.count(std::string(op)) != 0) return nullptr;
  const DeviceOp* any = nullptr;
  for (const DeviceOp& d : device_ops) {
    if (d.op == op) return &d;
    if (d.op == "*") any = &d;
  }
  return any;
}

bool Target::accepts_weights(ir::Storage storage) const {
  return std::find(numerics.weights.begin(), numerics.weights.end(), storage) != numerics.weights.end();
}

Result<Target> parse_target(std::string_view text, const std::string& origin, const OpRegistry& registry) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return bad_input("target file " + quote(origin) + " is not valid JSON: " + e.what());
  }
  INGOT_TRY(check_schema(doc, origin));
  INGOT_ASSIGN_OR_RETURN(Target t, read_target(doc, origin, registry));
  t.text = std::string(text);
  return t;
}

Result<Target> load_target_file(const std::filesystem::path& path, const OpRegistry& registry) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open target file " + quote(path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return io_error("cannot read target file " + quote(path.string()));
  return parse_target(text.str(), path.string(), registry);
}

std::vector<std::filesystem::path> target_search_path() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("INGOT_TARGET_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      const std::size_t colon = rest.find(':');
      const std::string_view dir = rest.substr(0, colon);
      if (!dir.empty()) dirs.emplace_back(std::string(dir));
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  const auto exe = executable_dir();
  if (!exe.empty()) dirs.push_back(exe.parent_path() / "share" / "ingot" / "targets");  // installed layout
  dirs.emplace_back(INGOT_SOURCE_TARGET_DIR);  // a build tree: the source's targets/
  return dirs;
}

Result<Target> find_target(const std::string& name_or_path, const OpRegistry& registry) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 && name_or_path.ends_with(".json"));
  if (is_path) return load_target_file(name_or_path, registry);
  std::string searched;
  for (const auto& dir : target_search_path()) {
    const auto file = dir / (name_or_path + ".json");
    std::error_code ec;
    if (std::filesystem::is_regular_file(file, ec)) return load_target_file(file, registry);
    searched += "\n  " + dir.string();
  }
  std::string known;
  for (const auto& entry : list_targets(registry)) known += (known.empty() ? "" : ", ") + entry.name;
  return bad_input("no target named " + quote(name_or_path) + " (known: " + (known.empty() ? "none" : known) +
                   "; `ingot targets` lists them); searched" + searched);
}

std::vector<TargetEntry> list_targets(const OpRegistry& registry) {
  std::vector<TargetEntry> entries;
  std::set<std::string> seen;
  for (const auto& dir : target_search_path()) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
      if (f.path().extension() == ".json" && f.path().filename() != "target.schema.json") files.push_back(f.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const std::string name = f.stem().string();
      if (!seen.insert(name).second) continue;
      entries.push_back(TargetEntry{name, f, load_target_file(f, registry)});
    }
  }
  return entries;
}

}  // namespace ingot::target
