// Figures about a graph that benchmarks report: multiply-accumulates of the layers that do
// arithmetic on weights, and the bytes of the weights the nodes reference.
#pragma once

#include <cstdint>

#include "ir/graph.h"

namespace ingot::runtime {

// MACs of one run: Conv2D (output elements x input channels per group x kernel area), Dense
// (rows x in x out) and ConvTranspose2D (input elements x output channels per group x kernel
// area), the layers `../shared/bench` counts. Other ops (norms, activations, pooling) count 0.
std::uint64_t count_macs(const ir::Graph& graph);

// Bytes, as stored, of the constants that nodes reference (weights; test vectors and
// folded-node constants excluded).
std::uint64_t weight_bytes(const ir::Graph& graph);

}  // namespace ingot::runtime
