// The 8-bit codebook quantizer, checked against definitions written here: an O(k n^2) dynamic
// program for the exact 1-D k-means optimum, and a plain Lloyd iteration from quantiles.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "core/codebook.h"
#include "core/fp16.h"

namespace ingot {
namespace unit_test_codebook {

struct Quantized {
  std::array<std::uint16_t, kCodebookEntries> entries{};
  std::vector<std::uint8_t> indices;
  CodebookFit fit;
  std::vector<float> decoded;
};

Quantized quantize(const std::vector<float>& values) {
  Quantized q;
  q.indices.resize(values.size());
  auto fit = quantize_codebook8(values, q.entries, q.indices);
  EXPECT_TRUE(fit.ok()) << fit.status().message();
  if (fit.ok()) q.fit = *fit;
  q.decoded.resize(values.size());
  decode_codebook8(q.entries, q.indices, q.decoded);
  return q;
}

double sse(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return s;
}

std::vector<float> gaussian(std::size_t n, double sigma, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> dist(0.0, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(dist(rng));
  return v;
}

// The exact minimum squared error of k contiguous clusters of sorted values, by the textbook
// recurrence without any speed-up: E[j][i] = min over a < i of E[j-1][a] + cost(a, i).
double exact_kmeans_sse(std::vector<float> values, std::size_t k) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  std::vector<double> s(n + 1, 0), q(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) s[i + 1] = s[i] + values[i], q[i + 1] = q[i] + double(values[i]) * values[i];
  auto cost = [&](std::size_t a, std::size_t b) {
    const double m = s[b] - s[a];
    return std::max(0.0, q[b] - q[a] - m * m / double(b - a));
  };
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> prev(n + 1, inf), cur(n + 1, inf);
  for (std::size_t i = 1; i <= n; ++i) prev[i] = cost(0, i);
  for (std::size_t j = 2; j <= k; ++j) {
    std::fill(cur.begin(), cur.end(), inf);
    for (std::size_t i = j; i <= n; ++i) {
      for (std::size_t a = j - 1; a < i; ++a) cur[i] = std::min(cur[i], prev[a] + cost(a, i));
    }
    std::swap(prev, cur);
  }
  return prev[n];
}

// Plain Lloyd from equal-count quantiles, with 255 free centers and a fixed 0.
double lloyd_sse(const std::vector<float>& values, int iterations) {
  std::vector<float> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> c{0.0};
  for (std::size_t j = 0; j < 255; ++j) c.push_back(sorted[(2 * j + 1) * sorted.size() / 510]);
  for (int it = 0; it < iterations; ++it) {
    std::vector<double> sum(c.size(), 0), count(c.size(), 0);
    for (float v : values) {
      std::size_t best = 0;
      for (std::size_t j = 1; j < c.size(); ++j) {
        if (std::abs(v - c[j]) < std::abs(v - c[best])) best = j;
      }
      sum[best] += v, count[best] += 1;
    }
    for (std::size_t j = 1; j < c.size(); ++j) {
      if (count[j] > 0) c[j] = sum[j] / count[j];
    }
  }
  double total = 0;
  for (float v : values) {
    double best = std::numeric_limits<double>::infinity();
    for (double x : c) best = std::min(best, (v - x) * (v - x));
    total += best;
  }
  return total;
}

// The worst relative growth of the squared error when 255 ideal centers are rounded to
// binary16 (2^-11 relative step): every value moves by at most 2^-11 |center| more, which for
// values within [-r, r] adds at most n (2^-11 r)^2 plus the cross term. Tests use it as slack.
double rounding_slack(const std::vector<float>& values) {
  double r = 0;
  for (float v : values) r = std::max(r, double(std::abs(v)));
  const double step = std::ldexp(r, -11);
  return double(values.size()) * step * step;
}

TEST(Codebook8, ExactWhenAtMost256DistinctHalfValues) {
  // 255 distinct nonzero binary16 values (and no zero): with the fixed 0 that is 256 entries.
  std::vector<float> values;
  for (int i = 1; i <= 255; ++i) values.push_back(half_to_float(static_cast<std::uint16_t>(0x3000 + 37 * i)) * (i % 2 ? 1 : -1));
  for (int repeat = 0; repeat < 3; ++repeat) values.insert(values.end(), values.begin(), values.begin() + 255);
  const Quantized q = quantize(values);
  EXPECT_EQ(q.decoded, values);
  EXPECT_EQ(q.fit.sse, 0.0);
  EXPECT_EQ(q.fit.distinct, 255u);
  EXPECT_NE(std::find(q.entries.begin(), q.entries.end(), 0), q.entries.end()) << "the fixed 0";
}

TEST(Codebook8, FewValuesKeepZeroAndRepeatTheLargestEntry) {
  const std::vector<float> values{0.5f, -0.25f, 0.5f, 0.0f, -0.0f, 2.0f};
  const Quantized q = quantize(values);
  EXPECT_EQ(q.decoded, (std::vector<float>{0.5f, -0.25f, 0.5f, 0.0f, 0.0f, 2.0f}));
  EXPECT_EQ(half_to_float(q.entries[0]), -0.25f);
  EXPECT_EQ(q.entries[1], 0) << "exactly +0, never -0";
  for (std::size_t j = 3; j < kCodebookEntries; ++j) EXPECT_EQ(half_to_float(q.entries[j]), 2.0f) << j;
}

TEST(Codebook8, EmptyAndConstantTensors) {
  const Quantized empty = quantize({});
  for (auto e : empty.entries) EXPECT_EQ(e, 0);
  const Quantized constant = quantize(std::vector<float>(1000, 0.125f));
  EXPECT_EQ(constant.decoded, std::vector<float>(1000, 0.125f));
}

TEST(Codebook8, EntriesAreAscendingHalvesWithOneExactZero) {
  const std::vector<float> values = gaussian(20000, 0.05, 7);
  const Quantized q = quantize(values);
  int zeros = 0;
  for (std::size_t j = 0; j < kCodebookEntries; ++j) {
    if (j > 0) {
      EXPECT_LE(half_to_float(q.entries[j - 1]), half_to_float(q.entries[j])) << j;
    }
    zeros += q.entries[j] == 0;
  }
  EXPECT_EQ(zeros, 1);
  EXPECT_DOUBLE_EQ(q.fit.sse, sse(values, q.decoded)) << "the reported error is the decoded one";
  // Every value took its nearest entry.
  for (std::size_t i = 0; i < values.size(); i += 97) {
    const double got = std::abs(double(values[i]) - q.decoded[i]);
    for (auto e : q.entries) {
      ASSERT_LE(got, std::abs(double(values[i]) - half_to_float(e))) << i;
    }
  }
}

TEST(Codebook8, DependsOnlyOnTheMultisetOfValues) {
  const std::vector<float> values = gaussian(50000, 0.1, 3);
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(11);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<float> shuffled(values.size());
  for (std::size_t i = 0; i < order.size(); ++i) shuffled[i] = values[order[i]];
  const Quantized a = quantize(values);
  const Quantized b = quantize(shuffled);
  EXPECT_EQ(a.entries, b.entries);
  for (std::size_t i = 0; i < order.size(); ++i) ASSERT_EQ(b.indices[i], a.indices[order[i]]) << i;
}

// Up to 4096 distinct values the partition runs over every distinct value, so before the
// binary16 rounding it is the exact optimum of 255 free centers; adding the fixed 0 and
// polishing only lower the error. The test's textbook DP gives that optimum independently.
TEST(Codebook8, OptimalOnFewDistinctValues) {
  std::vector<float> values = gaussian(500, 0.2, 5);
  for (int i = 0; i < 150; ++i) values.push_back(values[i]);  // repeated values carry weight
  const Quantized q = quantize(values);
  const double optimum = exact_kmeans_sse(values, 255);
  EXPECT_GT(optimum, 0.0);
  EXPECT_LE(q.fit.sse, optimum + rounding_slack(values)) << "optimum " << optimum;
}

// Above 4096 distinct values the partition runs over bins; the polished result must still
// beat a long plain Lloyd run (the vendor tool's method, here from a deterministic start).
TEST(Codebook8, BinnedFitBeatsLongLloyd) {
  std::vector<float> values = gaussian(6000, 0.05, 9);
  for (int i = 0; i < 8; ++i) values[i] *= 12.0f;  // a heavy tail, as trained weights have
  const Quantized q = quantize(values);
  const double lloyd = lloyd_sse(values, 40);
  EXPECT_LT(q.fit.sse, lloyd) << "lloyd " << lloyd;
  EXPECT_GT(q.fit.lloyd_iterations, 0);
}

TEST(Codebook8, RejectsWhatBinary16CannotHold) {
  std::array<std::uint16_t, kCodebookEntries> entries{};
  std::vector<std::uint8_t> indices(3);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), 70000.0f}) {
    const std::vector<float> values{0.5f, bad, 1.0f};
    const auto fit = quantize_codebook8(values, entries, indices);
    ASSERT_FALSE(fit.ok());
    EXPECT_NE(fit.status().message().find("element 1 must be finite and within the binary16 range"), std::string::npos)
        << fit.status().message();
  }
  std::vector<std::uint8_t> short_indices(2);
  const std::vector<float> values{0.5f, 0.25f, 1.0f};
  EXPECT_FALSE(quantize_codebook8(values, entries, short_indices).ok());
}

}  // namespace unit_test_codebook
}  // namespace ingot
