// XNNPACK (Debian's 2022-02-16 snapshot) through its operator API: one operator per layer,
// created and set up once on the layer's buffers, so the timed loop is xnn_run_operator only.
#include <pthreadpool.h>
#include <xnnpack.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "backend.hpp"

namespace ks {
namespace {

void check(xnn_status status, const std::string& what) {
  if (status != xnn_status_success) {
    throw std::runtime_error("XNNPACK: " + what + ": status " + std::to_string(int(status)));
  }
}

xnn_operator_t create_conv(const Layer& l, const LayerWeights& w) {
  const bool dw = l.kind == LayerKind::kDepthwise;
  // Depthwise is a grouped conv with one input and one output channel per group; the flag
  // selects the [k][k][channels] filter layout, which is our canonical depthwise layout.
  const uint32_t groups = dw ? l.in_c : 1;
  const size_t group_in = dw ? 1 : l.in_c;
  const size_t group_out = dw ? 1 : l.out_c;
  xnn_operator_t op = nullptr;
  check(xnn_create_convolution2d_nhwc_f32(
            l.pad.top, l.pad.right, l.pad.bottom, l.pad.left, l.kernel, l.kernel, l.stride,
            l.stride, 1, 1, groups, group_in, group_out, l.in_c, l.out_c, w.weights.data(),
            w.bias.data(), activation_min(l.act), activation_max(l.act),
            dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &op),
        "create convolution " + l.name);
  return op;
}

xnn_operator_t create_dense(const Layer& l, const LayerWeights& w) {
  xnn_operator_t op = nullptr;
  // Canonical [out][in] is XNNPACK's default layout (no XNN_FLAG_TRANSPOSE_WEIGHTS).
  check(xnn_create_fully_connected_nc_f32(l.in_c, l.out_c, l.in_c, l.out_c, w.weights.data(),
                                          w.bias.data(), activation_min(l.act),
                                          activation_max(l.act), 0, &op),
        "create fully connected " + l.name);
  return op;
}

class XnnpackBackend final : public Backend {
 public:
  explicit XnnpackBackend(const BackendSetup& s) {
    check(xnn_initialize(nullptr), "initialize");
    // A pool of 1 runs tasks on the calling thread, so the 1-thread figure has no pool overhead.
    pool_ = pthreadpool_create(size_t(s.threads));
    if (pool_ == nullptr) throw std::runtime_error("XNNPACK: pthreadpool_create failed");
    for (size_t i = 0; i < s.net.layers.size(); ++i) {
      ops_.push_back(setup_layer(s.net.layers[i], s.weights[i], s.io[i]));
    }
  }
  ~XnnpackBackend() override {
    for (xnn_operator_t op : ops_) xnn_delete_operator(op);
    pthreadpool_destroy(pool_);
    xnn_deinitialize();
  }
  XnnpackBackend(const XnnpackBackend&) = delete;
  XnnpackBackend& operator=(const XnnpackBackend&) = delete;

  void run_layer(size_t index) override { check(xnn_run_operator(ops_[index], pool_), "run"); }

 private:
  xnn_operator_t setup_layer(const Layer& l, const LayerWeights& w, const LayerIo& io) {
    if (l.kind == LayerKind::kDense) {
      xnn_operator_t op = create_dense(l, w);
      check(xnn_setup_fully_connected_nc_f32(op, 1, io.input, io.output, pool_), "setup " + l.name);
      return op;
    }
    xnn_operator_t op = create_conv(l, w);
    check(xnn_setup_convolution2d_nhwc_f32(op, 1, l.in_h, l.in_w, io.input, io.output, pool_),
          "setup " + l.name);
    return op;
  }

  pthreadpool_t pool_ = nullptr;
  std::vector<xnn_operator_t> ops_;
};

}  // namespace

std::unique_ptr<Backend> make_xnnpack_backend(const BackendSetup& setup) {
  return std::make_unique<XnnpackBackend>(setup);
}

std::string xnnpack_info() {
  return "XNNPACK: Debian libxnnpack0 0.0~git20220216 (operator API), threads via pthreadpool";
}

}  // namespace ks
