#include <gtest/gtest.h>

#include <random>

#include "runtime/memory_plan.h"

namespace ingot::runtime {
namespace unit_test_memory_plan {

bool overlap(std::size_t a0, std::size_t a1, std::size_t b0, std::size_t b1) { return a0 < b1 && b0 < a1; }

// Every pair alive at the same time must occupy disjoint bytes, inside the arena.
void expect_valid(std::span<const BufferRequest> req, const MemoryPlan& plan) {
  ASSERT_EQ(plan.offsets.size(), req.size());
  for (std::size_t i = 0; i < req.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % 64, 0u);
    EXPECT_LE(plan.offsets[i] + req[i].bytes, plan.arena_bytes);
    for (std::size_t j = i + 1; j < req.size(); ++j) {
      const bool same_time = req[i].first_step <= req[j].last_step && req[j].first_step <= req[i].last_step;
      if (same_time && req[i].bytes && req[j].bytes) {
        EXPECT_FALSE(overlap(plan.offsets[i], plan.offsets[i] + req[i].bytes, plan.offsets[j], plan.offsets[j] + req[j].bytes))
            << "buffers " << i << " and " << j;
      }
    }
  }
}

TEST(MemoryPlan, ChainReusesMemory) {
  // x -> a -> b -> c -> out: at any step only an input and an output are alive, so two
  // 1000-byte slots (1024 aligned) suffice instead of five.
  const std::vector<BufferRequest> req = {
      {1000, -1, 0}, {1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  const MemoryPlan plan = plan_memory(req);
  expect_valid(req, plan);
  EXPECT_EQ(plan.arena_bytes, 2048u);
}

TEST(MemoryPlan, ResidualBranchKeepsItsInputAlive) {
  // x(-1..2) feeds conv a (step 0) and the add (step 2); b = relu(a) at step 1.
  const std::vector<BufferRequest> req = {{64, -1, 2}, {64, 0, 1}, {64, 1, 2}, {64, 2, 3}};
  const MemoryPlan plan = plan_memory(req);
  expect_valid(req, plan);
  EXPECT_EQ(plan.arena_bytes, 192u);  // x, plus two of a/b/out at a time
}

TEST(MemoryPlan, RandomGraphsNeverOverlapLiveBuffers) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferRequest> req(1 + rng() % 40);
    std::size_t total = 0;
    for (auto& r : req) {
      r.first_step = static_cast<int>(rng() % 30) - 1;
      r.last_step = r.first_step + static_cast<int>(rng() % 8);
      r.bytes = rng() % 5000;
      total += (r.bytes + 63) / 64 * 64;
    }
    const MemoryPlan plan = plan_memory(req);
    expect_valid(req, plan);
    EXPECT_LE(plan.arena_bytes, total);
  }
}

}  // namespace unit_test_memory_plan
}  // namespace ingot::runtime
