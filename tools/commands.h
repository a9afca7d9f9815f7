// The `ingot` subcommands, one file each. Each adds itself to the app and, when chosen, stores
// its exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "frontends/caffe/importer.h"
#include "frontends/keras/importer.h"
#include "ingot/status.h"
#include "runtime/session.h"
#include "target/compile.h"
#include "target/target.h"

namespace ingot::cli {

void add_check_command(CLI::App& app, int& exit_code);
void add_convert_command(CLI::App& app, int& exit_code);
void add_inspect_command(CLI::App& app, int& exit_code);
void add_ops_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_targets_command(CLI::App& app, int& exit_code);
void add_compile_command(CLI::App& app, int& exit_code);
void add_compare_command(CLI::App& app, int& exit_code);

// Loads --plugin libraries: each registers its ops into default_registry().
Status load_plugins(const std::vector<std::string>& paths);

// The options convert and check share: how to read the source model.
struct ImportFlags {
  std::string model;
  std::vector<std::string> input_shapes;
  std::string params_path;
  std::string weights;  // Caffe: the .caffemodel (convert also takes f32 / f16 / codebook8 here, see --storage)
  bool keep_unknown = false;
  std::string bilinear_centers;
  std::vector<std::string> plugins;
};
void add_import_flags(CLI::App& cmd, ImportFlags& flags);

struct LoadedImportOptions {
  bool caffe = false;  // MODEL is a Caffe .prototxt (else a Keras .h5)
  keras::ImportOptions options;
  caffe_import::ImportOptions caffe_options;
  std::unique_ptr<import::ParamFile> params;  // options.params points here
};
// Parses the shapes and reads the parameter file; tells a Keras HDF5 file from a Caffe
// prototxt by its first bytes.
Result<LoadedImportOptions> load_import_options(const ImportFlags& flags);
// Imports MODEL with the importer of its format; `report` receives the per-layer review.
Result<ir::Graph> import_model(const ImportFlags& flags, const LoadedImportOptions& loaded, keras::ImportReport* report);
// True for the --weights values that mean weight storage rather than a Caffe weights file.
bool is_storage_name(const std::string& weights);

// The options run, check and bench share: which kernels and how many threads.
struct RuntimeFlags {
  bool reference = false;
  std::string conv_kernels = "onednn";
  std::string winograd = "on";
  std::string device_numerics = "on";
  int threads = 0;  // 0: the machine's cores
};
void add_runtime_flags(CLI::App& cmd, RuntimeFlags& flags);
// "1,224,224,3" -> [1, 224, 224, 3]; usage errors name --input-shape.
Result<Shape> parse_shape_flag(const std::string& text);
runtime::PlanOptions plan_options(const RuntimeFlags& flags);

// Prints `status` to stderr in the house grammar and returns the exit code for its kind:
// 0 ok, 1 usage, 2 bad input, 3 verification failed, 4 unsupported, 5 i/o error, 6 internal,
// 7 the model breaks its target's limits (ingot compile).
int report(const Status& status);

// --emit dv-sdk (compile and convert): the DV700 network for DMP's dv-sdk, written into the
// folder `output` (tools/dv_sdk.cpp).
struct DvSdkFlags {
  std::string model;    // for messages and the default name
  std::string output;   // the folder
  std::string name;     // empty: the model file's stem
  std::string weights;  // "", "f16" or "codebook8"
  std::vector<std::string> host;
  bool report = false;
  bool vendor_compat = false;
  int threads = 0;
};
// `analysis`: target::analyse of the model for `target` (shapes inferred, limits checked).
Status write_dv_sdk(const DvSdkFlags& flags, const target::Analysis& analysis, const target::Target& target);

// Human-readable byte count: "1.5 MiB (1572864 bytes)".
std::string format_bytes(std::size_t bytes);

}  // namespace ingot::cli
