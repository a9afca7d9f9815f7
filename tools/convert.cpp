// ingot convert MODEL.h5 -o MODEL.ingot [--weights f32|f16] [--input-shape 1,224,224,3 ...]
//               [--params FILE.json] [--keep-unknown] [--plugin lib.so]
#include <fstream>
#include <iostream>
#include <sstream>

#include "format/format.h"
#include "frontends/keras/importer.h"
#include "ir/builder.h"
#include "tools/commands.h"

namespace ingot::cli {
namespace {

struct ConvertOptions {
  ImportFlags import;
  std::string output;
  std::string weights = "f32";
};

Status convert(const ConvertOptions& o) {
  INGOT_TRY(load_plugins(o.import.plugins));
  INGOT_ASSIGN_OR_RETURN(auto loaded, load_import_options(o.import));
  keras::ImportReport report;
  INGOT_ASSIGN_OR_RETURN(ir::Graph graph, keras::import_file(o.import.model, loaded.options, default_registry(), &report));
  for (const auto& layer : report.layers) {
    for (const auto& d : layer.diagnostics) {
      if (d.severity == keras::Severity::warning) {
        std::cerr << "ingot: warning: layer " << quote(layer.name) << " (" << layer.class_name << "): " << d.message << "\n";
      }
    }
  }
  if (o.weights == "f16") INGOT_TRY(ir::convert_storage(graph, ir::Storage::f16));
  INGOT_TRY(format::write_model(o.output, graph, default_registry()));
  std::size_t weight_bytes = 0;
  for (const auto& c : graph.constants) weight_bytes += c.payload.byte_size();
  std::cout << "wrote " << o.output << ": " << graph.nodes.size() << " nodes, " << graph.constants.size()
            << " tensors, weights " << format_bytes(weight_bytes) << " (" << o.weights << ")\n";
  return {};
}

}  // namespace

void add_convert_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("convert", "Convert a Keras .h5 model into an .ingot file");
  auto o = std::make_shared<ConvertOptions>();
  add_import_flags(*cmd, o->import);
  cmd->add_option("-o,--output", o->output, "the .ingot file to write")->required();
  cmd->add_option("--weights", o->weights, "weight storage: f32 (default) or f16")->check(CLI::IsMember({"f32", "f16"}));
  cmd->final_callback([&exit_code, o] { exit_code = report(convert(*o)); });
}

}  // namespace ingot::cli
