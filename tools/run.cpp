// ingot run MODEL --input x.npy [--input y.npy ...] --output-dir DIR [--dump-all DIR]
#include <filesystem>
#include <iostream>

#include "runtime/npy.h"
#include "runtime/session.h"
#include "tools/commands.h"

namespace ingot::cli {
namespace {

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::string output_dir;
  std::string dump_dir;
  std::vector<std::string> plugins;
  RuntimeFlags runtime;
};

// Value names may hold characters that cannot appear in file names ("/" in Keras scopes).
std::string file_stem(const std::string& value_name) {
  std::string s = value_name;
  for (char& c : s) {
    if (c == '/' || c == ':' || c == '\\') c = '_';
  }
  return s;
}

Status make_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("create directory " + quote(dir) + ": " + ec.message());
  return {};
}

Status run_model(const RunOptions& o) {
  INGOT_TRY(load_plugins(o.plugins));
  runtime::PlanOptions plan = plan_options(o.runtime);
  plan.keep_all_values = !o.dump_dir.empty();  // intermediates must not share memory then
  std::vector<Tensor> inputs;
  for (const auto& path : o.inputs) {
    INGOT_ASSIGN_OR_RETURN(Tensor t, npy::read(path));
    plan.input_shapes.push_back(t.shape());  // open dims: plan once, for the shapes fed
    inputs.push_back(std::move(t));
  }
  INGOT_ASSIGN_OR_RETURN(auto session, runtime::Session::load(o.model, default_registry(), plan));
  INGOT_ASSIGN_OR_RETURN_CTX(auto outputs, session.run(inputs), "run model " + quote(o.model));
  INGOT_TRY(make_dir(o.output_dir));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const std::string path = o.output_dir + "/output_" + std::to_string(i) + ".npy";
    INGOT_TRY(npy::write(path, outputs[i]));
    std::cout << path << "  " << session.graph().outputs[i] << "  " << dtype_name(outputs[i].dtype()) << " "
              << outputs[i].shape().to_string() << "\n";
  }
  if (!o.dump_dir.empty()) {
    INGOT_TRY(make_dir(o.dump_dir));
    for (const auto& value : session.graph().values) {
      INGOT_TRY(npy::write(o.dump_dir + "/" + file_stem(value.name) + ".npy", *session.value(value.name)));
    }
  }
  return {};
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run a model on .npy inputs and write its outputs as .npy files");
  auto o = std::make_shared<RunOptions>();
  cmd->add_option("MODEL", o->model, "the .ingot file")->required();
  cmd->add_option("-i,--input", o->inputs, "an input .npy, once per model input in order");
  cmd->add_option("-o,--output-dir", o->output_dir, "where output_N.npy go")->required();
  cmd->add_option("--dump-all", o->dump_dir, "also write every intermediate value here, named after its node");
  cmd->add_option("--plugin", o->plugins, "a shared library registering user ops (ingot_register_ops); repeatable");
  add_runtime_flags(*cmd, o->runtime);
  cmd->final_callback([&exit_code, o] { exit_code = report(run_model(*o)); });
}

}  // namespace ingot::cli
