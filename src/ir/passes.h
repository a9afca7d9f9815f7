// Whole-graph analyses: topological order, shape inference, verification.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"

namespace ingot::ir {

// Node indices such that every node comes after the producers of its inputs. Deterministic:
// among ready nodes the one listed first in graph.nodes goes first. Fails on cycles (naming a
// node on the cycle) and on inputs that no node produces.
Result<std::vector<std::size_t>> topological_order(const Graph& graph);

// Decoded constants, by name, decoded once on first use; the lookup ops bind against.
class ConstantCache {
 public:
  explicit ConstantCache(const Graph& graph) : graph_(graph) {}
  // nullptr when there is no such constant or it cannot be decoded.
  const Tensor* find(std::string_view name);
  TensorLookup lookup() {
    return [this](std::string_view name) { return find(name); };
  }

 private:
  const Graph& graph_;
  std::map<std::string, Tensor, std::less<>> decoded_;
};

// One node bound to its op: parameters read and checked, ready for infer and kernel.
struct BoundNode {
  const OpDef* op = nullptr;
  std::shared_ptr<const void> params;
};

// Looks up the node's op, checks its version and attributes, and reads its parameters.
Result<BoundNode> bind_node(const Node& node, const OpRegistry& registry, ConstantCache& constants);

// Fills every Value's info by running the shape rules in topological order. Graph inputs keep
// the shape and dtype of their Input node.
// `adjust`, when set, runs before each node is bound (in topological order) with the node's
// index and its inputs' inferred infos, and may rewrite that node's attributes (with_input_shapes
// recomputes size-dependent pads so).
using ShapeAdjust = std::function<Status(std::size_t node, std::span<const TensorInfo> inputs)>;
Status infer_shapes(Graph& graph, const OpRegistry& registry, const ShapeAdjust& adjust = {});

// Everything a well-formed graph satisfies: unique node, value and constant names; every
// referenced value and constant exists; exactly one producer per value; no cycles; inputs
// and outputs lists consistent; every op registered at a readable version; attributes valid
// against the schema; input/output counts; and stored value shapes equal to what the shape
// rules infer. Errors are ErrorKind::verification, naming node and op.
Status verify(const Graph& graph, const OpRegistry& registry);

}  // namespace ingot::ir
