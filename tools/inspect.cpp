// ingot inspect FILE [--json]: everything in a model file, validated first.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "ir/builder.h"
#include "ir/open_dims.h"
#include "runtime/npy.h"
#include "format/format.h"
#include "format/storage.h"
#include "kernels/cpu_level.h"
#include "runtime/session.h"
#include "plan/plan_graph.h"
#include "target/target.h"
#include "tools/commands.h"

namespace ingot::cli {
namespace {

using nlohmann::ordered_json;

const char* storage_name(ir::Storage s) { return format::find_storage(s)->name; }

ordered_json number_json(double v) {
  if (std::isfinite(v)) return v;
  return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");  // JSON has no NaN or infinity
}

ordered_json attr_json(const AttrValue& v) {
  switch (attr_type(v)) {
    case AttrType::int_: return std::get<std::int64_t>(v);
    case AttrType::float_: return number_json(std::get<double>(v));
    case AttrType::bool_: return std::get<bool>(v);
    case AttrType::string: return std::get<std::string>(v);
    case AttrType::int_list: return std::get<std::vector<std::int64_t>>(v);
    case AttrType::float_list: {
      ordered_json list = ordered_json::array();
      for (double x : std::get<std::vector<double>>(v)) list.push_back(number_json(x));
      return list;
    }
    case AttrType::string_list: return std::get<std::vector<std::string>>(v);
    case AttrType::tensor: return {{"tensor", std::get<TensorRef>(v).name}};
  }
  return nullptr;
}

ordered_json typed_attrs_json(const AttrMap& attrs) {
  ordered_json out = ordered_json::object();
  for (const auto& [key, value] : attrs) out[key] = {{"type", attr_type_name(attr_type(value))}, {"value", attr_json(value)}};
  return out;
}

struct TensorRow {
  const ir::Constant* constant;
  std::size_t offset;
  std::size_t bytes;
  bool layer_weights;  // what --storage codebook8 quantizes
};

struct Report {
  std::string path;
  std::size_t file_size = 0;
  const ir::Graph* graph = nullptr;
  std::vector<TensorRow> tensors;
  std::size_t weight_bytes = 0;
  std::optional<std::size_t> activation_bytes;
  std::size_t unshared_bytes = 0;
  std::string activation_note;  // why activation memory is unknown
  // --plan: what the runtime will execute.
  bool plan = false;
  int threads = 1;
  std::vector<std::string> rewrites;
  std::vector<runtime::StepProfile> steps;
};

ordered_json plan_json(const Report& r) {
  ordered_json j;
  j["threads"] = r.threads;
  j["cpu_level"] = kernels::describe_cpu_level();
  j["passes"] = ordered_json::array();
  for (const auto& pass : plan::passes()) j["passes"].push_back({{"name", pass.name}, {"doc", pass.doc}});
  j["rewrites"] = r.rewrites;
  j["steps"] = ordered_json::array();
  for (const auto& s : r.steps) j["steps"].push_back({{"node", s.node}, {"op", s.op}, {"kernel", s.kernel}});
  return j;
}

void print_plan(const Report& r) {
  std::cout << "\nplan (" << r.threads << " thread(s), CPU level " << kernels::describe_cpu_level()
            << "; the stored graph is unchanged)\n  passes, in order:\n";
  for (const auto& pass : plan::passes()) {
    const std::string prefix = std::string(pass.name) + ":";
    const auto count = std::count_if(r.rewrites.begin(), r.rewrites.end(),
                                     [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
    std::cout << "    " << pass.name << std::string(18 - std::min<std::size_t>(17, std::strlen(pass.name)), ' ')
              << count << " rewrite(s)   " << pass.doc << "\n";
  }
  if (!r.rewrites.empty()) std::cout << "  rewrites:\n";
  for (const auto& line : r.rewrites) std::cout << "    " << line << "\n";
  std::cout << "  steps (" << r.steps.size() << "):\n";
  for (const auto& s : r.steps) std::cout << "    " << s.node << "  " << s.op << "  " << s.kernel << "\n";
}

ordered_json value_json(const ir::Graph& g, const std::string& name) {
  const ir::Value* v = g.find_value(name);
  return {{"name", name}, {"dtype", dtype_name(v->info.dtype)}, {"shape", v->info.shape.dims()}};
}

// The version a file of this graph has (the writer's choice; the reader accepts no other).
std::uint32_t file_version(const ir::Graph& g) { return format::version_for(g); }

ordered_json compilation_json(const ir::Compilation& c) {
  ordered_json j = {{"target", c.target},
                    {"activations", dtype_name(c.activations)},
                    {"accumulation", dtype_name(c.accumulation)},
                    {"weights", target::weights_name(c.weights)}};
  j["runs"] = ordered_json::array();
  for (const auto& run : c.runs) {
    j["runs"].push_back({{"device", run.on_device}, {"fusion", run.fusion}, {"nodes", run.nodes},
                         {"layers", run.layers}, {"tiles", run.tiles}});
  }
  j["target_text"] = c.target_text;
  return j;
}

void print_compilation(const ir::Compilation& c) {
  std::size_t device = 0;
  for (const auto& run : c.runs) device += run.on_device ? 1 : 0;
  std::cout << "compiled for " << c.target << ": activations " << dtype_name(c.activations) << ", accumulation "
            << dtype_name(c.accumulation) << ", device weights " << target::weights_name(c.weights) << "; " << device
            << " device runs, " << c.runs.size() - device << " host ops\n";
  for (std::size_t r = 0; r < c.runs.size(); ++r) {
    const auto& run = c.runs[r];
    std::cout << "  run " << r << (run.on_device ? "  device  " : "  host    ");
    for (std::size_t i = 0; i < run.layers.size(); ++i) std::cout << (i ? " -> " : "") << run.layers[i];
    if (run.layers.size() != run.nodes.size()) {
      std::cout << "  (as nodes";
      for (const auto& n : run.nodes) std::cout << " " << n;
      std::cout << ")";
    }
    if (!run.fusion.empty()) std::cout << "  [" << run.fusion << "]";
    if (run.tiles > 0) std::cout << "  tiles " << run.tiles;
    std::cout << "\n";
  }
}

void print_json(const Report& r) {
  const ir::Graph& g = *r.graph;
  ordered_json j;
  j["file"] = r.path;
  j["file_size"] = r.file_size;
  j["format_version"] = file_version(g);
  j["metadata"] = typed_attrs_json(g.metadata);
  j["inputs"] = ordered_json::array();
  const auto open_dims = ir::input_open_dims(g);
  for (std::size_t i = 0; i < g.inputs.size(); ++i) {
    j["inputs"].push_back(value_json(g, g.inputs[i]));
    // Per dim the name of an open one, null for a fixed one; no key when all are fixed.
    if (!open_dims[i].empty()) {
      ordered_json names = ordered_json::array();
      for (const auto& d : open_dims[i]) names.push_back(d.empty() ? ordered_json(nullptr) : ordered_json(d));
      j["inputs"].back()["open_dims"] = names;
    }
  }
  j["outputs"] = ordered_json::array();
  for (const auto& n : g.outputs) j["outputs"].push_back(value_json(g, n));
  j["nodes"] = ordered_json::array();
  for (const auto& node : g.nodes) {
    ordered_json outs = ordered_json::array();
    for (const auto& o : node.outputs) outs.push_back(value_json(g, o));
    j["nodes"].push_back({{"name", node.name}, {"op", node.op}, {"version", node.version},
                          {"inputs", node.inputs}, {"outputs", outs}, {"params", typed_attrs_json(node.attrs)}});
  }
  j["tensors"] = ordered_json::array();
  for (const auto& t : r.tensors) {
    j["tensors"].push_back({{"name", t.constant->name}, {"storage", storage_name(t.constant->storage)},
                            {"dtype", dtype_name(t.constant->dtype)}, {"shape", t.constant->shape().dims()},
                            {"bytes", t.bytes}, {"offset", t.offset}, {"layer_weights", t.layer_weights}});
  }
  if (g.compilation) j["compilation"] = compilation_json(*g.compilation);
  j["totals"] = {{"nodes", g.nodes.size()}, {"tensors", r.tensors.size()}, {"weight_bytes", r.weight_bytes},
                 {"activation_bytes", r.activation_bytes ? ordered_json(*r.activation_bytes) : ordered_json(nullptr)}};
  if (r.plan) j["plan"] = plan_json(r);
  std::cout << j.dump(2) << "\n";
}

std::string value_text(const ir::Graph& g, const std::string& name) {
  const ir::Value* v = g.find_value(name);
  return name + "  " + dtype_name(v->info.dtype) + " " + v->info.shape.to_string();
}

void print_text(const Report& r) {
  const ir::Graph& g = *r.graph;
  std::cout << "model " << r.path << "  (" << format_bytes(r.file_size) << ", format version "
            << file_version(g) << ", checksum ok)\n";
  std::cout << "metadata:\n";
  for (const auto& [k, v] : g.metadata) std::cout << "  " << k << " = " << attr_to_string(v) << "\n";
  std::cout << "inputs:\n";
  for (std::size_t i = 0; i < g.inputs.size(); ++i) {
    const ir::Value* v = g.find_value(g.inputs[i]);
    const bool open = !ir::input_open_dims(g)[i].empty();
    std::cout << "  " << g.inputs[i] << "  " << dtype_name(v->info.dtype) << " " << ir::describe_input(g, i)
              << (open ? "  (named dims are open: run takes any size >= 1; the file's shapes are for the sizes shown)" : "")
              << "\n";
  }
  std::cout << "outputs:\n";
  for (const auto& n : g.outputs) std::cout << "  " << value_text(g, n) << "\n";
  if (g.compilation) print_compilation(*g.compilation);
  std::cout << "nodes (" << g.nodes.size() << "):\n";
  for (const auto& node : g.nodes) {
    std::cout << "  " << node.name << "  " << node.op << " v" << node.version << "  (";
    for (std::size_t i = 0; i < node.inputs.size(); ++i) std::cout << (i ? ", " : "") << node.inputs[i];
    std::cout << ")\n";
    for (const auto& o : node.outputs) std::cout << "      -> " << value_text(g, o) << "\n";
    for (const auto& [k, v] : node.attrs) std::cout << "      " << k << " = " << attr_to_string(v) << "\n";
  }
  std::cout << "tensors (" << r.tensors.size() << "):\n";
  for (const auto& t : r.tensors) {
    std::cout << "  " << t.constant->name << "  " << dtype_name(t.constant->dtype) << " "
              << t.constant->shape().to_string() << "  storage " << storage_name(t.constant->storage) << "  "
              << t.bytes << " bytes at offset " << t.offset << (t.layer_weights ? "  (layer weights)" : "") << "\n";
  }
  std::cout << "totals: " << g.nodes.size() << " nodes, " << r.tensors.size() << " tensors, weights "
            << format_bytes(r.weight_bytes) << ", activation memory (planned) "
            << (r.activation_bytes ? format_bytes(*r.activation_bytes) + " (" + format_bytes(r.unshared_bytes) + " without sharing)"
                                   : "unknown: " + r.activation_note)
            << "\n";
}

// A file name for a tensor name: letters, digits, '.', '_' and '-' as they are, every other
// byte as %XX, so that names with '/' (Keras' layer/weight) or '..' stay inside the folder.
std::string tensor_file_name(const std::string& name) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : name) {
    if (std::isalnum(ch) || ch == '_' || ch == '-' || (ch == '.' && !out.empty())) {
      out += static_cast<char>(ch);
    } else {
      out += {'%', hex[ch >> 4], hex[ch & 15]};
    }
  }
  return out + ".npy";
}

// Every constant, decoded to its logical dtype (what the kernels see), as DIR/<name>.npy. The
// files are written into a sibling staging folder first and moved into DIR only when all are
// written, so a failure part way (a full disk) leaves no partial set behind.
Status export_tensors(const ir::Graph& graph, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return io_error("create folder " + quote(dir) + ": " + ec.message());
  const fs::path target = fs::absolute(dir);
  const fs::path staging = target.parent_path() / ("." + target.filename().string() + ".partial-" + std::to_string(::getpid()));
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return io_error("create folder " + quote(staging.string()) + ": " + ec.message());
  const auto write_all = [&]() -> Status {
    for (const auto& c : graph.constants) {
      INGOT_ASSIGN_OR_RETURN_CTX(const Tensor value, ir::decode_constant(c), "export tensor " + quote(c.name));
      INGOT_TRY(npy::write((staging / tensor_file_name(c.name)).string(), value));
    }
    for (const auto& c : graph.constants) {
      fs::rename(staging / tensor_file_name(c.name), target / tensor_file_name(c.name), ec);
      if (ec) return io_error("move " + quote(tensor_file_name(c.name)) + " into " + quote(dir) + ": " + ec.message());
    }
    return {};
  };
  const Status st = write_all();
  fs::remove_all(staging, ec);
  return st;
}

int run_inspect(const std::string& path, bool json, bool plan, const RuntimeFlags& runtime_flags,
                const std::vector<std::string>& plugins, const std::string& export_dir) {
  if (Status st = load_plugins(plugins); !st.ok()) return report(st);
  auto file = MappedFile::open(path);
  if (!file.ok()) return report(file.status());
  const auto bytes = (*file)->bytes();
  auto graph = format::parse_model(bytes, *file, default_registry(), path);
  if (!graph.ok()) return report(graph.status());
  if (!export_dir.empty()) {
    if (Status st = export_tensors(*graph, export_dir); !st.ok()) return report(st);
  }

  Report r{.path = path, .file_size = bytes.size(), .graph = &*graph};
  const auto layer_weights = ir::layer_weight_constants(*graph, default_registry());
  for (const auto& c : graph->constants) {
    const std::byte* first = c.codebook.empty() ? c.payload.bytes() : c.codebook.bytes();
    const auto offset = static_cast<std::size_t>(first - bytes.data());
    r.tensors.push_back({&c, offset, c.stored_bytes(), layer_weights.count(c.name) != 0});
    r.weight_bytes += c.stored_bytes();
  }
  auto session = runtime::Session::plan(*graph, default_registry(), plan_options(runtime_flags));
  if (session.ok()) {
    r.activation_bytes = session->activation_bytes();
    r.unshared_bytes = session->unshared_activation_bytes();
    r.plan = plan;
    r.threads = session->threads();
    r.rewrites = session->pass_log();
    r.steps = session->profile_template();
  } else {
    if (plan) return report(session.status());
    r.activation_note = session.status().message();
  }
  if (json) {
    print_json(r);
  } else {
    print_text(r);
    if (plan) print_plan(r);
  }
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("inspect", "Show a model file: metadata, inputs, outputs, nodes with parameters, tensors");
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("FILE", *path, "the .ingot file")->required();
  auto plugins = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("--json", *json, "machine-readable output");
  auto plan = std::make_shared<bool>(false);
  auto runtime_flags = std::make_shared<RuntimeFlags>();
  cmd->add_flag("--plan", *plan, "also show the execution plan: the plan passes, what each rewrote, and the kernel of every step");
  add_runtime_flags(*cmd, *runtime_flags);
  cmd->add_option("--plugin", *plugins, "a shared library registering the user ops the file uses; repeatable");
  auto export_dir = std::make_shared<std::string>();
  cmd->add_option("--export-tensors", *export_dir,
                  "also write every tensor, decoded to its logical dtype, as DIR/<name>.npy (bytes outside "
                  "[A-Za-z0-9._-] of the name written as %XX)");
  cmd->final_callback([&exit_code, path, json, plan, runtime_flags, plugins, export_dir] {
    exit_code = run_inspect(*path, *json, *plan, *runtime_flags, *plugins, *export_dir);
  });
}

}  // namespace ingot::cli
