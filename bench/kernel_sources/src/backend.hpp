// The one interface every kernel source implements, so the harness treats them alike.
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "network.hpp"

namespace ks {

// Weights in the canonical layouts documented on Layer; shared read-only by all backends.
struct LayerWeights {
  std::vector<float> weights;
  std::vector<float> bias;
};

// Each layer reads and writes its own buffers, allocated by the harness with slack at the end
// (XNNPACK may read up to XNN_EXTRA_BYTES past an input).
struct LayerIo {
  float* input = nullptr;
  float* output = nullptr;
};

struct BackendSetup {
  const Network& net;
  std::span<const LayerWeights> weights;
  std::span<const LayerIo> io;
  int threads = 1;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Runs layer `index` on the buffers bound at construction; bias and activation included.
  virtual void run_layer(size_t index) = 0;
  // Which implementation the library chose for a layer, for --verbose; empty if unknown.
  virtual std::string describe_layer(size_t /*index*/) const { return {}; }
};

// Construction does everything outside the timed loop: weight packing, operator setup,
// thread pools. It throws std::runtime_error on any library error.
using BackendFactory = std::unique_ptr<Backend> (*)(const BackendSetup&);

std::unique_ptr<Backend> make_xnnpack_backend(const BackendSetup& setup);
std::unique_ptr<Backend> make_onednn_backend(const BackendSetup& setup);
std::unique_ptr<Backend> make_openblas_backend(const BackendSetup& setup);

// One line per backend describing versions and threading, printed above the table.
std::string xnnpack_info();
std::string onednn_info();
// KS_ONEDNN_BLOCKED is set: oneDNN runs on its preferred blocked activation layout.
bool onednn_blocked();
std::string openblas_info();
// The kernel family OpenBLAS dispatched to (OPENBLAS_CORETYPE overrides it at load time).
std::string openblas_core();

// Bounds implied by a fused activation, in the output_min/output_max form XNNPACK takes.
inline float activation_min(Activation act) {
  return act == Activation::kNone ? -std::numeric_limits<float>::infinity() : 0.0f;
}
inline float activation_max(Activation act) {
  return act == Activation::kRelu6 ? 6.0f : std::numeric_limits<float>::infinity();
}

}  // namespace ks
