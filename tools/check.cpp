// ingot check MODEL.h5 [--params F] [--keep-unknown] [--input-shape ...] [--json]
//                      [--params-skeleton OUT.json]
// ingot check MODEL.ingot [--atol A --rtol R] [--json]: re-runs the stored test vectors.
// A diagnosis before conversion: per layer, where each parameter comes from, what is missing
// and why, and for each custom class that lost its parameters a get_config() to add and a
// parameter file to fill in; for standard layers, the saved keys found, the defaults used for
// keys not saved, and every saved key ingot does not read (a warning). Exit status 0 when
// conversion can proceed.
#include <fstream>
#include <iostream>

#include "core/atomic_file.h"
#include "format/format.h"
#include "runtime/fold.h"
#include "runtime/self_test.h"
#include "frontends/keras/importer.h"
#include "frontends/keras/repair.h"
#include "ir/open_dims.h"
#include "tools/commands.h"

namespace ingot::cli {
namespace {

using nlohmann::json;
using namespace keras;

struct CheckOptions {
  ImportFlags import;
  RuntimeFlags runtime;
  bool json = false;
  std::string skeleton_path;
  double atol = 1e-4;
  double rtol = 1e-4;
};

bool is_ingot_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  return in.gcount() == 8 && std::string(magic, 8) == std::string("\x89INGOT\r\n", 8);
}

// ingot check MODEL.ingot: re-run the test vectors stored in the file.
Status check_ingot(const CheckOptions& o) {
  INGOT_TRY(load_plugins(o.import.plugins));
  INGOT_ASSIGN_OR_RETURN(ir::Graph graph, format::read_model(o.import.model, default_registry()));
  const std::string what = "check file " + quote(o.import.model);
  INGOT_ASSIGN_OR_RETURN_CTX(auto folds, runtime::check_folded_nodes(graph, default_registry()), what);
  runtime::SelfTestResult result;
  if (runtime::has_test_vectors(graph) || folds.empty()) {
    INGOT_ASSIGN_OR_RETURN_CTX(result, runtime::run_test_vectors(graph, default_registry(), o.atol, o.rtol, plan_options(o.runtime)), what);
  }
  std::string bad_fold;
  for (const auto& f : folds) {
    if (!f.ok() && bad_fold.empty()) bad_fold = f.node;
  }
  if (o.json) {
    json j = {{"file", o.import.model}, {"ok", result.ok()}, {"outputs_source", result.outputs_source}, {"atol", o.atol}, {"rtol", o.rtol}};
    j["values"] = json::array();
    for (const auto& c : result.checks) {
      j["values"].push_back({{"name", c.name}, {"role", c.role}, {"max_abs", c.max_abs}, {"max_rel", c.max_rel},
                             {"mismatches", c.mismatches}, {"count", c.count}});
    }
    if (result.first_divergence) j["first_divergence"] = *result.first_divergence;
    j["folded"] = json::array();
    for (const auto& f : folds) j["folded"].push_back({{"node", f.node}, {"op", f.op}, {"max_abs", f.max_abs}});
    if (!bad_fold.empty()) j["ok"] = false;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "check " << o.import.model << ": " << folds.size() << " folded constants recomputed from their parameters\n";
    for (const auto& f : folds) {
      std::cout << "  " << (f.ok() ? "ok  " : "FAIL") << "  folded " << f.op << " " << quote(f.node) << ": max abs difference "
                << f.max_abs << "\n";
    }
    if (!result.checks.empty()) std::cout << "stored test vectors (expected outputs from "
              << (result.outputs_source == "reference" ? "the source framework" : "ingot at conversion")
              << "), tolerance " << o.atol << " + " << o.rtol << " * |expected|\n";
    for (const auto& c : result.checks) {
      std::cout << "  " << (c.ok() ? "ok  " : "FAIL") << "  " << c.role << " " << quote(c.name) << ": max abs error " << c.max_abs
                << ", max rel error " << c.max_rel << ", " << c.mismatches << " of " << c.count << " values outside\n";
    }
  }
  if (!bad_fold.empty()) {
    return verification_error(what + ": folded constant of node " + quote(bad_fold) +
                              " differs from what its parameters compute; the file was altered or the op changed");
  }
  if (result.first_divergence) {
    return verification_error("check file " + quote(o.import.model) + ": value " + quote(*result.first_divergence) +
                              " is the first (in execution order) that differs from the stored test vectors");
  }
  if (!o.json) std::cout << "all stored values match\n";
  return {};
}

std::string value_text(const AttrValue& v) { return attr_to_json(v).dump(); }

std::string short_text(const json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// A standard layer's saved keys: read, or without effect on inference. The defaults used and the
// unread keys are its diagnostics (a note and warnings), printed after.
void print_standard_keys(const StandardKeys& k) {
  if (!k.reviewed) return;
  if (!k.found.empty()) {
    std::string line;
    for (const auto& [key, value] : k.found) line.append(line.empty() ? "" : ", ").append(key).append(" = ").append(short_text(value));
    std::cout << "    found: " << line << "\n";
  }
  if (!k.no_effect.empty()) {
    std::string line;
    for (const auto& key : k.no_effect) line.append(line.empty() ? "" : ", ").append(key);
    std::cout << "    no effect on inference: " << line << "\n";
  }
}

json standard_keys_json(const StandardKeys& k) {
  auto object = [](const StandardKeys::Values& values) {
    json o = json::object();
    for (const auto& [key, value] : values) o[key] = value;
    return o;
  };
  return {{"found", object(k.found)}, {"defaulted", object(k.defaulted)}, {"no_effect", k.no_effect}, {"unread", object(k.unread)}};
}

void print_layer(const LayerReport& l) {
  std::cout << "layer " << quote(l.name) << " (" << l.class_name << ")";
  if (!l.model.empty()) std::cout << " in nested model " << quote(l.model);
  std::cout << ": " << layer_kind_name(l.kind);
  if (!l.op.empty()) std::cout << ", op " << l.op;
  if (!l.weights.empty()) {
    std::cout << ", weights:";
    for (const auto& w : l.weights) std::cout << " " << w;
  }
  std::cout << "\n";
  if (l.kind == LayerKind::standard) {
    print_standard_keys(l.keys);
    for (const Diagnostic& d : l.diagnostics) std::cout << "  " << severity_name(d.severity) << ": " << d.message << "\n";
    return;
  }
  for (const ParamValue& p : l.params) {
    std::cout << "    " << p.key << " = " << value_text(p.value) << "  [" << origin_name(p.origin) << "]\n";
  }
  for (const std::string& key : l.missing) std::cout << "    " << key << " = ?  [missing]\n";
  for (const Diagnostic& d : l.diagnostics) {
    if (d.severity == Severity::note && d.message.rfind("key ", 0) == 0 && d.message.find("using the default") != std::string::npos) {
      continue;  // already shown as [default]
    }
    std::cout << "  " << severity_name(d.severity) << ": " << d.message << "\n";
  }
}

void print_fix(const ClassFix& fix) {
  std::cout << "\n== How to fix class " << fix.class_name << " (layers:";
  for (const auto& l : fix.layers) std::cout << " " << l;
  std::cout << ")\n"
            << "Either add this method to class " << fix.class_name << " and save the model again:\n\n"
            << fix.get_config << "\n"
            << "or, without re-saving the model, fill in the placeholders of this parameter file and\n"
            << "convert with --params FILE (values set here override the model file):\n\n"
            << fix.params_skeleton.dump(2) << "\n";
}

json report_json(const ImportReport& report, const std::vector<ClassFix>& fixes, const Status& status) {
  json j;
  j["file"] = report.file;
  j["can_convert"] = status.ok();
  if (!status.ok()) j["error"] = status.message();
  j["counts"] = {{"errors", report.count(Severity::error)}, {"warnings", report.count(Severity::warning)}};
  j["layers"] = json::array();
  for (const LayerReport& l : report.layers) {
    json e = {{"name", l.name}, {"class", l.class_name}, {"kind", layer_kind_name(l.kind)}, {"weights", l.weights}};
    if (!l.model.empty()) e["model"] = l.model;
    if (!l.op.empty()) e["op"] = l.op;
    if (l.kind == LayerKind::standard && l.keys.reviewed) e["keys"] = standard_keys_json(l.keys);
    if (l.kind != LayerKind::standard) {
      e["params"] = json::array();
      for (const ParamValue& p : l.params) e["params"].push_back({{"key", p.key}, {"value", attr_to_json(p.value)}, {"origin", origin_name(p.origin)}});
      e["missing"] = l.missing;
    }
    e["diagnostics"] = json::array();
    for (const Diagnostic& d : l.diagnostics) {
      e["diagnostics"].push_back({{"severity", severity_name(d.severity)}, {"key", d.key}, {"message", d.message}});
    }
    j["layers"].push_back(e);
  }
  j["fixes"] = json::array();
  for (const ClassFix& f : fixes) {
    j["fixes"].push_back({{"class", f.class_name}, {"layers", f.layers}, {"get_config", f.get_config}, {"params_skeleton", f.params_skeleton}});
  }
  return j;
}

Status check_keras(const CheckOptions& o) {
  if (is_ingot_file(o.import.model)) return check_ingot(o);
  INGOT_TRY(load_plugins(o.import.plugins));
  ImportReport report;
  INGOT_ASSIGN_OR_RETURN(auto loaded, load_import_options(o.import));
  auto graph = import_model(o.import, loaded, &report);
  const Status status = graph.ok() ? Status() : graph.status();
  const auto fixes = class_fixes(report, default_registry());
  if (!o.skeleton_path.empty() && !fixes.empty()) {
    json all = json::object();
    for (const ClassFix& f : fixes) all.update(f.params_skeleton);
    const std::string text = all.dump(2) + "\n";
    INGOT_TRY(write_file_atomic(o.skeleton_path, std::as_bytes(std::span(text.data(), text.size()))));
  }
  if (o.json) {
    std::cout << report_json(report, fixes, status).dump(2) << "\n";
    return status;
  }
  std::size_t standard = 0;
  for (const LayerReport& l : report.layers) standard += l.kind == LayerKind::standard;
  std::cout << "check " << o.import.model << ": " << report.layers.size() << " layers (" << standard << " standard, "
            << report.layers.size() - standard << " custom, lambda or unknown)\n";
  if (graph.ok()) {
    // Named dims stay open in the .ingot file (ingot run takes any size); --input-shape fixes them.
    for (std::size_t i = 0; i < graph->inputs.size(); ++i) {
      const bool open = !ir::input_open_dims(*graph)[i].empty();
      std::cout << "input " << quote(graph->inputs[i]) << ": " << ir::describe_input(*graph, i)
                << (open ? "  (named dims open: the file takes any size there; --input-shape fixes them)" : "") << "\n";
    }
  }
  for (const LayerReport& l : report.layers) print_layer(l);
  for (const ClassFix& f : fixes) print_fix(f);
  if (!o.skeleton_path.empty() && !fixes.empty()) std::cout << "\nwrote parameter file skeleton " << o.skeleton_path << "\n";
  std::cout << "\n" << report.count(Severity::error) << " errors, " << report.count(Severity::warning) << " warnings: "
            << (status.ok() ? "conversion can proceed" : "conversion cannot proceed") << "\n";
  return status;
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("check", "Diagnose a Keras .h5 before conversion (parameters, their origin, fixes), "
                                          "or re-run the test vectors stored in an .ingot file");
  auto o = std::make_shared<CheckOptions>();
  add_import_flags(*cmd, o->import);
  cmd->add_flag("--json", o->json, "print the report as JSON");
  cmd->add_option("--params-skeleton", o->skeleton_path, "write a parameter file to fill in for the layers that need one");
  cmd->add_option("--atol", o->atol, "for .ingot files: absolute tolerance of the stored test vectors (default 1e-4)");
  cmd->add_option("--rtol", o->rtol, "for .ingot files: relative tolerance (default 1e-4)");
  add_runtime_flags(*cmd, o->runtime);
  cmd->final_callback([&exit_code, o] { exit_code = report(check_keras(*o)); });
}

}  // namespace ingot::cli
