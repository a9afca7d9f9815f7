// The `ingot` subcommands, one file each. Each adds itself to the app and, when chosen, stores
// its exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "frontends/keras/importer.h"
#include "ingot/status.h"

namespace ingot::cli {

void add_check_command(CLI::App& app, int& exit_code);
void add_convert_command(CLI::App& app, int& exit_code);
void add_inspect_command(CLI::App& app, int& exit_code);
void add_ops_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);

// Loads --plugin libraries: each registers its ops into default_registry().
Status load_plugins(const std::vector<std::string>& paths);

// The options convert and check share: how to read the source model.
struct ImportFlags {
  std::string model;
  std::vector<std::string> input_shapes;
  std::string params_path;
  bool keep_unknown = false;
  std::vector<std::string> plugins;
};
void add_import_flags(CLI::App& cmd, ImportFlags& flags);

struct LoadedImportOptions {
  keras::ImportOptions options;
  std::unique_ptr<keras::ParamFile> params;  // options.params points here
};
// Parses the shapes and reads the parameter file; checks the model is an HDF5 file.
Result<LoadedImportOptions> load_import_options(const ImportFlags& flags);

// Prints `status` to stderr in the house grammar and returns the exit code for its kind:
// 0 ok, 1 usage, 2 bad input, 3 verification failed, 4 unsupported, 5 i/o error, 6 internal.
int report(const Status& status);

// Human-readable byte count: "1.5 MiB (1572864 bytes)".
std::string format_bytes(std::size_t bytes);

}  // namespace ingot::cli
