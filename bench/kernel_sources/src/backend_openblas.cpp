// OpenBLAS sgemm + im2col, the way a small inference engine without its own GEMM would do it:
//  * 1x1 stride-1 convs are a plain GEMM on the NHWC input (pixels x channels);
//  * other full convs expand the input into a [pixels][k*k*in_c] scratch matrix, then GEMM;
//  * single-pixel outputs (dense, the 1x1 classifier, SSD's last extras) use sgemv;
//  * depthwise convs have no GEMM form, so they use a direct NHWC loop written here;
//  * bias and activation are a separate pass over the GEMM output.
// The non-BLAS loops run on a pthreadpool with the same thread count as OpenBLAS.
#include <cblas.h>
#include <pthreadpool.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend.hpp"

namespace ks {
namespace {

enum class Method { kGemm, kIm2colGemm, kDepthwiseDirect };

Method choose_method(const Layer& l) {
  if (l.kind == LayerKind::kDepthwise) return Method::kDepthwiseDirect;
  // The NHWC input already is the [pixels][in_c] GEMM operand.
  const bool pointwise = l.kernel == 1 && l.stride == 1 && l.pad.top == 0 && l.pad.left == 0 &&
                         l.pad.bottom == 0 && l.pad.right == 0;
  return pointwise || l.kind == LayerKind::kDense ? Method::kGemm : Method::kIm2colGemm;
}

// Channel loops are contiguous in NHWC; target_clones gives them AVX-512/AVX2 versions chosen at
// load time, as the libraries' runtime dispatch does for their kernels.
#define KS_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

KS_SIMD_CLONES void add_bias_clamp(float* row, const float* bias, int pixels, int channels,
                                   float lo, float hi) {
  for (int p = 0; p < pixels; ++p) {
    float* v = row + size_t(p) * channels;
#pragma omp simd
    for (int c = 0; c < channels; ++c) v[c] = std::min(std::max(v[c] + bias[c], lo), hi);
  }
}

KS_SIMD_CLONES void multiply_accumulate(float* acc, const float* x, const float* w, int channels) {
#pragma omp simd
  for (int c = 0; c < channels; ++c) acc[c] += x[c] * w[c];
}

// One output row of a depthwise conv. The accumulator is the output pixel itself: at most 1024
// channels (4 KiB), it stays in L1 across the k*k taps and the fused bias + clamp.
void depthwise_row(const Layer& l, const float* in, const float* w, const float* bias, float* out,
                   int oy) {
  const int c = l.in_c, ow = l.out_w();
  for (int ox = 0; ox < ow; ++ox) {
    float* acc = out + (size_t(oy) * ow + ox) * c;
    std::memset(acc, 0, sizeof(float) * c);
    for (int ky = 0; ky < l.kernel; ++ky) {
      const int iy = oy * l.stride - l.pad.top + ky;
      if (iy < 0 || iy >= l.in_h) continue;
      for (int kx = 0; kx < l.kernel; ++kx) {
        const int ix = ox * l.stride - l.pad.left + kx;
        if (ix < 0 || ix >= l.in_w) continue;
        multiply_accumulate(acc, in + (size_t(iy) * l.in_w + ix) * c,
                            w + size_t(ky * l.kernel + kx) * c, c);
      }
    }
    add_bias_clamp(acc, bias, 1, c, activation_min(l.act), activation_max(l.act));
  }
}

// One output row's patches: row (oy, ox) of the scratch matrix holds the k*k*in_c inputs in
// (ky, kx, ci) order, matching the OHWI weight rows; padding becomes zeros.
void im2col_row(const Layer& l, const float* in, float* col, int oy) {
  const int k = l.kernel, ci = l.in_c, ow = l.out_w();
  const size_t patch = size_t(k) * k * ci;
  for (int ox = 0; ox < ow; ++ox) {
    float* dst = col + (size_t(oy) * ow + ox) * patch;
    for (int ky = 0; ky < k; ++ky) {
      const int iy = oy * l.stride - l.pad.top + ky;
      for (int kx = 0; kx < k; ++kx, dst += ci) {
        const int ix = ox * l.stride - l.pad.left + kx;
        if (iy < 0 || iy >= l.in_h || ix < 0 || ix >= l.in_w) {
          std::memset(dst, 0, sizeof(float) * ci);
        } else {
          std::memcpy(dst, in + (size_t(iy) * l.in_w + ix) * ci, sizeof(float) * ci);
        }
      }
    }
  }
}

class OpenblasBackend final : public Backend {
 public:
  explicit OpenblasBackend(const BackendSetup& s) : net_(s.net), weights_(s.weights), io_(s.io) {
    openblas_set_num_threads(s.threads);
    pool_ = pthreadpool_create(size_t(s.threads));
    if (pool_ == nullptr) throw std::runtime_error("OpenBLAS backend: pthreadpool_create failed");
    size_t scratch = 0;
    for (const Layer& l : net_.layers) {
      if (choose_method(l) == Method::kIm2colGemm) {
        scratch = std::max(scratch, size_t(l.out_h()) * l.out_w() * l.fan_in());
      }
    }
    col_.resize(scratch);
  }
  ~OpenblasBackend() override { pthreadpool_destroy(pool_); }
  OpenblasBackend(const OpenblasBackend&) = delete;
  OpenblasBackend& operator=(const OpenblasBackend&) = delete;

  void run_layer(size_t index) override {
    const Layer& l = net_.layers[index];
    const LayerWeights& w = weights_[index];
    const LayerIo& io = io_[index];
    switch (choose_method(l)) {
      case Method::kDepthwiseDirect:
        return for_each_row(l.out_h(), [&](int oy) {
          depthwise_row(l, io.input, w.weights.data(), w.bias.data(), io.output, oy);
        });
      case Method::kGemm:
        gemm(l, io.input, w.weights.data(), io.output);
        break;
      case Method::kIm2colGemm:
        for_each_row(l.out_h(), [&](int oy) { im2col_row(l, io.input, col_.data(), oy); });
        gemm(l, col_.data(), w.weights.data(), io.output);
        break;
    }
    bias_activation(l, w.bias.data(), io.output);
  }

  std::string describe_layer(size_t index) const override {
    const Layer& l = net_.layers[index];
    static const char* const names[] = {"sgemm", "im2col+sgemm", "direct depthwise"};
    const bool gemv = l.out_h() * l.out_w() == 1 && l.kind != LayerKind::kDepthwise;
    return gemv ? (choose_method(l) == Method::kGemm ? "sgemv" : "im2col+sgemv")
                : names[int(choose_method(l))];
  }

 private:
  // out[pixels][out_c] = a[pixels][fan_in] * W^T, W being the OHWI rows [out_c][fan_in].
  static void gemm(const Layer& l, const float* a, const float* w, float* out) {
    const int pixels = l.out_h() * l.out_w(), k = l.fan_in();
    if (pixels == 1) {
      // OpenBLAS 0.3.21 does not route M=1 sgemm to its gemv kernels itself.
      cblas_sgemv(CblasRowMajor, CblasNoTrans, l.out_c, k, 1.0f, w, k, a, 1, 0.0f, out, 1);
      return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, pixels, l.out_c, k, 1.0f, a, k, w, k, 0.0f,
                out, l.out_c);
  }

  void bias_activation(const Layer& l, const float* bias, float* out) {
    const float lo = activation_min(l.act), hi = activation_max(l.act);
    const int ow = l.out_w();
    for_each_row(l.out_h(), [&](int oy) {
      add_bias_clamp(out + size_t(oy) * ow * l.out_c, bias, ow, l.out_c, lo, hi);
    });
  }

  // YIELD_WORKERS puts our workers to sleep after each loop instead of spinning: the next call
  // is an sgemm whose OpenBLAS threads need those cores (2-thread MobileNet, busy machine:
  // 8-10 ms with it, 12-14 ms with spinning workers).
  template <class F>
  void for_each_row(int rows, const F& f) {
    pthreadpool_parallelize_1d(
        pool_, [&f](size_t row) { f(int(row)); }, size_t(rows), PTHREADPOOL_FLAG_YIELD_WORKERS);
  }

  const Network& net_;
  std::span<const LayerWeights> weights_;
  std::span<const LayerIo> io_;
  pthreadpool_t pool_ = nullptr;
  std::vector<float> col_;
};

}  // namespace

std::unique_ptr<Backend> make_openblas_backend(const BackendSetup& setup) {
  return std::make_unique<OpenblasBackend>(setup);
}

std::string openblas_core() { return openblas_get_corename(); }

std::string openblas_info() {
  const int parallel = openblas_get_parallel();
  const char* model = parallel == 1 ? "pthreads" : parallel == 2 ? "OpenMP" : "sequential";
  // An inherited override silently changes which kernels run; say so next to the result.
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  return std::string("OpenBLAS: ") + openblas_get_config() + ", core " + openblas_get_corename() +
         (forced ? std::string(" (forced by OPENBLAS_CORETYPE=") + forced + ")" : "") +
         ", threading " + model +
         "; depthwise = direct NHWC loop written here (no GEMM form), im2col/bias passes on a "
         "pthreadpool";
}

}  // namespace ks
