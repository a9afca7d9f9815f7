// The flags convert and check share, and turning them into importer options.
#include <fstream>
#include <sstream>

#include "tools/commands.h"

namespace ingot::cli {
namespace {

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

}  // namespace

void add_import_flags(CLI::App& cmd, ImportFlags& flags) {
  cmd.add_option("MODEL", flags.model, "the source model (Keras HDF5)")->required();
  cmd.add_option("--input-shape", flags.input_shapes,
                 "full shape of a model input, batch included, e.g. 1,224,224,3; once per input in order");
  cmd.add_option("--params", flags.params_path,
                 "JSON parameters for custom and Lambda layers, by layer name or \"class:<Name>\"; they override the model file");
  cmd.add_flag("--keep-unknown", flags.keep_unknown,
               "carry unknown custom classes as opaque ops (they run once a kernel is registered, see --plugin)");
  cmd.add_option("--plugin", flags.plugins, "a shared library registering user ops (ingot_register_ops); repeatable");
}

Result<LoadedImportOptions> load_import_options(const ImportFlags& flags) {
  LoadedImportOptions loaded;
  for (const auto& s : flags.input_shapes) {
    INGOT_ASSIGN_OR_RETURN(Shape shape, parse_shape_flag(s));
    loaded.options.input_shapes.push_back(shape);
  }
  if (!flags.params_path.empty()) {
    INGOT_ASSIGN_OR_RETURN(keras::ParamFile file, keras::ParamFile::load(flags.params_path));
    loaded.params = std::make_unique<keras::ParamFile>(std::move(file));
    loaded.options.params = loaded.params.get();
  }
  loaded.options.keep_unknown = flags.keep_unknown;
  {
    std::ifstream probe(flags.model, std::ios::binary);
    if (!probe) return io_error("open file " + quote(flags.model) + ": cannot read it");
  }
  if (!is_hdf5(flags.model)) {
    return bad_input("convert file " + quote(flags.model) +
                     ": it must be a Keras HDF5 model (.h5), got a file without the HDF5 signature");
  }
  return loaded;
}

}  // namespace ingot::cli
