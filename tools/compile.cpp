// ingot compile MODEL.ingot --target NAME|FILE [--weights f16|codebook8] [--host LAYER,...]
//               [--check] [--json] -o OUT.ingot
// Partitions the model into the target's device runs and host ops, checks every limit (all
// violations at once, exit 7, nothing written), folds batch norm / scale into the device runs'
// convolutions, stores their weights in the target's storage and writes the compiled file with
// its compilation record (format version 2). --check stops after the limit check.
// --emit dv-sdk -o DIR writes instead the DV700 network DMP's dv-sdk runs (src/target/dv700).
#include <iostream>
#include <nlohmann/json.hpp>

#include "format/format.h"
#include "ir/passes.h"
#include "target/compile.h"
#include "tools/commands.h"

namespace ingot::cli {
namespace {

using nlohmann::ordered_json;

struct CompileFlags {
  std::string model;
  std::string target;
  std::string weights;
  std::vector<std::string> host;
  std::string output;
  std::string emit;     // "ingot" (default) or "dv-sdk"
  std::string name;     // dv-sdk: the network's name (class C<name>, files <name>_*)
  bool report = false;  // dv-sdk: print the layers, runs and memory
  bool vendor_compat = false;  // dv-sdk: the vendor converter's bytes where it differs from the device
  bool check_only = false;
  bool json = false;
  int threads = 0;
};

std::string chain_text(const ir::Graph& g, const target::Run& run) {
  std::string text;
  for (std::size_t n : run.nodes) text += (text.empty() ? "" : " -> ") + g.nodes[n].name + " (" + g.nodes[n].op + ")";
  return text;
}

ordered_json violation_json(const target::Violation& v) {
  return {{"layer", v.layer}, {"op", v.op},     {"limit", v.limit},
          {"value", v.value}, {"detail", v.detail}, {"rule", v.rule}, {"remedy", v.remedy}};
}

ordered_json analysis_json(const CompileFlags& f, const target::Target& t, const target::Analysis& a) {
  ordered_json j = {{"model", f.model}, {"target", t.name}, {"target_file", t.path}, {"ok", a.violations.empty()}};
  j["device_runs"] = a.partition.device_runs();
  j["host_ops"] = a.partition.runs.size() - a.partition.device_runs();
  j["runs"] = ordered_json::array();
  for (std::size_t r = 0; r < a.partition.runs.size(); ++r) {
    const auto& run = a.partition.runs[r];
    ordered_json layers = ordered_json::array();
    for (std::size_t n : run.nodes) layers.push_back({{"name", a.graph.nodes[n].name}, {"op", a.graph.nodes[n].op}});
    ordered_json row = {{"index", r}, {"device", run.on_device}, {"fusion", run.fusion}, {"layers", layers}};
    if (a.tiles[r]) row["tiles"] = a.tiles[r]->tiles;
    if (!run.on_device) row["host_reason"] = run.host_reason;
    j["runs"].push_back(row);
  }
  j["violations"] = ordered_json::array();
  for (const auto& v : a.violations) j["violations"].push_back(violation_json(v));
  return j;
}

void print_analysis(const CompileFlags& f, const target::Target& t, const target::Analysis& a) {
  std::cout << "compile " << f.model << " for " << t.name << ": " << a.partition.device_runs() << " device runs, "
            << a.partition.runs.size() - a.partition.device_runs() << " host ops\n";
  for (std::size_t r = 0; r < a.partition.runs.size(); ++r) {
    const auto& run = a.partition.runs[r];
    std::cout << "  run " << r << (run.on_device ? "  device  " : "  host    ") << chain_text(a.graph, run);
    if (!run.fusion.empty()) std::cout << "  [" << run.fusion << "]";
    if (a.tiles[r]) std::cout << "  tiles " << (a.tiles[r]->tiles == 0 ? std::string("none fit") : std::to_string(a.tiles[r]->tiles));
    if (!run.on_device) std::cout << "  -- " << run.host_reason;
    std::cout << "\n";
  }
  if (a.violations.empty()) {
    std::cout << "limits: every device layer is within " << t.name << "'s limits\n";
    return;
  }
  std::cout << "limits: " << a.violations.size() << " violation" << (a.violations.size() == 1 ? "" : "s") << "\n";
  for (const auto& v : a.violations) {
    std::cout << "  layer " << quote(v.layer) << " (" << v.op << "): " << v.detail << "\n    rule: " << v.rule
              << "\n    fix: " << v.remedy << "\n";
  }
}

Status run_compile(const CompileFlags& f) {
  if (!f.check_only && f.output.empty()) return usage_error("-o/--output is required unless --check");
  if (f.emit != "dv-sdk" && (!f.name.empty() || f.report || f.vendor_compat)) {
    return usage_error("--name, --report and --vendor-compat go with --emit dv-sdk");
  }
  INGOT_ASSIGN_OR_RETURN(const ir::Graph graph, format::read_model(f.model, default_registry()));
  INGOT_ASSIGN_OR_RETURN(const target::Target t, target::find_target(f.target, default_registry()));
  target::CompileOptions options;
  options.weights = target::weights_from_name(f.weights);  // CLI11 checked the name; empty: the target's default
  options.partition.host_layers.insert(f.host.begin(), f.host.end());
  options.threads = f.threads;
  INGOT_ASSIGN_OR_RETURN_CTX(const target::Analysis a, target::analyse(graph, t, options.partition, default_registry()),
                             "compile " + quote(f.model) + " for " + quote(t.name));
  if (f.json && (f.check_only || !a.violations.empty())) std::cout << analysis_json(f, t, a).dump(2) << "\n";
  // A dv-sdk network is laid out by the vendor's rules, not by the target's partition: show the
  // partition only where it explains a violation.
  if (!f.json && (f.emit != "dv-sdk" || !a.violations.empty() || f.check_only)) print_analysis(f, t, a);
  INGOT_TRY(target::violations_status(a.violations, t));
  if (f.check_only) return {};
  if (f.emit == "dv-sdk") {
    return write_dv_sdk({.model = f.model, .output = f.output, .name = f.name, .weights = f.weights, .host = f.host,
                         .report = f.report, .vendor_compat = f.vendor_compat, .threads = f.threads},
                        a, t);
  }
  INGOT_ASSIGN_OR_RETURN_CTX(const target::Compiled compiled, target::compile(graph, t, options, default_registry()),
                             "compile " + quote(f.model) + " for " + quote(t.name));
  INGOT_TRY(format::write_model(f.output, compiled.graph, default_registry()));
  std::size_t weight_bytes = 0;
  for (const auto& c : compiled.graph.constants) weight_bytes += c.stored_bytes();
  const char* storage = f.weights.empty() ? nullptr : f.weights.c_str();
  if (f.json) {
    ordered_json j = analysis_json(f, t, a);
    j["output"] = f.output;
    j["folded"] = compiled.log;
    j["weight_bytes"] = weight_bytes;
    std::cout << j.dump(2) << "\n";
  } else {
    for (const auto& line : compiled.log) std::cout << "  " << line << "\n";
    std::cout << "wrote " << f.output << ": " << compiled.graph.nodes.size() << " nodes, weights " << format_bytes(weight_bytes)
              << (storage ? std::string(" (") + storage + ")" : std::string()) << "\n";
  }
  return {};
}

}  // namespace

void add_compile_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("compile", "Compile an .ingot model for a target: device runs, limit check, fused and "
                                            "stored weights (see `ingot targets`)");
  auto f = std::make_shared<CompileFlags>();
  cmd->add_option("model", f->model, "the .ingot file to compile")->required();
  cmd->add_option("--target", f->target, "target name (`ingot targets`) or a target .json file")->required();
  cmd->add_option("--weights", f->weights, "weight storage of the device runs (default: the target's default_weights)")
      ->check(CLI::IsMember({"f32", "f16", "codebook8"}));
  cmd->add_option("--host", f->host, "run these layers on the host (comma-separated node names)")->delimiter(',');
  cmd->add_option("-o,--output", f->output, "the compiled .ingot file to write");
  cmd->add_option("--emit", f->emit, "what to write: ingot (a compiled .ingot file, the default) or dv-sdk (the "
                                     "DV700 network for DMP's dv-sdk: <name>_gen.h, <name>_gen.cpp, <name>_weights.bin "
                                     "in the folder -o names)")
      ->check(CLI::IsMember({"ingot", "dv-sdk"}));
  cmd->add_option("--name", f->name, "dv-sdk: the network's name (class C<name>; default: the model file's stem)");
  cmd->add_flag("--report", f->report, "dv-sdk: print the layers, their runs, weights and buffer offsets");
  cmd->add_flag("--vendor-compat", f->vendor_compat,
                "dv-sdk: write exactly what DMP's converter writes, also where the device would compute otherwise "
                "(a Dense after a device-side Flatten keeps Keras' weight order)");
  cmd->add_flag("--check", f->check_only, "only partition and check the limits; write nothing");
  cmd->add_flag("--json", f->json, "print the partition and the violations as JSON");
  cmd->add_option("--threads", f->threads, "threads for codebook fitting (default: the machine's cores)")->check(CLI::Range(1, 1024));
  cmd->final_callback([&exit_code, f] { exit_code = report(run_compile(*f)); });
}

}  // namespace ingot::cli
