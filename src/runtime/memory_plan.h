// Placing activations in one arena: buffers whose lifetimes do not overlap share memory.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace ingot::runtime {

// One activation: its size and the steps during which it must hold its value, inclusive.
// Step -1 is "before the first kernel" (graph inputs); the last step of graph outputs is the
// number of steps (they must survive the run).
struct BufferRequest {
  std::size_t bytes = 0;
  int first_step = 0;
  int last_step = 0;
};

struct MemoryPlan {
  std::vector<std::size_t> offsets;  // per request, 64-byte aligned
  std::size_t arena_bytes = 0;
};

// Greedy by size: the largest buffers are placed first, each at the lowest offset where it
// overlaps no placed buffer that is alive at the same time. Deterministic.
MemoryPlan plan_memory(std::span<const BufferRequest> requests);

// The least any placement can use: the largest total size (64-byte aligned) of the buffers
// alive at one step.
std::size_t liveness_lower_bound(std::span<const BufferRequest> requests);

}  // namespace ingot::runtime
