// The 8-bit codebook: a tensor's values replaced by the nearest of 256 binary16 entries, one
// of them exactly 0, stored as one u8 index per value (what accelerators of the DV700 class
// keep as weights). The entries are a 1-D k-means of the values:
//
//   1. The values are sorted and collapsed to distinct values with their counts, with prefix
//      sums of count, sum and sum of squares, so the squared error of any run of sorted values
//      costs O(1).
//   2. Up to 4096 runs ("bins") of sorted values are formed, narrow where values are dense:
//      a bin spans at most 2^-8 of its magnitude or 2^-15 of the value range, whichever is
//      wider. Small tensors keep every distinct value as its own bin.
//   3. The optimal partition of the bins into 255 contiguous clusters is found exactly by
//      dynamic programming (divide and conquer over the monotone split points, O(k B log B)).
//      In 1-D the optimal clusters are contiguous, so this is the global k-means optimum among
//      clusterings that keep bins whole.
//   4. The fixed 0 is added, and Lloyd iterations on the exact values (not the bins) polish the
//      255 free entries; each iteration costs O(k log n) with the prefix sums.
//   5. The entries are rounded to binary16 and every value takes its nearest entry.
//
// Why not Lloyd alone: Lloyd from any fixed start stalls in local optima (the vendor tool
// runs k-means++ with a random seed for that reason); the DP start is already optimal up to
// the bin width, and it is deterministic. Why not the exact DP over all values: with up to a
// million distinct values per layer it is ~100x slower, and the bins lose almost nothing
// (tests bound the gap to the exact optimum).
//
// The result depends only on the multiset of values: same tensor, same bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "ingot/status.h"

namespace ingot {

inline constexpr std::size_t kCodebookEntries = 256;

struct CodebookFit {
  double sse = 0;             // sum over values of (value - decoded value)^2, in double
  std::size_t distinct = 0;   // distinct input values
  int lloyd_iterations = 0;   // polish iterations until no entry moved
};

// Fills `entries` (binary16 bits, ascending; a value set of fewer than 256 distinct values
// repeats its largest entry) and one index per value. Fails, naming the first offending
// element, on NaN, infinity, or a magnitude binary16 cannot hold (above 65504).
// `indices.size()` must equal `values.size()`.
Result<CodebookFit> quantize_codebook8(std::span<const float> values,
                                       std::span<std::uint16_t, kCodebookEntries> entries,
                                       std::span<std::uint8_t> indices);

// out[i] = entries[indices[i]] as f32.
void decode_codebook8(std::span<const std::uint16_t, kCodebookEntries> entries,
                      std::span<const std::uint8_t> indices, std::span<float> out);

}  // namespace ingot
