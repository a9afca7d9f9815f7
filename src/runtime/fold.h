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

// After the input shapes changed (ir::with_input_shapes): recomputes each folded constant whose
// node's output now has another shape (PriorBox priors follow the batch and the image size).
Status refold_for_new_shapes(ir::Graph& graph, const OpRegistry& registry);

struct FoldCheck {
  std::string node;
  std::string op;
  double max_abs = 0;  // |stored - recomputed|
  bool ok() const { return max_abs == 0; }
};

// Recomputes every folded node from its parameters; folding is exact, so any difference fails.
Result<std::vector<FoldCheck>> check_folded_nodes(const ir::Graph& graph, const OpRegistry& registry);

}  // namespace ingot::runtime
