// The limit check: every way a partitioned graph breaks its target's limits, in one pass.
// Only device runs are checked (a host op has no device limits). Needs the graph's value
// shapes (ir::infer_shapes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"
#include "target/partition.h"
#include "target/target.h"

namespace ingot::target {

struct Violation {
  std::string layer;   // node name (the source model's layer)
  std::string op;
  std::string limit;   // a quantity name ("kernel", "input_width", ...) or "buffer"
  std::int64_t value = 0;
  std::string detail;  // what was measured: "kernel height 9"
  std::string rule;    // the target's rule: "kernel <= 7 (dv700, vendor-converter)"
  std::string remedy;  // what the user can do
};

// How a tiled op splits into tiles that fit the buffer.
struct TileFit {
  std::int64_t tiles = 0;        // 0: no tiling fits
  std::int64_t input_bytes = 0;  // buffer bytes of one input tile (at `tiles`, or at the narrowest tile)
  std::int64_t output_bytes = 0;
};

// The geometry of one convolution-like node, as the tiling rule sees it.
struct TileShape {
  std::int64_t width = 0, height = 0, channels = 0, out_channels = 0;
  std::int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  std::int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool transposed = false;  // a deconvolution
  bool convolution = true;  // false for pooling
};
TileFit fit_tiles(const TileShape& shape, const Buffer& buffer);

// Tiles of each device run's tiled head node (nullopt for runs with none, and for host runs).
std::vector<std::optional<TileFit>> run_tiles(const ir::Graph& graph, const Target& target, const Partition& partition,
                                              const OpRegistry& registry);

Result<std::vector<Violation>> check_limits(const ir::Graph& graph, const Target& target, const Partition& partition,
                                            const OpRegistry& registry);

}  // namespace ingot::target
