// The `ingot` subcommands, one file each. Each adds itself to the app and, when chosen, stores
// its exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "ingot/status.h"

namespace ingot::cli {

void add_convert_command(CLI::App& app, int& exit_code);
void add_inspect_command(CLI::App& app, int& exit_code);
void add_ops_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);

// Prints `status` to stderr in the house grammar and returns the exit code for its kind:
// 0 ok, 1 usage, 2 bad input, 3 verification failed, 4 unsupported, 5 i/o error, 6 internal.
int report(const Status& status);

// Human-readable byte count: "1.5 MiB (1572864 bytes)".
std::string format_bytes(std::size_t bytes);

}  // namespace ingot::cli
