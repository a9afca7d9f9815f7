// ingot convert MODEL.h5 -o MODEL.ingot [--weights f32|f16] [--input-shape 1,224,224,3 ...]
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
  std::string model;
  std::string output;
  std::string weights = "f32";
  std::vector<std::string> input_shapes;
};

Result<Shape> parse_shape_flag(const std::string& text) {
  std::vector<std::int64_t> dims;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || v < 1) {
      return usage_error("option --input-shape must be positive integers separated by commas, got \"" + text + "\"");
    }
    dims.push_back(v);
  }
  Shape shape(std::move(dims));
  if (shape.rank() == 0) return usage_error("option --input-shape must not be empty, got \"\"");
  INGOT_TRY_CTX(validate_shape(shape), "option --input-shape");
  return shape;
}

// The file's first bytes tell its format; the extension is only a hint for messages.
bool is_hdf5(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char sig[8] = {};
  in.read(sig, 8);
  return in.gcount() == 8 && std::string(sig, 8) == std::string("\x89HDF\r\n\x1a\n", 8);
}

Status convert(const ConvertOptions& o) {
  keras::ImportOptions import;
  for (const auto& s : o.input_shapes) {
    INGOT_ASSIGN_OR_RETURN(Shape shape, parse_shape_flag(s));
    import.input_shapes.push_back(shape);
  }
  {
    std::ifstream probe(o.model, std::ios::binary);
    if (!probe) return io_error("open file " + quote(o.model) + ": cannot read it");
  }
  if (!is_hdf5(o.model)) {
    return bad_input("convert file " + quote(o.model) + ": it must be a Keras HDF5 model (.h5), got a file without the HDF5 signature");
  }
  INGOT_ASSIGN_OR_RETURN(ir::Graph graph, keras::import_file(o.model, import));
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
  cmd->add_option("MODEL", o->model, "the source model (Keras HDF5)")->required();
  cmd->add_option("-o,--output", o->output, "the .ingot file to write")->required();
  cmd->add_option("--weights", o->weights, "weight storage: f32 (default) or f16")->check(CLI::IsMember({"f32", "f16"}));
  cmd->add_option("--input-shape", o->input_shapes,
                  "full shape of a model input, batch included, e.g. 1,224,224,3; once per input in order");
  cmd->final_callback([&exit_code, o] { exit_code = report(convert(*o)); });
}

}  // namespace ingot::cli
