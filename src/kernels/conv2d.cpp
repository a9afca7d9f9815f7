// Conv2D on NHWC activations through XNNPACK: indirect GEMM for regular and grouped
// convolutions, its depthwise micro-kernels when every group has one input channel (the
// depthwise-multiplier form included). Weights are repacked once from ingot's OIHW into what
// XNNPACK's packer reads (OHWI, or HWO for depthwise); XNNPACK then packs them into its own
// blocked layout, so the repacked copy is dropped before the first run.
#include <vector>

#include "kernels/ops.h"
#include "kernels/xnnpack.h"
#include "ops/params.h"

namespace ingot::kernels {
namespace {

bool is_depthwise(const ops::Conv2DParams& p) { return p.groups > 1 && p.weights.shape()[1] == 1; }

// OIHW -> OHWI ([groups][group_out][kh][kw][group_in], as XNNPACK's generic packer reads).
std::vector<float> to_ohwi(const Tensor& w) {
  const Shape& s = w.shape();
  const std::int64_t o_n = s[0], i_n = s[1], kh = s[2], kw = s[3];
  const auto src = w.data<float>();
  std::vector<float> out(src.size());
  for (std::int64_t o = 0; o < o_n; ++o)
    for (std::int64_t i = 0; i < i_n; ++i)
      for (std::int64_t y = 0; y < kh; ++y)
        for (std::int64_t x = 0; x < kw; ++x)
          out[static_cast<std::size_t>(((o * kh + y) * kw + x) * i_n + i)] =
              src[static_cast<std::size_t>(((o * i_n + i) * kh + y) * kw + x)];
  return out;
}

// [O, 1, kh, kw] -> [kh][kw][O] (XNNPACK's depthwise layout; O = group * multiplier + j).
std::vector<float> to_hwo(const Tensor& w) {
  const Shape& s = w.shape();
  const std::int64_t o_n = s[0], kh = s[2], kw = s[3];
  const auto src = w.data<float>();
  std::vector<float> out(src.size());
  for (std::int64_t o = 0; o < o_n; ++o)
    for (std::int64_t y = 0; y < kh; ++y)
      for (std::int64_t x = 0; x < kw; ++x)
        out[static_cast<std::size_t>((y * kw + x) * o_n + o)] = src[static_cast<std::size_t>((o * kh + y) * kw + x)];
  return out;
}

}  // namespace

bool conv2d_supported(const ops::Conv2DParams&) { return true; }  // NCHW through nchw.cpp

Result<std::unique_ptr<Kernel>> prepare_conv2d(const ops::Conv2DParams& p, const KernelRequest& r) {
  if (p.layout != "NHWC" || !xnn::available()) return std::unique_ptr<Kernel>();
  const Shape& x = r.inputs[0]->shape();  // N, H, W, C
  const Shape& w = p.weights.shape();
  const bool depthwise = is_depthwise(p);
  // A 1x1 kernel is already in either layout: no copy (fresh memory is slow to touch on VMs).
  const bool pointwise = w[2] == 1 && w[3] == 1;
  const std::vector<float> repacked = pointwise ? std::vector<float>() : depthwise ? to_hwo(p.weights) : to_ohwi(p.weights);
  const float* kernel = pointwise ? p.weights.data<float>().data() : repacked.data();
  const auto u32 = [](std::int64_t v) { return static_cast<std::uint32_t>(v); };
  const auto groups = static_cast<std::size_t>(p.groups);
  xnn_operator_t op = nullptr;
  const xnn_status created = xnn_create_convolution2d_nhwc_f32(
      u32(p.pads[0]), u32(p.pads[3]), u32(p.pads[2]), u32(p.pads[1]), u32(w[2]), u32(w[3]),
      u32(p.strides[0]), u32(p.strides[1]), u32(p.dilations[0]), u32(p.dilations[1]), u32(p.groups),
      static_cast<std::size_t>(w[1]), static_cast<std::size_t>(w[0]) / groups, static_cast<std::size_t>(x[3]),
      static_cast<std::size_t>(w[0]), kernel, p.bias ? p.bias->data<float>().data() : nullptr,
      r.clamp.min, r.clamp.max, depthwise ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &op);
  const float* in = r.inputs[0]->data<float>().data();
  float* out = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, op, *r.pool,
      [&](xnn_operator_t o) {
        return xnn_setup_convolution2d_nhwc_f32(o, static_cast<std::size_t>(x[0]), static_cast<std::size_t>(x[1]),
                                                static_cast<std::size_t>(x[2]), in, out, r.pool->get());
      },
      depthwise ? "conv2d depthwise" : "conv2d igemm");
}

}  // namespace ingot::kernels
