// ingot targets [--json]: the target descriptions ingot finds (targets/*.json and
// $INGOT_TARGET_PATH). ingot targets show NAME|FILE [--json]: one of them, checked.
#include <iostream>
#include <nlohmann/json.hpp>

#include "target/target.h"
#include "tools/commands.h"

namespace ingot::cli {
namespace {

using nlohmann::ordered_json;

ordered_json limit_json(const target::Limit& limit) {
  ordered_json j;
  if (limit.min) j["min"] = *limit.min;
  if (limit.max) j["max"] = *limit.max;
  if (!limit.source.empty()) j["source"] = limit.source;
  return j;
}

ordered_json target_json(const target::Target& t) {
  ordered_json j;
  j["name"] = t.name;
  j["description"] = t.description;
  j["path"] = t.path;
  ordered_json weights = ordered_json::array();
  for (ir::Storage s : t.numerics.weights) weights.push_back(target::weights_name(s));
  j["numerics"] = {{"activations", target::numeric_type_name(t.numerics.activations)},
                   {"accumulation", target::numeric_type_name(t.numerics.accumulation)},
                   {"weights", weights},
                   {"default_weights", target::weights_name(t.numerics.default_weights)}};
  if (!t.numerics.source.empty()) j["numerics"]["source"] = t.numerics.source;
  if (t.buffer) {
    j["buffer"] = {{"bytes", t.buffer->bytes}, {"tiling", "width-strips"}, {"channel_block", t.buffer->channel_block},
                   {"element_bytes", t.buffer->element_bytes}};
    if (!t.buffer->source.empty()) j["buffer"]["source"] = t.buffer->source;
  }
  j["device_ops"] = ordered_json::object();
  for (const auto& d : t.device_ops) {
    ordered_json op = ordered_json::object();
    if (!d.limits.empty()) {
      for (const auto& l : d.limits) op["limits"][target::quantity_name(l.quantity)] = limit_json(l);
    }
    if (d.tiled) op["tiled"] = true;
    if (!d.note.empty()) op["note"] = d.note;
    j["device_ops"][d.op] = op;
  }
  j["fusions"] = ordered_json::array();
  for (const auto& f : t.fusions) {
    ordered_json steps = ordered_json::array();
    for (const auto& s : f.steps) steps.push_back({{"ops", s.ops}, {"optional", s.optional}});
    j["fusions"].push_back({{"name", f.name}, {"steps", steps}, {"source", f.source}});
  }
  j["host_ops"] = t.host_ops;
  j["sources"] = t.sources;
  return j;
}

std::string limit_text(const target::Limit& l) {
  const std::string text = target::describe_limit(l);
  return l.source.empty() ? text : text + "  [" + l.source + "]";
}

void print_target(const target::Target& t) {
  std::cout << t.name << ": " << t.description << "\n  file " << t.path << "\n";
  std::cout << "  numerics: activations " << target::numeric_type_name(t.numerics.activations) << ", accumulation "
            << target::numeric_type_name(t.numerics.accumulation) << ", weights";
  for (ir::Storage s : t.numerics.weights) std::cout << " " << target::weights_name(s);
  std::cout << " (default " << target::weights_name(t.numerics.default_weights) << ")";
  if (!t.numerics.source.empty()) std::cout << "  [" << t.numerics.source << "]";
  std::cout << "\n";
  if (t.buffer) {
    std::cout << "  buffer: " << format_bytes(static_cast<std::size_t>(t.buffer->bytes)) << ", width-strips tiling, "
              << t.buffer->channel_block << "-channel blocks of " << t.buffer->element_bytes << "-byte elements";
    if (!t.buffer->source.empty()) std::cout << "  [" << t.buffer->source << "]";
    std::cout << "\n";
  }
  std::cout << "  device ops:\n";
  for (const auto& d : t.device_ops) {
    std::cout << "    " << (d.op == "*" ? std::string("* (every op)") : d.op) << (d.tiled ? "  (tiled)" : "")
              << (d.note.empty() ? "" : "  -- " + d.note) << "\n";
    for (const auto& l : d.limits) std::cout << "      " << limit_text(l) << "\n";
  }
  if (!t.fusions.empty()) std::cout << "  fusions (longest match wins):\n";
  for (const auto& f : t.fusions) {
    std::cout << "    " << f.name << ":";
    for (std::size_t i = 0; i < f.steps.size(); ++i) {
      std::string ops;
      for (const auto& op : f.steps[i].ops) ops += (ops.empty() ? "" : "|") + op;
      std::cout << (i == 0 ? " " : " -> ") << ops << (f.steps[i].optional ? "?" : "");
    }
    std::cout << (f.source.empty() ? "" : "  [" + f.source + "]") << "\n";
  }
  if (!t.host_ops.empty()) std::cout << "  host ops (and every op not listed above):\n";
  for (const auto& [op, why] : t.host_ops) std::cout << "    " << op << ": " << why << "\n";
  if (!t.sources.empty()) std::cout << "  sources:\n";
  for (const auto& [key, text] : t.sources) std::cout << "    [" << key << "] " << text << "\n";
}

int list(bool as_json) {
  const auto entries = target::list_targets(default_registry());
  int code = 0;
  ordered_json j = ordered_json::array();
  for (const auto& e : entries) {
    if (as_json) {
      ordered_json row = {{"name", e.name}, {"path", e.path.string()}};
      if (e.target.ok()) row["description"] = e.target.value().description;
      else row["error"] = e.target.status().message();
      j.push_back(row);
    } else if (e.target.ok()) {
      std::cout << e.name << "  " << e.target.value().description << "\n    " << e.path.string() << "\n";
    } else {
      std::cout << e.name << "  does not load:\n    " << e.target.status().message() << "\n";
    }
    if (!e.target.ok()) code = static_cast<int>(e.target.status().kind());
  }
  if (as_json) std::cout << j.dump(2) << "\n";
  if (!as_json && entries.empty()) std::cout << "no targets found; searched the folders of $INGOT_TARGET_PATH and ingot's own\n";
  return code;
}

}  // namespace

void add_targets_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("targets", "List the target descriptions (devices ingot compiles for), or show one");
  cmd->require_subcommand(0, 1);
  auto as_json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *as_json, "print JSON");
  auto* show = cmd->add_subcommand("show", "Print one target, checked against the schema (NAME or a .json file)");
  auto name = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  show->add_option("target", *name, "target name or file")->required();
  show->add_flag("--json", *show_json, "print JSON");
  show->final_callback([&exit_code, name, show_json] {
    auto t = target::find_target(*name, default_registry());
    if (!t.ok()) {
      exit_code = report(t.status());
      return;
    }
    if (*show_json) {
      std::cout << target_json(t.value()).dump(2) << "\n";
    } else {
      print_target(t.value());
    }
    exit_code = 0;
  });
  cmd->final_callback([&exit_code, cmd, as_json] {
    if (cmd->get_subcommands().empty()) exit_code = list(*as_json);
  });
}

}  // namespace ingot::cli
