// Open dimensions: the sizes a source model left open (Keras saves the batch, and for fully
// convolutional nets height and width, as None).
//
// A graph keeps them open on its Input nodes (attribute `open_dims`: a name per dim, "" for a
// fixed one) and is stored for one instance of them (the Input's `shape`, batch 1 unless the
// user gave another), so every value has a concrete shape and every pass, target and tool works
// on it unchanged. The runtime makes the instance it is fed with `with_input_shapes`, which runs
// every op's shape rule again for the new sizes.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"

namespace ingot::ir {

// Per graph input, one name per dim ("" for a fixed dim); an empty list when all are fixed.
std::vector<std::vector<std::string>> input_open_dims(const Graph& graph);
bool has_open_dims(const Graph& graph);

// The input's shape with its open dims named: "[batch=1, 224, 224, 3]".
std::string describe_input(const Graph& graph, std::size_t input);

// A copy of `graph` (constants shared, not copied) whose inputs have `shapes`, with every value
// shape inferred again. Fixed dims must keep their size, open dims must be >= 1, dims sharing a
// name must be equal, and every op's shape rule must accept the new shapes: otherwise a
// bad_input error naming the input and dim, or the node whose rule refused (a Dense after a
// Flatten fixes the image size, say).
Result<Graph> with_input_shapes(const Graph& graph, std::span<const Shape> shapes, const OpRegistry& registry);

// Makes every dim fixed at the graph's current instance (targets compile static graphs).
// Returns the names of the dims it closed, "input:name=size" each.
std::vector<std::string> close_open_dims(Graph& graph);

}  // namespace ingot::ir
