// ingot inspect FILE [--json]: everything in a model file, validated first.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "format/format.h"
#include "format/storage.h"
#include "runtime/session.h"
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
};

ordered_json value_json(const ir::Graph& g, const std::string& name) {
  const ir::Value* v = g.find_value(name);
  return {{"name", name}, {"dtype", dtype_name(v->info.dtype)}, {"shape", v->info.shape.dims()}};
}

void print_json(const Report& r) {
  const ir::Graph& g = *r.graph;
  ordered_json j;
  j["file"] = r.path;
  j["file_size"] = r.file_size;
  j["metadata"] = typed_attrs_json(g.metadata);
  j["inputs"] = ordered_json::array();
  for (const auto& n : g.inputs) j["inputs"].push_back(value_json(g, n));
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
                            {"bytes", t.bytes}, {"offset", t.offset}});
  }
  j["totals"] = {{"nodes", g.nodes.size()}, {"tensors", r.tensors.size()}, {"weight_bytes", r.weight_bytes},
                 {"activation_bytes", r.activation_bytes ? ordered_json(*r.activation_bytes) : ordered_json(nullptr)}};
  std::cout << j.dump(2) << "\n";
}

std::string value_text(const ir::Graph& g, const std::string& name) {
  const ir::Value* v = g.find_value(name);
  return name + "  " + dtype_name(v->info.dtype) + " " + v->info.shape.to_string();
}

void print_text(const Report& r) {
  const ir::Graph& g = *r.graph;
  std::cout << "model " << r.path << "  (" << format_bytes(r.file_size) << ", format version "
            << format::kFormatVersion << ", checksum ok)\n";
  std::cout << "metadata:\n";
  for (const auto& [k, v] : g.metadata) std::cout << "  " << k << " = " << attr_to_string(v) << "\n";
  std::cout << "inputs:\n";
  for (const auto& n : g.inputs) std::cout << "  " << value_text(g, n) << "\n";
  std::cout << "outputs:\n";
  for (const auto& n : g.outputs) std::cout << "  " << value_text(g, n) << "\n";
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
              << t.bytes << " bytes at offset " << t.offset << "\n";
  }
  std::cout << "totals: " << g.nodes.size() << " nodes, " << r.tensors.size() << " tensors, weights "
            << format_bytes(r.weight_bytes) << ", activation memory (planned) "
            << (r.activation_bytes ? format_bytes(*r.activation_bytes) + " (" + format_bytes(r.unshared_bytes) + " without sharing)"
                                   : "unknown: " + r.activation_note)
            << "\n";
}

int run_inspect(const std::string& path, bool json, const std::vector<std::string>& plugins) {
  if (Status st = load_plugins(plugins); !st.ok()) return report(st);
  auto file = MappedFile::open(path);
  if (!file.ok()) return report(file.status());
  const auto bytes = (*file)->bytes();
  auto graph = format::parse_model(bytes, *file, default_registry(), path);
  if (!graph.ok()) return report(graph.status());

  Report r{.path = path, .file_size = bytes.size(), .graph = &*graph};
  for (const auto& c : graph->constants) {
    const auto offset = static_cast<std::size_t>(c.payload.bytes() - bytes.data());
    r.tensors.push_back({&c, offset, c.payload.byte_size()});
    r.weight_bytes += c.payload.byte_size();
  }
  auto session = runtime::Session::plan(*graph, default_registry());
  if (session.ok()) {
    r.activation_bytes = session->activation_bytes();
    r.unshared_bytes = session->unshared_activation_bytes();
  } else {
    r.activation_note = session.status().message();
  }
  json ? print_json(r) : print_text(r);
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
  cmd->add_option("--plugin", *plugins, "a shared library registering the user ops the file uses; repeatable");
  cmd->final_callback([&exit_code, path, json, plugins] { exit_code = run_inspect(*path, *json, *plugins); });
}

}  // namespace ingot::cli
