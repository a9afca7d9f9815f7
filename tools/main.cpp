// ingot: convert trained CNN models into offline models, inspect them, and run them.
#include <exception>
#include <iostream>

#include "tools/commands.h"

namespace ingot::cli {

int report(const Status& status) {
  if (status.ok()) return 0;
  std::cerr << "ingot: " << error_kind_name(status.kind()) << ": " << status.message() << "\n";
  return static_cast<int>(status.kind());
}

std::string format_bytes(std::size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace ingot::cli

int main(int argc, char** argv) {
  using namespace ingot::cli;
  CLI::App app{"ingot: converts trained CNN models into compact offline models and runs them"};
  app.set_version_flag("--version", std::string("ingot ") + INGOT_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  using AddCommand = void (*)(CLI::App&, int&);
  for (AddCommand add : {add_bench_command, add_check_command, add_compare_command, add_compile_command, add_convert_command, add_inspect_command, add_ops_command, add_run_command, add_targets_command}) add(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help and version as "errors" with exit code 0; real usage errors give 1.
    const int code = app.exit(e);
    return code == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    return report(ingot::internal_error(std::string("unexpected exception: ") + e.what()));
  }
  return exit_code;
}
