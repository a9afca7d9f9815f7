// ingot convert MODEL.h5|deploy.prototxt [--weights model.caffemodel] -o MODEL.ingot [--storage f32|f16|codebook8]
//               [--input-shape 1,224,224,3 ...] [--params FILE.json] [--keep-unknown] [--plugin lib.so]
//               [--target NAME [--host LAYER,...]]   (convert, then compile for the target)
//               [--target dv700 --emit dv-sdk [--name N] -o DIR]   (the dv-sdk network instead)
#include <fstream>
#include <iostream>
#include <sstream>

#include "format/format.h"
#include "frontends/keras/importer.h"
#include "ir/builder.h"
#include "runtime/npy.h"
#include "runtime/fold.h"
#include "runtime/self_test.h"
#include "target/compile.h"
#include "tools/commands.h"

namespace ingot::cli {
namespace {

struct ConvertOptions {
  ImportFlags import;
  std::string output;
  std::string storage;  // empty: f32, or the target's default weights with --target
  std::string target;
  std::vector<std::string> host;
  std::string emit;  // "ingot" (default) or "dv-sdk"
  std::string name;
  bool report = false;
  bool vendor_compat = false;
  std::vector<std::string> test_inputs;
  std::vector<std::string> test_expected;
  std::vector<std::string> test_layers;
  double test_atol = 1e-4;
  double test_rtol = 1e-4;
};

Result<std::vector<Tensor>> read_npys(const std::vector<std::string>& paths) {
  std::vector<Tensor> out;
  for (const auto& p : paths) {
    INGOT_ASSIGN_OR_RETURN(Tensor t, npy::read(p));
    out.push_back(std::move(t));
  }
  return out;
}

Status convert(const ConvertOptions& o) {
  INGOT_TRY(load_plugins(o.import.plugins));
  INGOT_ASSIGN_OR_RETURN(auto loaded, load_import_options(o.import));
  keras::ImportReport report;
  INGOT_ASSIGN_OR_RETURN(ir::Graph graph, import_model(o.import, loaded, &report));
  for (const auto& layer : report.layers) {
    for (const auto& d : layer.diagnostics) {
      if (d.severity == keras::Severity::warning) {
        std::cerr << "ingot: warning: file " << quote(o.import.model) << ", layer " << quote(layer.name) << " ("
                  << layer.class_name << "): " << d.message << "\n";
      }
    }
  }
  std::string storage = is_storage_name(o.import.weights) ? o.import.weights : o.storage;
  if (!o.host.empty() && o.target.empty()) return usage_error("--host needs --target");
  if (o.target.empty()) {
    if (storage == "f16") INGOT_TRY(ir::convert_storage(graph, ir::Storage::f16, default_registry()));
    if (storage == "codebook8") INGOT_TRY(ir::convert_storage(graph, ir::Storage::codebook8, default_registry()));
  }
  INGOT_ASSIGN_OR_RETURN(auto folded, runtime::fold_shape_only_nodes(graph, default_registry()));
  if (o.emit == "dv-sdk") {
    if (o.target.empty()) return usage_error("--emit dv-sdk needs --target dv700");
    if (!o.test_inputs.empty()) return usage_error("--test-input goes into .ingot files, not dv-sdk networks");
    INGOT_ASSIGN_OR_RETURN(const target::Target t, target::find_target(o.target, default_registry()));
    INGOT_ASSIGN_OR_RETURN_CTX(const target::Analysis a, target::analyse(graph, t, {}, default_registry()),
                               "write the dv-sdk network of " + quote(o.import.model));
    return write_dv_sdk({.model = o.import.model, .output = o.output, .name = o.name, .weights = storage, .host = o.host,
                         .report = o.report, .vendor_compat = o.vendor_compat},
                        a, t);
  }
  if (!o.name.empty() || o.report || o.vendor_compat) return usage_error("--name, --report and --vendor-compat go with --emit dv-sdk");
  if (!o.target.empty()) {
    // As `ingot compile` does it, on the converted graph: the target decides the storage of
    // its device runs' weights (--storage overrides its default) and the host keeps f32.
    INGOT_ASSIGN_OR_RETURN(const target::Target t, target::find_target(o.target, default_registry()));
    target::CompileOptions options;
    options.weights = target::weights_from_name(storage);  // empty: the target's default
    options.partition.host_layers.insert(o.host.begin(), o.host.end());
    INGOT_ASSIGN_OR_RETURN_CTX(target::Compiled compiled, target::compile(graph, t, options, default_registry()),
                               "compile " + quote(o.import.model) + " for " + quote(t.name));
    graph = std::move(compiled.graph);
    storage = t.name + ", device weights " + target::weights_name(graph.compilation->weights);
  }
  if (storage.empty()) storage = "f32";
  if (!o.test_inputs.empty()) {
    // After the storage conversion: the vectors test the weights as stored (f16 included).
    runtime::TestVectorSpec spec;
    INGOT_ASSIGN_OR_RETURN(spec.inputs, read_npys(o.test_inputs));
    INGOT_ASSIGN_OR_RETURN(spec.expected, read_npys(o.test_expected));
    spec.values = o.test_layers;
    INGOT_TRY_CTX(runtime::embed_test_vectors(graph, spec, default_registry(), o.test_atol, o.test_rtol), "embed test vectors");
  } else if (!o.test_expected.empty() || !o.test_layers.empty()) {
    return usage_error("--test-expected and --test-layers need --test-input");
  }
  INGOT_TRY(format::write_model(o.output, graph, default_registry()));
  std::size_t weight_bytes = 0;
  for (const auto& c : graph.constants) weight_bytes += c.stored_bytes();
  std::cout << "wrote " << o.output << ": " << graph.nodes.size() << " nodes, " << graph.constants.size()
            << " tensors, weights " << format_bytes(weight_bytes) << " (" << storage << ")";
  if (!folded.empty()) std::cout << ", " << folded.size() << " shape-only nodes folded to constants";
  std::cout << "\n";
  return {};
}

}  // namespace

void add_convert_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("convert", "Convert a Keras .h5 or Caffe .prototxt (+ .caffemodel) model into an .ingot file");
  auto o = std::make_shared<ConvertOptions>();
  add_import_flags(*cmd, o->import);
  cmd->add_option("-o,--output", o->output, "the .ingot file to write (the folder, with --emit dv-sdk)")->required();
  cmd->add_option("--storage", o->storage,
                  "weight storage: f32 (default), f16, or codebook8 (convolution and dense kernels as 256 binary16 "
                  "entries per layer and a u8 index per weight; the other tensors f16)")
      ->check(CLI::IsMember({"f32", "f16", "codebook8"}));
  cmd->add_option("--target", o->target,
                  "compile for this target as `ingot compile` does (name or .json file; see `ingot targets`): device "
                  "runs, limit check, folded weights in the target's storage (--storage overrides its default)");
  cmd->add_option("--host", o->host, "with --target: run these layers on the host (comma-separated)")->delimiter(',');
  cmd->add_option("--emit", o->emit, "with --target dv700: ingot (an .ingot file, the default) or dv-sdk (the DV700 "
                                     "network for DMP's dv-sdk, written into the folder -o names; see `ingot compile`)")
      ->check(CLI::IsMember({"ingot", "dv-sdk"}));
  cmd->add_option("--name", o->name, "dv-sdk: the network's name (default: the model file's stem)");
  cmd->add_flag("--report", o->report, "dv-sdk: print the layers, runs, weights and buffer offsets");
  cmd->add_flag("--vendor-compat", o->vendor_compat, "dv-sdk: write exactly what DMP's converter writes (see `ingot compile`)");
  cmd->add_option("--test-input", o->test_inputs, "store a test input .npy in the file (once per model input); `ingot check` re-runs it");
  cmd->add_option("--test-expected", o->test_expected,
                  "reference outputs from the source framework (.npy, once per output), stored instead of ingot's own; "
                  "conversion fails if ingot does not match them");
  cmd->add_option("--test-layers", o->test_layers, "also store these intermediate values (Keras layer names)")->delimiter(',');
  cmd->add_option("--test-atol", o->test_atol, "absolute tolerance for --test-expected (default 1e-4)");
  cmd->add_option("--test-rtol", o->test_rtol, "relative tolerance for --test-expected (default 1e-4)");
  cmd->final_callback([&exit_code, o] { exit_code = report(convert(*o)); });
}

}  // namespace ingot::cli
