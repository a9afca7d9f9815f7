// NCHW image ops (Caffe's graphs) on the NHWC kernels: the input is transposed into an NHWC
// scratch buffer, the NHWC kernel runs, and its output is transposed back. The scratch is
// shared by every such step of a session (steps run one at a time), so it costs the largest
// step's input + output once. Two transposes are memory-bound passes, cheap next to a
// convolution; the plan's layout pass removes them where a whole region can run NHWC.
#include "kernels/nchw.h"

#include <algorithm>

#include "kernels/ops.h"

namespace ingot::kernels {

// In tiles so both sides stay in cache.
void nchw_to_nhwc(const float* src, float* dst, std::int64_t n, std::int64_t c, std::int64_t p) {
  constexpr std::int64_t kTile = 32;
  for (std::int64_t b = 0; b < n; ++b, src += c * p, dst += c * p)
    for (std::int64_t c0 = 0; c0 < c; c0 += kTile)
      for (std::int64_t p0 = 0; p0 < p; p0 += kTile) {
        const std::int64_t c1 = std::min(c, c0 + kTile), p1 = std::min(p, p0 + kTile);
        for (std::int64_t ci = c0; ci < c1; ++ci)
          for (std::int64_t pi = p0; pi < p1; ++pi) dst[pi * c + ci] = src[ci * p + pi];
      }
}

void nhwc_to_nchw(const float* src, float* dst, std::int64_t n, std::int64_t c, std::int64_t p) {
  constexpr std::int64_t kTile = 32;
  for (std::int64_t b = 0; b < n; ++b, src += c * p, dst += c * p)
    for (std::int64_t p0 = 0; p0 < p; p0 += kTile)
      for (std::int64_t c0 = 0; c0 < c; c0 += kTile) {
        const std::int64_t c1 = std::min(c, c0 + kTile), p1 = std::min(p, p0 + kTile);
        for (std::int64_t pi = p0; pi < p1; ++pi)
          for (std::int64_t ci = c0; ci < c1; ++ci) dst[ci * p + pi] = src[pi * c + ci];
      }
}

namespace {

Shape nhwc_of(const Shape& nchw) { return Shape{nchw[0], nchw[2], nchw[3], nchw[1]}; }

class NchwAdapter final : public Kernel {
 public:
  NchwAdapter(std::unique_ptr<Kernel> inner, const Tensor* in, Tensor* out, float* in_scratch, float* out_scratch)
      : inner_(std::move(inner)), in_(in), out_(out), in_scratch_(in_scratch), out_scratch_(out_scratch) {}
  void run() override {
    const Shape& x = in_->shape();
    const Shape& y = out_->shape();
    nchw_to_nhwc(in_->data<float>().data(), in_scratch_, x[0], x[1], x[2] * x[3]);
    inner_->run();
    nhwc_to_nchw(out_scratch_, out_->mutable_data<float>().data(), y[0], y[1], y[2] * y[3]);
  }
  std::string name() const override { return inner_->name() + " (NCHW via NHWC)"; }

 private:
  std::unique_ptr<Kernel> inner_;
  const Tensor* in_;
  Tensor* out_;
  float* in_scratch_;
  float* out_scratch_;
};

bool is_nchw_image_op(std::string_view op, const void* params) {
  if (op == "Conv2D") return static_cast<const ops::Conv2DParams*>(params)->layout == "NCHW";
  if (op == "MaxPool2D") return static_cast<const ops::MaxPool2DParams*>(params)->layout == "NCHW";
  if (op == "AvgPool2D") return static_cast<const ops::AvgPool2DParams*>(params)->layout == "NCHW";
  return false;
}

}  // namespace

std::size_t nchw_scratch_bytes(const KernelRequest& r) {
  if (!is_nchw_image_op(r.op, r.params) || r.inputs.size() != 1 || r.outputs.size() != 1) return 0;
  return r.inputs[0]->byte_size() + r.outputs[0]->byte_size() + 2 * kReadSlack;
}

Result<std::unique_ptr<Kernel>> prepare_nchw(const KernelRequest& r) {
  if (!is_nchw_image_op(r.op, r.params) || r.scratch.size() < nchw_scratch_bytes(r)) return std::unique_ptr<Kernel>();
  auto* in_scratch = reinterpret_cast<float*>(r.scratch.data());
  auto* out_scratch = reinterpret_cast<float*>(r.scratch.data() + r.inputs[0]->byte_size() + kReadSlack);
  Tensor x = Tensor::wrap(DType::f32, nhwc_of(r.inputs[0]->shape()), in_scratch, nullptr);
  Tensor y = Tensor::wrap(DType::f32, nhwc_of(r.outputs[0]->shape()), out_scratch, nullptr);
  const Tensor* inputs[] = {&x};
  Tensor* outputs[] = {&y};
  KernelRequest inner = r;
  inner.inputs = inputs;
  inner.outputs = outputs;
  inner.scratch = {};
  Result<std::unique_ptr<Kernel>> kernel = std::unique_ptr<Kernel>();
  if (r.op == "Conv2D") {
    ops::Conv2DParams p = *static_cast<const ops::Conv2DParams*>(r.params);
    p.layout = "NHWC";
    kernel = prepare_conv2d(p, inner);
  } else if (r.op == "MaxPool2D") {
    ops::MaxPool2DParams p = *static_cast<const ops::MaxPool2DParams*>(r.params);
    p.layout = "NHWC";
    kernel = prepare_maxpool2d(p, inner);
  } else {
    ops::AvgPool2DParams p = *static_cast<const ops::AvgPool2DParams*>(r.params);
    p.layout = "NHWC";
    kernel = prepare_avgpool2d(p, inner);
  }
  if (!kernel.ok() || !*kernel) return kernel;
  return std::unique_ptr<Kernel>(
      std::make_unique<NchwAdapter>(std::move(kernel).value(), r.inputs[0], r.outputs[0], in_scratch, out_scratch));
}

}  // namespace ingot::kernels
