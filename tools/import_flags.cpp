// The flags convert and check share, and turning them into importer options.
#include <fstream>
#include <sstream>

#include "tools/commands.h"

namespace ingot::cli {

void add_runtime_flags(CLI::App& cmd, RuntimeFlags& flags) {
  cmd.add_flag("--reference", flags.reference,
               "run the stored graph on the reference kernels alone, without plan-time optimization (to bisect a "
               "suspected kernel bug)");
  cmd.add_option("--conv-kernels", flags.conv_kernels,
                 "library of the convolution and dense kernels: onednn (default, the faster here, see docs/runtime.md) or "
                 "xnnpack")
      ->check(CLI::IsMember({"onednn", "xnnpack"}));
  cmd.add_option("--winograd", flags.winograd,
                 "on (default): 3x3 stride-1 convolutions run on oneDNN's Winograd F(2x2,3x3) kernel where it has one "
                 "(faster, a few ulps more rounding error); off: the direct kernel")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--threads", flags.threads, "worker threads (default: the machine's cores)")->check(CLI::Range(1, 1024));
  cmd.add_option("--device-numerics", flags.device_numerics,
                 "on (default): a compiled model rounds activations to its target's type where they leave or enter a "
                 "device run, predicting the device's output (docs/targets.md); off: f32 throughout")
      ->check(CLI::IsMember({"on", "off"}));
}

runtime::PlanOptions plan_options(const RuntimeFlags& flags) {
  runtime::PlanOptions plan;
  plan.reference = flags.reference;
  plan.threads = flags.threads;
  plan.conv_library = flags.conv_kernels == "xnnpack" ? kernels::ConvLibrary::xnnpack : kernels::ConvLibrary::onednn;
  plan.winograd = flags.winograd == "on";
  plan.device_numerics = flags.device_numerics == "on";
  return plan;
}
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

namespace {

// The file's first bytes tell its format; the extension is only a hint for messages.
bool is_hdf5(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char sig[8] = {};
  in.read(sig, 8);
  return in.gcount() == 8 && std::string(sig, 8) == std::string("\x89HDF\r\n\x1a\n", 8);
}

// A name that promises a Keras file: a file without the HDF5 signature is then a broken .h5,
// not a Caffe prototxt.
bool has_keras_extension(const std::string& path) {
  for (const char* ext : {".h5", ".hdf5", ".keras"}) {
    const std::string e(ext);
    if (path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

}  // namespace

void add_import_flags(CLI::App& cmd, ImportFlags& flags) {
  cmd.add_option("MODEL", flags.model, "the source model: Keras HDF5 (.h5) or Caffe network text (.prototxt)")->required();
  cmd.add_option("--weights", flags.weights,
                 "Caffe: the trained blobs (.caffemodel). (convert also accepts f32, f16 or codebook8 here, the older spelling of --storage)");
  cmd.add_option("--input-shape", flags.input_shapes,
                 "full shape of a model input, batch included, e.g. 1,224,224,3; once per input in order");
  cmd.add_option("--params", flags.params_path,
                 "JSON parameters for custom (Keras: and Lambda) layers, by layer name or \"class:<Name>\" (Caffe: the layer type); they override the model file");
  cmd.add_flag("--keep-unknown", flags.keep_unknown,
               "carry unknown custom classes as opaque ops (they run once a kernel is registered, see --plugin)");
  cmd.add_option("--plugin", flags.plugins, "a shared library registering user ops (ingot_register_ops); repeatable");
  cmd.add_option("--bilinear-centers", flags.bilinear_centers,
                 "Keras: centers of bilinear UpSampling2D, half-pixel (TF 2.x) or asymmetric (Keras <= 2.3, TF 1.x); "
                 "default: chosen from the file's keras_version, as `check` reports")
      ->check(CLI::IsMember({"half-pixel", "asymmetric"}));
}

Result<LoadedImportOptions> load_import_options(const ImportFlags& flags) {
  LoadedImportOptions loaded;
  for (const auto& s : flags.input_shapes) {
    INGOT_ASSIGN_OR_RETURN(Shape shape, parse_shape_flag(s));
    loaded.options.input_shapes.push_back(shape);
  }
  if (!flags.params_path.empty()) {
    INGOT_ASSIGN_OR_RETURN(import::ParamFile file, import::ParamFile::load(flags.params_path));
    loaded.params = std::make_unique<import::ParamFile>(std::move(file));
    loaded.options.params = loaded.params.get();
  }
  loaded.options.keep_unknown = flags.keep_unknown;
  loaded.options.bilinear_centers = flags.bilinear_centers;
  {
    std::ifstream probe(flags.model, std::ios::binary);
    if (!probe) return io_error("open file " + quote(flags.model) + ": cannot read it");
  }
  loaded.caffe = !is_hdf5(flags.model);
  if (loaded.caffe && has_keras_extension(flags.model)) {
    return bad_input("convert file " + quote(flags.model) +
                     ": it must be a Keras HDF5 model (.h5), got a file without the HDF5 signature");
  }
  if (loaded.caffe) {
    if (!flags.bilinear_centers.empty()) {
      return usage_error("option --bilinear-centers applies to Keras models; " + quote(flags.model) + " is not an HDF5 file");
    }
    loaded.caffe_options.input_shapes = loaded.options.input_shapes;
    loaded.caffe_options.keep_unknown = flags.keep_unknown;
    loaded.caffe_options.params = loaded.params.get();
    if (!is_storage_name(flags.weights)) loaded.caffe_options.weights_path = flags.weights;
  } else if (!flags.weights.empty() && !is_storage_name(flags.weights)) {
    return usage_error("option --weights names a Caffe .caffemodel; a Keras .h5 holds its own weights, got " + quote(flags.weights));
  }
  return loaded;
}

bool is_storage_name(const std::string& weights) {
  return weights == "f32" || weights == "f16" || weights == "codebook8";
}

Result<ir::Graph> import_model(const ImportFlags& flags, const LoadedImportOptions& loaded, keras::ImportReport* report) {
  if (!loaded.caffe) return keras::import_file(flags.model, loaded.options, default_registry(), report);
  auto graph = caffe_import::import_caffe(flags.model, loaded.caffe_options, default_registry(), report);
  if (!graph.ok() && graph.status().message().rfind("parse Caffe prototxt", 0) == 0) {
    return Status(graph.status().kind(), graph.status().message() +
                                             " (MODEL must be a Keras HDF5 model (.h5) or a Caffe network text (.prototxt))");
  }
  return graph;
}

}  // namespace ingot::cli
