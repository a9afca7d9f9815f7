// This machine's float32 FMA peak, per thread and for N threads: the denominator of "% of peak"
// in scripts/bench-peers.sh. Each thread runs 16 independent chains of vector FMAs (enough to
// cover the FMA latency times the number of FMA pipes on current x86 cores), in registers, with
// no memory traffic; the best of several timed repetitions counts.
//   g++ -O2 -std=c++20 -pthread fma_peak.cpp -o fma_peak && ./fma_peak 2
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr long kIterations = 20'000'000;

// Returns a value that depends on every chain, so nothing is optimized away.
__attribute__((target("avx512f"))) float chains_avx512(long n) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long k = 0; k < n; ++k) {
#pragma GCC unroll 16  // fully unrolled, the 16 accumulators live in registers
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < 16; ++i) sum = _mm512_add_ps(sum, acc[i]);
  float out[16];  // stored, not _mm512_reduce_add_ps: GCC 12 warns inside that intrinsic
  _mm512_storeu_ps(out, sum);
  return out[0] + out[15];
}

__attribute__((target("avx2,fma"))) float chains_avx2(long n) {
  __m256 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long k = 0; k < n; ++k) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 sum = acc[0];
  for (int i = 1; i < 16; ++i) sum = _mm256_add_ps(sum, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, sum);
  return out[0] + out[7];
}

// GFLOP/s of `threads` threads running the chains at once (2 flops per lane per FMA).
double measure(int threads, bool avx512, float* sink) {
  const double lanes = avx512 ? 16 : 8;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    std::vector<std::thread> pool;
    std::vector<float> results(static_cast<std::size_t>(threads));
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { results[static_cast<std::size_t>(t)] = avx512 ? chains_avx512(kIterations) : chains_avx2(kIterations); });
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (float r : results) *sink += r;
    best = std::max(best, threads * 16.0 * lanes * 2.0 * static_cast<double>(kIterations) / s / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int max_threads = argc > 1 ? std::atoi(argv[1]) : static_cast<int>(std::thread::hardware_concurrency());
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !__builtin_cpu_supports("fma")) {
    std::printf("{\"error\": \"no FMA on this CPU\"}\n");
    return 1;
  }
  float sink = 0;
  std::printf("{\"isa\": \"%s\"", avx512 ? "avx512" : "avx2");
  for (int t = 1; t <= std::max(1, max_threads); ++t) std::printf(", \"%d\": %.1f", t, measure(t, avx512, &sink));
  std::printf(", \"sink\": %g}\n", static_cast<double>(sink));
  return 0;
}
