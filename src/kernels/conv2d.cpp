// Conv2D on NHWC activations, through oneDNN (the default) or XNNPACK.
//
// oneDNN: one convolution primitive per node, weights reordered once from ingot's OIHW (which
// is oneDNN's oihw / goihw) into the blocked layout the primitive chose; bias and the fused
// clamp run inside it as post-ops.
//
// XNNPACK: indirect GEMM for regular and grouped
// convolutions, its depthwise micro-kernels when every group has one input channel (the
// depthwise-multiplier form included). Weights are repacked once from ingot's OIHW into what
// XNNPACK's packer reads (OHWI, or HWO for depthwise); XNNPACK then packs them into its own
// blocked layout, so the repacked copy is dropped before the first run.
#include <vector>

#include "kernels/onednn.h"
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

// A forward-inference convolution over `src`, with or without a bias, from the op's geometry.
dnnl::convolution_forward::desc conv_desc(const ops::Conv2DParams& p, dnnl::algorithm algo, const dnnl::memory::desc& src,
                                          const dnnl::memory::desc& weights, const dnnl::memory::desc& bias,
                                          const dnnl::memory::desc& dst) {
  const dnnl::memory::dims strides{p.strides[0], p.strides[1]};
  const dnnl::memory::dims dilations{p.dilations[0] - 1, p.dilations[1] - 1};  // oneDNN counts the gaps
  const dnnl::memory::dims pad_l{p.pads[0], p.pads[1]}, pad_r{p.pads[2], p.pads[3]};
  const auto kind = dnnl::prop_kind::forward_inference;
  return p.bias ? dnnl::convolution_forward::desc(kind, algo, src, weights, bias, dst, strides, dilations, pad_l, pad_r)
                : dnnl::convolution_forward::desc(kind, algo, src, weights, dst, strides, dilations, pad_l, pad_r);
}

// Winograd F(2x2, 3x3) (oneDNN's jit_fp32_wino_2x3 on AVX-512): 2.25x fewer multiplications
// for 3x3 stride-1 convolutions. It reads and writes only oneDNN's blocked nChw16c, so the
// kernel reorders its NHWC input (and a residual summand, straight into the destination, which
// the primitive then adds as a sum post-op) into scratch, and its blocked output back. On
// ResNet-18's 3x3 layers at batch 1 that is 36 % (1 thread) to 60 % (2 threads) faster than the
// direct brgconv, reorders included on the 56x56 and 28x28 layers (docs/runtime.md). Numerics:
// the transforms add and subtract inputs and weights before multiplying, so the error bound is
// the norm-wise one the kernel tests state, not the direct summation bound.
//
// Where it pays, measured per layer on this project's machine (docs/runtime.md): with at least
// 25 output tiles of 2x2 and 32 output channels. Below that (ResNet's 7x7 stage, SSD's small
// heads) the direct kernel is as fast or faster, and the Winograd weight transform, oneDNN's
// slowest reorder (85 ms for a 512x512 3x3 layer), would cost plan time for nothing.
bool winograd_candidate(const ops::Conv2DParams& p, const KernelRequest& r) {
  const Shape& w = p.weights.shape();
  const Shape& y = r.outputs[0]->shape();  // N, H, W, C
  const std::int64_t tiles = (y[1] + 1) / 2 * ((y[2] + 1) / 2);
  return p.layout == "NHWC" && p.groups == 1 && w[2] == 3 && w[3] == 3 && p.strides[0] == 1 && p.strides[1] == 1 &&
         p.dilations[0] == 1 && p.dilations[1] == 1 && tiles >= 25 && w[0] >= 32 &&
         r.conv_library == ConvLibrary::onednn && r.winograd && r.inputs.size() <= 2;
}

// nChw16c: channels padded to 16.
std::size_t blocked_bytes(const Shape& nhwc) {
  return static_cast<std::size_t>(nhwc[0] * ((nhwc[3] + 15) / 16 * 16) * nhwc[1] * nhwc[2]) * sizeof(float);
}

constexpr std::size_t kScratchAlign = 64;
std::size_t aligned(std::size_t n) { return (n + kScratchAlign - 1) / kScratchAlign * kScratchAlign; }

Result<std::unique_ptr<Kernel>> prepare_onednn_winograd(const ops::Conv2DParams& p, const KernelRequest& r) {
  using dnnl::memory;
  using tag = memory::format_tag;
  const Shape& x = r.inputs[0]->shape();  // N, H, W, C
  const Shape& y = r.outputs[0]->shape();
  const Shape& w = p.weights.shape();
  const memory::dims src_dims{x[0], x[3], x[1], x[2]}, dst_dims{y[0], y[3], y[1], y[2]};
  const memory::desc src(src_dims, memory::data_type::f32, tag::nhwc), dst(dst_dims, memory::data_type::f32, tag::nhwc);
  const memory::desc blocked_src(src_dims, memory::data_type::f32, tag::nChw16c);
  const memory::desc blocked_dst(dst_dims, memory::data_type::f32, tag::nChw16c);
  const memory::desc have_w({w[0], w[1], w[2], w[3]}, memory::data_type::f32, tag::oihw);
  const memory::desc any_w({w[0], w[1], w[2], w[3]}, memory::data_type::f32, tag::any);
  const memory::desc bias({w[0]}, memory::data_type::f32, tag::x);
  const std::size_t dst_offset = aligned(blocked_src.get_size());
  if (r.scratch.size() < dst_offset + blocked_dst.get_size()) return std::unique_ptr<Kernel>();
  try {
    const auto desc = conv_desc(p, dnnl::algorithm::convolution_winograd, blocked_src, any_w, bias, blocked_dst);
    onednn::use_threads(r.pool->threads());
    const bool residual = r.inputs.size() == 2;
    const dnnl::convolution_forward::primitive_desc pd(
        desc, onednn::post_ops(r.clamp, residual ? onednn::Residual::sum : onednn::Residual::none),
        onednn::engine());
    const memory in_nhwc = onednn::wrap(src, *r.inputs[0]), out_nhwc = onednn::wrap(dst, *r.outputs[0]);
    const memory in_blocked(blocked_src, onednn::engine(), r.scratch.data());
    const memory out_blocked(blocked_dst, onednn::engine(), r.scratch.data() + dst_offset);
    onednn::Binding binding{have_w,         p.weights,
                            bias,           p.bias,
                            {{DNNL_ARG_SRC, in_blocked}, {DNNL_ARG_DST, out_blocked}},
                            r.weights_arena, onednn::scale_of(p.weights_scale)};
    binding.before.push_back(onednn::reorder_step(in_nhwc, in_blocked));
    if (residual) binding.before.push_back(onednn::reorder_step(onednn::wrap(dst, *r.inputs[1]), out_blocked));
    binding.after.push_back(onednn::reorder_step(out_blocked, out_nhwc));
    return onednn::make_kernel(dnnl::convolution_forward(pd), pd.weights_desc(), std::move(binding),
                               r.pool->threads(),
                               std::string("onednn conv2d ") + pd.impl_info_str() + (residual ? " + residual" : ""));
  } catch (const dnnl::error& e) {
    return onednn::declined(e, "oneDNN Winograd conv2d");
  }
}

Result<std::unique_ptr<Kernel>> prepare_onednn(const ops::Conv2DParams& p, const KernelRequest& r) {
  using dnnl::memory;
  using tag = memory::format_tag;
  const Shape& x = r.inputs[0]->shape();  // N, H, W, C
  const Shape& y = r.outputs[0]->shape();
  const Shape& w = p.weights.shape();
  const std::string what = "oneDNN conv2d";
  try {
    const memory::desc src({x[0], x[3], x[1], x[2]}, memory::data_type::f32, tag::nhwc);
    const memory::desc dst({y[0], y[3], y[1], y[2]}, memory::data_type::f32, tag::nhwc);
    // OIHW with O = groups * (O / groups) is goihw, byte for byte.
    const memory::dims wdims = p.groups == 1 ? memory::dims{w[0], w[1], w[2], w[3]}
                                             : memory::dims{p.groups, w[0] / p.groups, w[1], w[2], w[3]};
    const memory::desc have_w(wdims, memory::data_type::f32, p.groups == 1 ? tag::oihw : tag::goihw);
    const memory::desc any_w(wdims, memory::data_type::f32, tag::any);
    const memory::desc bias({w[0]}, memory::data_type::f32, tag::x);
    const auto desc = conv_desc(p, dnnl::algorithm::convolution_direct, src, any_w, bias, dst);
    onednn::use_threads(r.pool->threads());  // the primitive blocks its work for this count
    const bool residual = r.inputs.size() == 2;  // y = conv + bias + residual, then the clamp
    const dnnl::convolution_forward::primitive_desc pd(
        desc, onednn::post_ops(r.clamp, residual ? onednn::Residual::binary : onednn::Residual::none, &dst),
        onednn::engine());
    std::vector<std::pair<int, dnnl::memory>> io{{DNNL_ARG_SRC, onednn::wrap(src, *r.inputs[0])},
                                                 {DNNL_ARG_DST, onednn::wrap(dst, *r.outputs[0])}};
    if (residual) io.emplace_back(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, onednn::wrap(dst, *r.inputs[1]));
    return onednn::make_kernel(dnnl::convolution_forward(pd), pd.weights_desc(),
                               {have_w, p.weights, bias, p.bias, std::move(io), r.weights_arena, onednn::scale_of(p.weights_scale)},
                               r.pool->threads(),
                               std::string("onednn conv2d ") + pd.impl_info_str() + (residual ? " + residual" : ""));
  } catch (const dnnl::error& e) {
    return onednn::declined(e, what);
  }
}

}  // namespace

bool conv2d_supported(const ops::Conv2DParams&) { return true; }  // NCHW through nchw.cpp

std::size_t conv2d_scratch_bytes(const ops::Conv2DParams& p, const KernelRequest& r) {
  if (!winograd_candidate(p, r) || !onednn::available()) return 0;
  return aligned(blocked_bytes(r.inputs[0]->shape())) + blocked_bytes(r.outputs[0]->shape());
}

bool conv2d_accepts_residual(const ops::Conv2DParams& p, ConvLibrary library) {
  return p.layout == "NHWC" && library == ConvLibrary::onednn && onednn::available();
}

Result<std::unique_ptr<Kernel>> prepare_conv2d(const ops::Conv2DParams& folded, const KernelRequest& r) {
  if (folded.layout != "NHWC") return std::unique_ptr<Kernel>();
  if (r.conv_library == ConvLibrary::onednn && onednn::available()) {
    // oneDNN applies weights_scale while it reorders the weights into its own layout.
    if (winograd_candidate(folded, r)) {
      INGOT_ASSIGN_OR_RETURN(auto kernel, prepare_onednn_winograd(folded, r));
      if (kernel) return kernel;
    }
    INGOT_ASSIGN_OR_RETURN(auto kernel, prepare_onednn(folded, r));
    if (kernel) return kernel;
  }
  ops::Conv2DParams p = folded;  // XNNPACK packs from the weights with weights_scale applied
  INGOT_ASSIGN_OR_RETURN(p.weights, packing_weights(folded.weights, folded.weights_scale, r));
  p.weights_scale.reset();
  // XNNPACK has no summand input: a fused residual then runs on the reference kernel.
  if (!xnn::available() || r.inputs.size() != 1) return std::unique_ptr<Kernel>();
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
