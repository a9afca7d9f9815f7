// Building a graph one node at a time with shapes known as you go: what importers use. Each
// node is checked against its op and its outputs inferred the moment it is added, so an
// importer can read the shape of any value it has produced (Flatten, Reshape(-1), Dense on N-D).
#pragma once

#include <unordered_set>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/passes.h"

namespace ingot::ir {

class GraphBuilder {
 public:
  explicit GraphBuilder(const OpRegistry& registry) : registry_(registry), constants_(graph_) {}
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  // A graph input; returns its value name (== `name`).
  Result<std::string> input(const std::string& name, const Shape& shape, DType dtype = DType::f32);
  // Adds a node (named `name`, or `name_1`, `name_2`, ... when taken), binds and infers it.
  // Returns the names of its outputs.
  Result<std::vector<std::string>> add(const std::string& name, const std::string& op,
                                       std::vector<std::string> inputs, AttrMap attrs = {},
                                       int num_outputs = 1);
  // Single-output convenience.
  Result<std::string> add1(const std::string& name, const std::string& op, std::vector<std::string> inputs,
                           AttrMap attrs = {});
  // A raw (f32) constant named `name` (made unique like nodes); returns a reference to it.
  Result<TensorRef> constant(const std::string& name, const Tensor& value);
  void output(const std::string& value) { graph_.outputs.push_back(value); }

  const TensorInfo& info(const std::string& value) const;
  Graph& graph() { return graph_; }
  const OpRegistry& registry() const { return registry_; }
  // Hands the graph over; the builder is empty afterwards.
  Graph release();

 private:
  std::string unique(const std::string& wanted, bool constant);

  const OpRegistry& registry_;
  Graph graph_;
  ConstantCache constants_;
  std::map<std::string, TensorInfo, std::less<>> infos_;
  std::set<std::string, std::less<>> taken_;  // node, value and constant names in use
};

// Re-encodes the f32 constants of a raw graph for `storage` (--storage f16|codebook8):
//   f16:       every f32 constant becomes binary16;
//   codebook8: every constant that only layer-weight parameters refer to (ParamSpec::
//              layer_weights: convolution and dense kernels) gets its own 256-entry codebook,
//              as accelerators of the DV700 class store them; other f32 constants become f16.
// Constants already in another storage and non-f32 constants stay as they are. Codebooks are
// fitted on up to `threads` threads (0: the machine's cores); the bytes do not depend on it.
// `only`, when given, limits the conversion to the constants it names.
Status convert_storage(Graph& graph, Storage storage, const OpRegistry& registry, int threads = 0,
                       const std::unordered_set<std::string>* only = nullptr);

// The constants that only layer-weight parameters refer to: what codebook8 quantizes.
std::unordered_set<std::string> layer_weight_constants(const Graph& graph, const OpRegistry& registry);

}  // namespace ingot::ir
