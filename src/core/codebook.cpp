#include "core/codebook.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "core/fp16.h"

namespace ingot {
namespace {

constexpr std::size_t kFreeEntries = kCodebookEntries - 1;  // one entry is the fixed 0
constexpr std::size_t kMaxBins = 4096;
constexpr int kMaxLloydIterations = 1000;
constexpr float kHalfMax = 65504.0f;

// The distinct values, ascending, with prefix sums: count[i], sum[i], sumsq[i] cover
// value[0 .. i).
struct Distinct {
  std::vector<float> value;
  std::vector<double> count{0.0}, sum{0.0}, sumsq{0.0};

  std::size_t size() const { return value.size(); }
  // Squared error of the run [a, b) around its mean; 0 for an empty run.
  double cost(std::size_t a, std::size_t b) const {
    const double n = count[b] - count[a];
    if (n <= 0) return 0.0;
    const double s = sum[b] - sum[a];
    return std::max(0.0, (sumsq[b] - sumsq[a]) - s * s / n);
  }
  double mean(std::size_t a, std::size_t b) const { return (sum[b] - sum[a]) / (count[b] - count[a]); }
};

// Float bits mapped so that unsigned order is numeric order (finite values only).
std::uint32_t order_key(float v) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(v);
  return bits & 0x80000000u ? ~bits : bits | 0x80000000u;
}
float from_order_key(std::uint32_t key) {
  return std::bit_cast<float>(key & 0x80000000u ? key & 0x7FFFFFFFu : ~key);
}

// Ascending, by three 11-bit counting passes over the keys: a million weights sort in about
// a tenth of std::sort's time, which dominates quantization otherwise.
std::vector<float> sorted_copy(std::span<const float> values) {
  if (values.size() < 4096) {
    std::vector<float> out(values.begin(), values.end());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::uint32_t> keys(values.size()), scratch(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) keys[i] = order_key(values[i]);
  for (int shift : {0, 11, 22}) {
    std::array<std::size_t, 2049> start{};
    for (std::uint32_t k : keys) ++start[((k >> shift) & 0x7FF) + 1];
    for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
    for (std::uint32_t k : keys) scratch[start[(k >> shift) & 0x7FF]++] = k;
    keys.swap(scratch);
  }
  std::vector<float> out(values.size());
  for (std::size_t i = 0; i < keys.size(); ++i) out[i] = from_order_key(keys[i]);
  return out;
}

Distinct collapse(std::span<const float> values) {
  const std::vector<float> sorted = sorted_copy(values);
  Distinct d;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i + 1;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;  // -0 and +0 are one value
    const double v = sorted[i] == 0.0f ? 0.0 : sorted[i];
    const double n = static_cast<double>(j - i);
    d.value.push_back(static_cast<float>(v));
    d.count.push_back(d.count.back() + n);
    d.sum.push_back(d.sum.back() + n * v);
    d.sumsq.push_back(d.sumsq.back() + n * v * v);
    i = j;
  }
  return d;
}

// Bin boundaries as indices into the distinct values: bin b is [edges[b], edges[b + 1]).
// A bin is at most max(rel * |start|, floor) wide; `scale` widens or narrows every bin.
std::vector<std::size_t> bin_edges(const Distinct& d, double scale) {
  const double range = static_cast<double>(d.value.back()) - d.value.front();
  const double rel = std::ldexp(1.0, -8) * scale;
  const double floor = range * std::ldexp(1.0, -15) * scale;
  std::vector<std::size_t> edges{0};
  for (std::size_t i = 0; i < d.size();) {
    const double start = d.value[i];
    const double width = std::max(rel * std::abs(start), floor);
    std::size_t j = i + 1;
    while (j < d.size() && d.value[j] - start <= width) ++j;
    edges.push_back(j);
    i = j;
  }
  return edges;
}

// Between kFreeEntries and kMaxBins bins where the distinct values allow it.
std::vector<std::size_t> choose_bins(const Distinct& d) {
  if (d.size() <= kMaxBins) {
    std::vector<std::size_t> every(d.size() + 1);
    for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
    return every;
  }
  double scale = 1.0;
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::vector<std::size_t> edges = bin_edges(d, scale);
    const std::size_t bins = edges.size() - 1;
    if (bins > kMaxBins) {
      scale *= 2.0;
    } else if (bins < kFreeEntries) {
      scale /= 2.0;
    } else {
      return edges;
    }
  }
  return bin_edges(d, scale);  // not reached for finite inputs; any partition still works
}

// The exact minimum-error partition of the bins into `k` contiguous clusters. Returns the
// clusters as index ranges into the distinct values.
class Partition {
 public:
  Partition(const Distinct& d, const std::vector<std::size_t>& edges) : d_(d), edges_(edges) {}

  std::vector<std::pair<std::size_t, std::size_t>> solve(std::size_t k) {
    const std::size_t bins = edges_.size() - 1;
    k = std::min(k, bins);
    split_.assign(k * (bins + 1), 0);
    std::vector<double> prev(bins + 1), cur(bins + 1, kInf);
    for (std::size_t i = 0; i <= bins; ++i) prev[i] = i == 0 ? 0.0 : cost(0, i);
    for (std::size_t j = 2; j <= k; ++j) {
      std::fill(cur.begin(), cur.end(), kInf);
      layer_ = j;
      fill(prev, cur, j, bins, j - 1, bins - 1);
      std::swap(prev, cur);
    }
    std::vector<std::pair<std::size_t, std::size_t>> clusters(k);
    std::size_t end = bins;
    for (std::size_t j = k; j >= 1; --j) {
      const std::size_t start = j == 1 ? 0 : split(j, end);
      clusters[j - 1] = {edges_[start], edges_[end]};
      end = start;
    }
    return clusters;
  }

 private:
  static constexpr double kInf = std::numeric_limits<double>::infinity();

  double cost(std::size_t a, std::size_t b) const { return d_.cost(edges_[a], edges_[b]); }
  std::uint32_t& split(std::size_t j, std::size_t i) { return split_[(j - 1) * (edges_.size()) + i]; }

  // cur[i] for i in [lo, hi], knowing the best split of each lies in [a_lo, a_hi] and that
  // best splits do not decrease with i (the 1-D k-means cost satisfies the quadrangle
  // inequality).
  void fill(const std::vector<double>& prev, std::vector<double>& cur, std::size_t lo, std::size_t hi,
            std::size_t a_lo, std::size_t a_hi) {
    if (lo > hi) return;
    const std::size_t mid = lo + (hi - lo) / 2;
    double best = kInf;
    std::size_t best_a = a_lo;
    const std::size_t last = std::min(a_hi, mid - 1);
    for (std::size_t a = a_lo; a <= last; ++a) {
      const double v = prev[a] + cost(a, mid);
      if (v < best) best = v, best_a = a;
    }
    cur[mid] = best;
    split(layer_, mid) = static_cast<std::uint32_t>(best_a);
    if (mid > lo) fill(prev, cur, lo, mid - 1, a_lo, best_a);
    fill(prev, cur, mid + 1, hi, best_a, a_hi);
  }

  const Distinct& d_;
  const std::vector<std::size_t>& edges_;
  std::vector<std::uint32_t> split_;
  std::size_t layer_ = 0;
};

// Lloyd iterations over the exact values; `centers` is ascending and holds 0.0, which stays.
int polish(const Distinct& d, std::vector<double>& centers) {
  const std::size_t k = centers.size();
  std::vector<std::size_t> start(k + 1);
  for (int iteration = 1; iteration <= kMaxLloydIterations; ++iteration) {
    start[0] = 0;
    start[k] = d.size();
    for (std::size_t j = 0; j + 1 < k; ++j) {
      const double threshold = 0.5 * (centers[j] + centers[j + 1]);
      start[j + 1] = static_cast<std::size_t>(
          std::upper_bound(d.value.begin(), d.value.end(), threshold,
                           [](double t, float v) { return t < static_cast<double>(v); }) -
          d.value.begin());
    }
    bool moved = false;
    for (std::size_t j = 0; j < k; ++j) {
      if (centers[j] == 0.0 || start[j] == start[j + 1]) continue;
      const double mean = d.mean(start[j], start[j + 1]);
      if (mean != centers[j]) centers[j] = mean, moved = true;
    }
    if (!moved) return iteration;
    std::sort(centers.begin(), centers.end());
  }
  return kMaxLloydIterations;
}

Status check_values(std::span<const float> values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]) || std::abs(values[i]) > kHalfMax) {
      return bad_input("codebook8: element " + std::to_string(i) +
                       " must be finite and within the binary16 range [-65504, 65504], got " +
                       std::to_string(values[i]));
    }
  }
  return {};
}

// The entries before rounding: every distinct value when few, else the fitted centers.
std::vector<double> fit_centers(const Distinct& d, int& iterations) {
  std::vector<double> centers;
  const bool has_zero = std::binary_search(d.value.begin(), d.value.end(), 0.0f);
  if (d.size() + (has_zero ? 0 : 1) <= kCodebookEntries) {
    centers.assign(d.value.begin(), d.value.end());
    if (!has_zero) centers.push_back(0.0);
    std::sort(centers.begin(), centers.end());
    return centers;
  }
  const std::vector<std::size_t> edges = choose_bins(d);
  for (const auto& [a, b] : Partition(d, edges).solve(kFreeEntries)) centers.push_back(d.mean(a, b));
  for (double& c : centers) {
    if (c == 0.0) c = std::numeric_limits<double>::denorm_min();  // only the fixed entry is 0
  }
  centers.push_back(0.0);
  std::sort(centers.begin(), centers.end());
  iterations = polish(d, centers);
  return centers;
}

}  // namespace

Result<CodebookFit> quantize_codebook8(std::span<const float> values,
                                       std::span<std::uint16_t, kCodebookEntries> entries,
                                       std::span<std::uint8_t> indices) {
  if (indices.size() != values.size()) {
    return bad_input("codebook8: indices must have one element per value (" + std::to_string(values.size()) +
                     "), got " + std::to_string(indices.size()));
  }
  INGOT_TRY(check_values(values));
  CodebookFit fit;
  std::vector<float> decoded;
  if (!values.empty()) {
    const Distinct d = collapse(values);
    fit.distinct = d.size();
    for (double c : fit_centers(d, fit.lloyd_iterations)) {
      decoded.push_back(half_to_float(float_to_half(static_cast<float>(c))));
    }
    std::sort(decoded.begin(), decoded.end());  // rounding keeps the order; -0 sorts with +0
  }
  if (decoded.empty()) decoded.push_back(0.0f);
  decoded.resize(kCodebookEntries, decoded.back());
  for (std::size_t j = 0; j < kCodebookEntries; ++j) {
    entries[j] = decoded[j] == 0.0f ? std::uint16_t{0} : float_to_half(decoded[j]);
  }

  // Nearest entry by the midpoints; an exact tie goes to the lower entry.
  std::array<double, kCodebookEntries> threshold;
  for (std::size_t j = 0; j + 1 < kCodebookEntries; ++j) {
    threshold[j] = 0.5 * (static_cast<double>(decoded[j]) + decoded[j + 1]);
  }
  threshold[kCodebookEntries - 1] = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    std::size_t index = 0;
    for (std::size_t step = kCodebookEntries / 2; step > 0; step /= 2) {
      if (v > threshold[index + step - 1]) index += step;
    }
    indices[i] = static_cast<std::uint8_t>(index);
    const double error = v - decoded[index];
    fit.sse += error * error;
  }
  return fit;
}

void decode_codebook8(std::span<const std::uint16_t, kCodebookEntries> entries,
                      std::span<const std::uint8_t> indices, std::span<float> out) {
  std::array<float, kCodebookEntries> table;
  for (std::size_t j = 0; j < kCodebookEntries; ++j) table[j] = half_to_float(entries[j]);
  for (std::size_t i = 0; i < indices.size(); ++i) out[i] = table[indices[i]];
}

}  // namespace ingot
