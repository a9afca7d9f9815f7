#include "runtime/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace ingot::runtime {
namespace {

constexpr std::size_t kAlign = 64;

std::size_t aligned(std::size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

bool overlap_in_time(const BufferRequest& a, const BufferRequest& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

}  // namespace

MemoryPlan plan_memory(std::span<const BufferRequest> requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<std::size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by first use, then index, so the plan never depends on sort stability.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const std::size_t sa = aligned(requests[a].bytes), sb = aligned(requests[b].bytes);
    if (sa != sb) return sa > sb;
    if (requests[a].first_step != requests[b].first_step) return requests[a].first_step < requests[b].first_step;
    return a < b;
  });
  std::vector<std::size_t> placed;
  for (std::size_t r : order) {
    const std::size_t size = aligned(requests[r].bytes);
    std::vector<std::size_t> live;  // placed buffers alive at the same time, by offset
    for (std::size_t p : placed) {
      if (overlap_in_time(requests[p], requests[r])) live.push_back(p);
    }
    std::sort(live.begin(), live.end(), [&](std::size_t a, std::size_t b) { return plan.offsets[a] < plan.offsets[b]; });
    std::size_t offset = 0;
    for (std::size_t p : live) {
      if (plan.offsets[p] >= offset + size) break;  // the gap before p fits
      offset = std::max(offset, plan.offsets[p] + aligned(requests[p].bytes));
    }
    plan.offsets[r] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
    placed.push_back(r);
  }
  return plan;
}

std::size_t liveness_lower_bound(std::span<const BufferRequest> requests) {
  int first = 0, last = 0;
  for (const BufferRequest& r : requests) first = std::min(first, r.first_step), last = std::max(last, r.last_step);
  std::size_t best = 0;
  for (int step = first; step <= last; ++step) {
    std::size_t live = 0;
    for (const BufferRequest& r : requests)
      if (r.bytes > 0 && r.first_step <= step && step <= r.last_step) live += (r.bytes + 63) / 64 * 64;
    best = std::max(best, live);
  }
  return best;
}

}  // namespace ingot::runtime
