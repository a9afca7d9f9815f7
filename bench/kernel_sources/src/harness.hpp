// Everything around the backends: random data, per-layer buffers, the correctness checks and
// the timed loop. Kept backend-agnostic so each library is measured by the same code.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend.hpp"
#include "network.hpp"

namespace ks {

// Weights, biases and one input per layer, drawn once per network and given to every backend.
struct NetworkData {
  std::vector<LayerWeights> weights;
  std::vector<std::vector<float>> layer_inputs;
  std::vector<float> net_input;  // for the chained pass
};

NetworkData make_data(const Network& net, uint64_t seed);

// The per-layer input/output buffers of one backend.
class IoBuffers {
 public:
  explicit IoBuffers(const Network& net);
  std::span<const LayerIo> io() const { return io_; }
  void load_inputs(const NetworkData& data);
  std::span<const float> output(size_t layer) const {
    return {io_[layer].output, out_sizes_[layer]};
  }

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::vector<std::unique_ptr<float, Free>> storage_;
  std::vector<LayerIo> io_;
  std::vector<size_t> out_sizes_;
};

// max |a - b| / (max a - min a), over backends against the first one.
struct Disagreement {
  double worst = 0.0;
  std::string where;   // layer or output name
  size_t backend = 0;  // index of the backend that disagreed most with backend 0
};

// Every layer's output after one run on the shared per-layer inputs.
Disagreement compare_layer_outputs(const Network& net, std::span<const IoBuffers> buffers);

// A full forward pass through the graph, glue ops included, feeding each layer's buffers;
// returns the network outputs. Overwrites the layer inputs (reload them before timing).
std::vector<std::vector<float>> run_chain(const Network& net, const NetworkData& data,
                                          Backend& backend, const IoBuffers& buffers);
Disagreement compare_chain_outputs(const Network& net,
                                   std::span<const std::vector<std::vector<float>>> outputs);

size_t count_subnormals(std::span<const float> values);
size_t count_subnormals(const Network& net, const NetworkData& data, const IoBuffers& buffers);

struct Timing {
  double median_ms = 0.0;  // of the per-iteration sums of layer times
  double min_ms = 0.0;
  std::vector<double> layer_median_ms;
};

Timing time_backend(Backend& backend, size_t layers, int warmup, int runs);

}  // namespace ks
