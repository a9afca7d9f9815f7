// Folding ops whose outputs depend only on shapes and parameters (PriorBox, AnchorBoxes) into
// constants. The node and its parameters stay in the file; metadata "folded.<node>" names the
// constant ("folded/<node>") the runtime copies instead of running the kernel, and
// `ingot check MODEL.ingot` recomputes it from the parameters to confirm it.
#pragma once

#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"

namespace ingot::runtime {

// Folds every single-output node whose op is shape_only. Returns the folded node names.
Result<std::vector<std::string>> fold_shape_only_nodes(ir::Graph& graph, const OpRegistry& registry);

// The constant folded for `node`, or nullptr.
const ir::Constant* folded_constant(const ir::Graph& graph, const std::string& node);

struct FoldCheck {
  std::string node;
  std::string op;
  double max_abs = 0;  // |stored - recomputed|
  bool ok() const { return max_abs == 0; }
};

// Recomputes every folded node from its parameters; folding is exact, so any difference fails.
Result<std::vector<FoldCheck>> check_folded_nodes(const ir::Graph& graph, const OpRegistry& registry);

}  // namespace ingot::runtime
