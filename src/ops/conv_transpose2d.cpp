// ConvTranspose2D: the transpose (gradient) of Conv2D, what Keras calls Conv2DTranspose and
// Caffe Deconvolution. Each input pixel scatters a kernel-weighted copy into a "full" output:
//   full[n, iy*sh + ky*dh, ix*sw + kx*dw, g*Og + o] += x[n, iy, ix, i] * W[i, o, ky, kx]
// for each input channel i of group g = i / Cg and o < Og, with Cg = C / groups and
// Og = out_channels / groups. The full extent per axis is
// (H - 1)*s + d*(k - 1) + 1. Pads (top, left, bottom, right) crop it: output row oy is full
// row oy + pad_top. output_padding (h, w) extends the output at the bottom/right; an added row
// still inside the full extent (one pad_bottom would have cropped) keeps its sums, one past it
// holds only the bias. So
//   out_h = (H - 1)*sh - pad_top - pad_bottom + dh*(kh - 1) + 1 + output_padding_h
// Weights are IOHW [in_channels, out_channels/groups, kh, kw] (Caffe's blob order), whatever
// the activation layout; importers transpose Keras' HWOI kernels once.
#include <algorithm>
#include <cassert>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::ConvTranspose2DParams;  // declared in ops/params.h

Status check_weights(const ConvTranspose2DParams& p) {
  INGOT_TRY(ops::check_conv_weights(p.weights, "[in_channels, out_channels/groups, kh, kw]", p.groups));
  return ops::check_conv_bias(p.bias, p.groups * p.weights.shape()[1], "groups * weights.shape[1]");
}

// Output size along one axis (0: height, 1: width).
Result<std::int64_t> output_size(const ConvTranspose2DParams& p, int axis, std::int64_t size) {
  const char* name = axis == 0 ? "height" : "width";
  const std::int64_t s = p.strides[axis], d = p.dilations[axis];
  const std::int64_t k = p.weights.shape()[2 + axis];
  const std::int64_t pad_begin = p.pads[axis], pad_end = p.pads[axis + 2];
  const std::int64_t extra = p.output_padding[axis];
  // A strided Conv2D maps s consecutive input sizes to one output size; output_padding picks
  // which of them to rebuild, so it stays below the stride (or the dilation, as PyTorch allows).
  if (extra >= std::max(s, d)) {
    return bad_input("parameter 'output_padding' " + std::string(name) +
                     " must be < max(stride, dilation) = " + std::to_string(std::max(s, d)) +
                     ", got " + attr_to_string(p.output_padding));
  }
  if (size < 1)
    return bad_input(std::string("input ") + name + " must be >= 1, got " + std::to_string(size));
  // size and k <= 2^40, s, d and pads <= 2^16: no int64 overflow.
  const std::int64_t full = (size - 1) * s + d * (k - 1) + 1;
  const std::int64_t out = full - pad_begin - pad_end + extra;
  if (out < 1) {
    return bad_input(std::string("output ") + name + " (input - 1) * stride - pads + dilation * " +
                     "(kernel - 1) + 1 + output_padding must be >= 1, got " + std::to_string(out) +
                     " (input " + std::to_string(size) + ", stride " + std::to_string(s) +
                     ", pads " + std::to_string(pad_begin) + " + " + std::to_string(pad_end) +
                     ", dilation " + std::to_string(d) + ", kernel " + std::to_string(k) +
                     ", output_padding " + std::to_string(extra) + ")");
  }
  return out;
}

Result<std::vector<TensorInfo>> infer_conv_transpose2d(const ConvTranspose2DParams& p,
                                                       std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  INGOT_TRY(ops::expect_rank(in, 0, 4));
  INGOT_TRY(ops::expect_dims_bounded(in, 0));
  INGOT_TRY(check_weights(p));
  const ops::Layout layout = ops::parse_layout(p.layout);
  const ops::ImageGeometry x = ops::image_geometry(in[0].shape, layout);
  const Shape& w = p.weights.shape();
  if (x.c != w[0]) {
    return bad_input("input channels must equal weights.shape[0] = " + std::to_string(w[0]) +
                     ", got " + std::to_string(x.c) + " (input " + in[0].shape.to_string() +
                     ", layout " + p.layout + ")");
  }
  INGOT_ASSIGN_OR_RETURN(const std::int64_t out_h, output_size(p, 0, x.h));
  INGOT_ASSIGN_OR_RETURN(const std::int64_t out_w, output_size(p, 1, x.w));
  const Shape out = ops::image_shape(layout, x.n, out_h, out_w, p.groups * w[1]);
  INGOT_TRY(ops::check_output_shape(out));
  return ops::single({out, DType::f32});
}

// Gathers instead of scattering: output (oy, ox) reads every tap (ky, kx) whose full-output
// position oy + pad_top - ky*dh lands on an input row, i.e. is >= 0 and a multiple of sh.
void conv_transpose2d_kernel(const ConvTranspose2DParams& p, const KernelArgs& args) {
  // Nothing to write; returning also keeps stride products finite for shapes like [0, 2^30, 2^30].
  if (args.outputs[0]->num_elements() == 0) return;
  const ops::Layout layout = ops::parse_layout(p.layout);
  const ops::ImageGeometry xg = ops::image_geometry(args.inputs[0]->shape(), layout);
  const ops::ImageGeometry yg = ops::image_geometry(args.outputs[0]->shape(), layout);
  const auto x = args.inputs[0]->data<float>();
  const auto w = p.weights.data<float>();
  auto y = args.outputs[0]->mutable_data<float>();
  const Shape& ws = p.weights.shape();
  const std::int64_t group_out = ws[1], kh = ws[2], kw = ws[3];
  const std::int64_t group_in = ws[0] / p.groups;
  const std::int64_t sh = p.strides[0], sw = p.strides[1];
  const std::int64_t dh = p.dilations[0], dw = p.dilations[1];
  assert(xg.c == ws[0] && yg.c == group_out * p.groups);

  for (std::int64_t n = 0; n < yg.n; ++n) {
    for (std::int64_t o = 0; o < yg.c; ++o) {
      const std::int64_t g = o / group_out;
      const std::int64_t o_in_group = o % group_out;
      for (std::int64_t oh = 0; oh < yg.h; ++oh) {
        for (std::int64_t ow = 0; ow < yg.w; ++ow) {
          float acc = 0.0f;
          for (std::int64_t ic = g * group_in; ic < (g + 1) * group_in; ++ic) {
            const float* wk = w.data() + (ic * group_out + o_in_group) * kh * kw;
            for (std::int64_t ky = 0; ky < kh; ++ky) {
              const std::int64_t fy = oh + p.pads[0] - ky * dh;  // row in the full output
              if (fy < 0 || fy % sh != 0 || fy / sh >= xg.h) continue;
              for (std::int64_t kx = 0; kx < kw; ++kx) {
                const std::int64_t fx = ow + p.pads[1] - kx * dw;
                if (fx < 0 || fx % sw != 0 || fx / sw >= xg.w) continue;
                acc += x[xg.offset(n, fy / sh, fx / sw, ic)] * wk[ky * kw + kx];
              }
            }
          }
          if (p.bias) acc += p.bias->data<float>()[o];
          y[yg.offset(n, oh, ow, o)] = acc;
        }
      }
    }
  }
}

}  // namespace

OpDef make_ConvTranspose2D_op() {
  using P = ConvTranspose2DParams;
  static const auto params =
      ParamList<P>()
          .required("weights", &P::weights,
                    "f32 kernel, IOHW: [in_channels, out_channels/groups, kh, kw]")
          .layer_weights()
          .optional("bias", &P::bias,
                    "f32 [out_channels] added to every output position (unset: none)")
          .optional("strides", &P::strides, {1, 1}, "input step in the output (h, w)")
          .range(1, 65536)
          .size(2)
          .optional("dilations", &P::dilations, {1, 1}, "spacing between kernel taps (h, w)")
          .range(1, 65536)
          .size(2)
          .optional("pads", &P::pads, {0, 0, 0, 0},
                    "rows/columns cropped from the full output (top, left, bottom, right)")
          .range(0, 65536)
          .size(4)
          .optional("output_padding", &P::output_padding, {0, 0},
                    "rows/columns added at the bottom/right (h, w); each < max(stride, dilation)")
          .range(0, 65535)
          .size(2)
          .optional("groups", &P::groups, 1, "channel groups")
          .range(1, 1 << 20)
          .optional("layout", &P::layout, "NHWC", "activation layout of input and output")
          .choices(ops::layout_choices());
  return make_op<P>({.name = "ConvTranspose2D",
                     .doc = "2-D transposed convolution (Keras Conv2DTranspose, Caffe "
                            "Deconvolution) with strides, dilations, pads and groups."},
                    params, infer_conv_transpose2d, conv_transpose2d_kernel);
}

}  // namespace ingot
