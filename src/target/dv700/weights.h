// The DV700 weights file (<name>_weights.bin): every convolution run's weights, in layer and
// run order, each where the run's weight_buf.offs points. The layout is the one the vendor
// converter writes and the device reads (docs/dv700.md has it in full):
//
//   per block of 8 output channels: the 8 biases (fp16, zero padded), the 8 PReLU slopes when
//   a PReLU follows, then for each output channel of the block and each group of input
//   channels one 12x6 fp16 tile (144 bytes) holding the kernels of that group: 1 channel per
//   tile for 7x7, 2 for 5x5, 8 for 3x3, 64 for 1x1; other kernel sizes are zero padded to the
//   next odd square (rows at the top, columns at the right).
//   A dilated convolution is stored as one 1x1 stream per kernel tap, the bias only with the
//   last tap. The 8-bit codebook stream starts with 256 fp16 entries (entry 0 is 0) and keeps
//   one u8 index per weight in the same tiles (72 bytes each); biases stay fp16.
//   Every run's weights are padded to a multiple of 16 bytes.
//
// Batch norm and scale fold into the weights first: w' = w * g / sqrt(var + eps) per output
// channel, b' = (b - mean) * g / sqrt(var + eps) + beta.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "ingot/status.h"
#include "target/dv700/network.h"

namespace ingot::dv700 {

// The weights of one convolution (or inner product) run; conv_weight_size(conv) bytes, into
// `out` of that size or as a new vector.
Status pack_run_weights(const Node& conv, bool codebook8, std::span<std::uint8_t> out);
Result<std::vector<std::uint8_t>> pack_run_weights(const Node& conv, bool codebook8);

// The whole file: every run of every layer, in order; runs are packed on `threads` threads
// (0: the machine's cores).
Result<std::vector<std::uint8_t>> pack_weights(const Network& net, bool codebook8, int threads = 0);

// The same handed over run by run: `sink(offset, bytes)` gets each run's bytes and their
// offset in the file, from the packing threads, in no particular order (so it must be safe to
// call concurrently, as a pwrite is). Packing and writing then overlap.
using WeightSink = std::function<Status(std::size_t offset, std::span<const std::uint8_t> bytes)>;
Status pack_weights(const Network& net, bool codebook8, int threads, const WeightSink& sink);

}  // namespace ingot::dv700
