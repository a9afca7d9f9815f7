// Resize (integer-factor upsampling, or explicit sizes) on NHWC activations: the reference's taps (one function,
// ops::resize_source_tap), computed once at plan time, and rows written as whole channel
// vectors. Nearest copies; an output row reading the same input row as the previous one is a
// copy of that row. Bilinear evaluates the reference's expression in the reference's order on
// each channel, so both are bit-identical to the reference kernel. NCHW Resizes run NHWC
// through the nhwc_layout pass.
#include <cstring>
#include <vector>

#include "kernels/ops.h"
#include "ops/params.h"

namespace ingot::kernels {
namespace {

class ResizeKernel final : public Kernel {
 public:
  ResizeKernel(const ops::ResizeParams& p, const Tensor& in, Tensor& out) : in_(&in), out_(&out) {
    const Shape& x = in.shape();  // N, H, W, C
    const Shape& y = out.shape();
    nearest_ = p.mode == "nearest";
    for (std::int64_t oh = 0; oh < y[1]; ++oh) rows_.push_back(ops::resize_source_tap(p, oh, x[1], y[1]));
    for (std::int64_t ow = 0; ow < y[2]; ++ow) cols_.push_back(ops::resize_source_tap(p, ow, x[2], y[2]));
  }

  void run() override {
    const Shape& x = in_->shape();
    const std::size_t c = static_cast<std::size_t>(x[3]), in_row = static_cast<std::size_t>(x[2]) * c;
    const std::size_t out_row = cols_.size() * c;
    const float* src = in_->data<float>().data();
    float* dst = out_->mutable_data<float>().data();
    for (std::int64_t n = 0; n < x[0]; ++n) {
      const float* image = src + static_cast<std::size_t>(n * x[1]) * in_row;
      for (std::size_t oh = 0; oh < rows_.size(); ++oh, dst += out_row) {
        const ops::ResizeTap& r = rows_[oh];
        if (oh > 0 && r.lo == rows_[oh - 1].lo && r.hi == rows_[oh - 1].hi && r.t == rows_[oh - 1].t) {
          std::memcpy(dst, dst - out_row, out_row * sizeof(float));
          continue;
        }
        if (nearest_) {
          nearest_row(image + static_cast<std::size_t>(r.lo) * in_row, dst, c);
        } else {
          bilinear_row(image + static_cast<std::size_t>(r.lo) * in_row, image + static_cast<std::size_t>(r.hi) * in_row,
                       r.t, dst, c);
        }
      }
    }
  }

  std::string name() const override { return nearest_ ? "resize nearest (rows)" : "resize bilinear (rows)"; }

 private:
  void nearest_row(const float* row, float* out, std::size_t c) const {
    for (std::size_t ow = 0; ow < cols_.size(); ++ow)
      std::memcpy(out + ow * c, row + static_cast<std::size_t>(cols_[ow].lo) * c, c * sizeof(float));
  }

  // top = a + (b - a) * tx, bottom = c + (d - c) * tx, y = top + (bottom - top) * ty, as the
  // reference computes it (no fused multiply-add: this file is built for baseline x86-64).
  void bilinear_row(const float* upper, const float* lower, float ty, float* out, std::size_t c) const {
    for (std::size_t ow = 0; ow < cols_.size(); ++ow) {
      const ops::ResizeTap& q = cols_[ow];
      const float* a = upper + static_cast<std::size_t>(q.lo) * c;
      const float* b = upper + static_cast<std::size_t>(q.hi) * c;
      const float* d0 = lower + static_cast<std::size_t>(q.lo) * c;
      const float* d1 = lower + static_cast<std::size_t>(q.hi) * c;
      float* y = out + ow * c;
      const float tx = q.t;
      for (std::size_t k = 0; k < c; ++k) {
        const float top = a[k] + (b[k] - a[k]) * tx;
        const float bottom = d0[k] + (d1[k] - d0[k]) * tx;
        y[k] = top + (bottom - top) * ty;
      }
    }
  }

  const Tensor* in_;
  Tensor* out_;
  bool nearest_ = true;
  std::vector<ops::ResizeTap> rows_, cols_;
};

}  // namespace

Result<std::unique_ptr<Kernel>> prepare_resize(const ops::ResizeParams& p, const KernelRequest& r) {
  if (p.layout != "NHWC" || r.outputs[0]->num_elements() == 0) return std::unique_ptr<Kernel>();
  return std::unique_ptr<Kernel>(std::make_unique<ResizeKernel>(p, *r.inputs[0], *r.outputs[0]));
}

}  // namespace ingot::kernels
