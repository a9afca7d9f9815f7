#include "harness.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <new>

namespace ks {
namespace {

// splitmix64: reproducible across standard libraries, unlike std::uniform_real_distribution.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  // Uniform in [-1, 1) with 24 random bits, so never a subnormal.
  float uniform() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return float(z >> 40) * 0x1p-23f - 1.0f;
  }
  std::vector<float> fill(size_t n, float scale) {
    std::vector<float> v(n);
    for (float& x : v) x = uniform() * scale;
    return v;
  }

 private:
  uint64_t state_;
};

// XNNPACK reads up to XNN_EXTRA_BYTES (16) past an input; 64 also keeps the next row aligned.
constexpr size_t kSlackBytes = 64;
constexpr size_t kAlignment = 64;

float* allocate(size_t floats) {
  size_t bytes = (floats * sizeof(float) + kSlackBytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (p == nullptr) throw std::bad_alloc();
  std::fill_n(static_cast<float*>(p), bytes / sizeof(float), 0.0f);
  return static_cast<float*>(p);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

NetworkData make_data(const Network& net, uint64_t seed) {
  Random rng(seed);
  NetworkData d;
  for (const Layer& l : net.layers) {
    // 1/sqrt(fan_in) keeps every output within a small factor of its inputs, so nothing drifts
    // towards the subnormal range.
    const float scale = 1.0f / std::sqrt(float(l.fan_in()));
    d.weights.push_back({rng.fill(l.weight_count(), scale), rng.fill(size_t(l.out_c), scale)});
    d.layer_inputs.push_back(rng.fill(l.input_size(), 1.0f));
  }
  const Node& in = net.nodes.front();
  d.net_input = rng.fill(size_t(in.h) * in.w * in.c, 1.0f);
  return d;
}

void IoBuffers::Free::operator()(float* p) const { std::free(p); }

IoBuffers::IoBuffers(const Network& net) {
  for (const Layer& l : net.layers) {
    storage_.emplace_back(allocate(l.input_size()));
    float* in = storage_.back().get();
    storage_.emplace_back(allocate(l.output_size()));
    io_.push_back({in, storage_.back().get()});
    out_sizes_.push_back(l.output_size());
  }
}

void IoBuffers::load_inputs(const NetworkData& data) {
  for (size_t i = 0; i < io_.size(); ++i) {
    std::copy(data.layer_inputs[i].begin(), data.layer_inputs[i].end(), io_[i].input);
  }
}

Timing time_backend(Backend& backend, size_t layers, int warmup, int runs) {
  using clock = std::chrono::steady_clock;
  std::vector<std::vector<double>> per_layer(layers);
  std::vector<double> totals;
  for (int it = 0; it < warmup + runs; ++it) {
    double total = 0.0;
    for (size_t i = 0; i < layers; ++i) {
      auto t0 = clock::now();
      backend.run_layer(i);
      double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
      total += ms;
      if (it >= warmup) per_layer[i].push_back(ms);
    }
    if (it >= warmup) totals.push_back(total);
  }
  Timing t;
  t.median_ms = median(totals);
  t.min_ms = *std::min_element(totals.begin(), totals.end());
  for (auto& v : per_layer) t.layer_median_ms.push_back(median(std::move(v)));
  return t;
}

}  // namespace ks
