#include "runtime/device_numerics.h"

#include <algorithm>
#include <map>
#include <set>

namespace ingot::runtime {
namespace {

constexpr int kNoRun = -1;  // Input nodes

struct Boundaries {
  std::map<std::string, int> run_of;  // node name -> run index
  std::vector<bool> on_device;        // per run
};

Boundaries index_runs(const ir::Compilation& c) {
  Boundaries b;
  for (std::size_t r = 0; r < c.runs.size(); ++r) {
    b.on_device.push_back(c.runs[r].on_device);
    for (const auto& n : c.runs[r].nodes) b.run_of[n] = static_cast<int>(r);
  }
  return b;
}

int run_of(const Boundaries& b, const ir::Node& node) {
  const auto it = b.run_of.find(node.name);
  return it == b.run_of.end() ? kNoRun : it->second;
}

// Adds `name` = RoundToF16(`from`) with `from`'s info.
void add_round(ir::Graph& g, const std::string& name, const std::string& from, const TensorInfo& info) {
  g.nodes.push_back(ir::Node{name, "RoundToF16", 1, {from}, {name}, {}});
  g.values.push_back(ir::Value{name, info});
}

}  // namespace

Status emulate_device_numerics(ir::Graph& g, const ir::Compilation& c, std::vector<std::string>& log) {
  if (c.activations != DType::f16) return {};
  const Boundaries b = index_runs(c);
  std::map<std::string, std::vector<std::size_t>> readers;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& in : g.nodes[i].inputs) readers[in].push_back(i);
  }
  const std::set<std::string> outputs(g.outputs.begin(), g.outputs.end());
  const std::size_t original = g.nodes.size();
  for (std::size_t i = 0; i < original; ++i) {
    const int run = run_of(b, g.nodes[i]);
    const bool device = run != kNoRun && b.on_device[static_cast<std::size_t>(run)];
    for (std::size_t k = 0; k < g.nodes[i].outputs.size(); ++k) {
      const std::string value = g.nodes[i].outputs[k];
      const ir::Value* v = g.find_value(value);
      if (v == nullptr || v->info.dtype != DType::f32) continue;
      std::vector<std::size_t> leaving, entering;  // readers in another run; device readers of a host value
      for (std::size_t r : readers[value]) {
        const int reader_run = run_of(b, g.nodes[r]);
        if (reader_run == run) continue;
        leaving.push_back(r);
        if (!device && reader_run != kNoRun && b.on_device[static_cast<std::size_t>(reader_run)]) entering.push_back(r);
      }
      if (device && (!leaving.empty() || outputs.count(value))) {
        // The device stores the value in f16: everyone outside the run, the caller included,
        // reads the rounded value under its own name; readers inside the run keep the f32 one.
        const std::string unrounded = value + ".unrounded";
        const TensorInfo info = v->info;
        g.nodes[i].outputs[k] = unrounded;
        g.find_value(value)->name = unrounded;
        for (std::size_t r : readers[value]) {
          if (run_of(b, g.nodes[r]) != run) continue;
          std::replace(g.nodes[r].inputs.begin(), g.nodes[r].inputs.end(), value, unrounded);
        }
        add_round(g, value, unrounded, info);
        g.nodes.back().name = value + ".f16";
        log.push_back("device_numerics: " + quote(value) + " leaves device run " + std::to_string(run) + " as f16");
      } else if (!entering.empty()) {
        // A host value (or a model input) the device reads: converted to f16 on its way in.
        const std::string to_device = value + ".to_device";
        add_round(g, to_device, value, v->info);
        for (std::size_t r : entering) std::replace(g.nodes[r].inputs.begin(), g.nodes[r].inputs.end(), value, to_device);
        log.push_back("device_numerics: " + quote(value) + " enters the device as f16");
      }
    }
  }
  return {};
}

}  // namespace ingot::runtime
