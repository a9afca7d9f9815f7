// Conv2D: 2-D cross-correlation (what Keras and Caffe call convolution) with strides,
// dilations, explicit asymmetric pads and grouped channels, on NHWC or NCHW activations.
//   y[n, oh, ow, o] = bias[o] + sum over ic in o's group, ky, kx of
//       x[n, oh*sh - pad_top + ky*dh, ow*sw - pad_left + kx*dw, g*Cg + ic] * W[o, ic, ky, kx]
// where g = o / (O / groups), Cg = C / groups and padded positions read as zero. Weights are
// OIHW whatever the activation layout, so importers transpose Keras' HWIO kernels once.
// An optional second input `residual`, of the output's shape, is added last:
//   y = conv + bias + residual
// Importers never write it: the plan pass fuse_residual_add does, for a residual Add whose
// other operand it is (float addition commutes, so the result is the Add's, bit for bit).
#include <cassert>
#include <optional>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::Conv2DParams;  // declared in ops/params.h

Status check_weights(const Conv2DParams& p) {
  INGOT_TRY(ops::check_conv_weights(p.weights, "[out_channels, in_channels/groups, kh, kw]", p.groups));
  const std::int64_t out_channels = p.weights.shape()[0];
  INGOT_TRY(ops::check_conv_bias(p.bias, out_channels, "weights.shape[0]"));
  if (p.weights_scale) {
    INGOT_TRY(ops::expect_param_shape("weights_scale", *p.weights_scale, Shape{out_channels}, "weights.shape[0]"));
  }
  return {};
}

Result<std::vector<TensorInfo>> infer_conv2d(const Conv2DParams& p,
                                             std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  INGOT_TRY(ops::expect_rank(in, 0, 4));
  INGOT_TRY(ops::expect_dims_bounded(in, 0));
  INGOT_TRY(check_weights(p));
  const ops::Layout layout = ops::parse_layout(p.layout);
  const ops::ImageGeometry x = ops::image_geometry(in[0].shape, layout);
  const Shape& w = p.weights.shape();
  if (x.c != p.groups * w[1]) {
    return bad_input(
        "input channels must equal groups * weights.shape[1] = " + std::to_string(p.groups) +
        " * " + std::to_string(w[1]) + ", got " + std::to_string(x.c) + " (input " +
        in[0].shape.to_string() + ", layout " + p.layout + ")");
  }
  const std::int64_t window_h = p.dilations[0] * (w[2] - 1) + 1;
  const std::int64_t window_w = p.dilations[1] * (w[3] - 1) + 1;
  INGOT_ASSIGN_OR_RETURN(
      const std::int64_t out_h,
      ops::window_positions("height", x.h, p.pads[0], p.pads[2], window_h, p.strides[0], false));
  INGOT_ASSIGN_OR_RETURN(
      const std::int64_t out_w,
      ops::window_positions("width", x.w, p.pads[1], p.pads[3], window_w, p.strides[1], false));
  const Shape out = ops::image_shape(layout, x.n, out_h, out_w, w[0]);
  INGOT_TRY(ops::check_output_shape(out));
  if (in.size() == 2 && (in[1].dtype != DType::f32 || in[1].shape != out)) {
    return bad_input("input 1 (the residual summand) must be f32 of the output's shape " + out.to_string() + ", got " +
                     dtype_name(in[1].dtype) + " " + in[1].shape.to_string());
  }
  return ops::single({out, DType::f32});
}

void conv2d_kernel(const Conv2DParams& p, const KernelArgs& args) {
  const ops::Layout layout = ops::parse_layout(p.layout);
  const ops::ImageGeometry xg = ops::image_geometry(args.inputs[0]->shape(), layout);
  const ops::ImageGeometry yg = ops::image_geometry(args.outputs[0]->shape(), layout);
  const auto x = args.inputs[0]->data<float>();
  const auto w = p.weights.data<float>();
  auto y = args.outputs[0]->mutable_data<float>();
  std::optional<std::span<const float>> residual;
  if (args.inputs.size() == 2) residual = args.inputs[1]->data<float>();
  const Shape& ws = p.weights.shape();
  const std::int64_t group_in = ws[1], kh = ws[2], kw = ws[3];
  const std::int64_t group_out = ws[0] / p.groups;
  assert(xg.c == group_in * p.groups && yg.c == ws[0]);

  for (std::int64_t n = 0; n < yg.n; ++n) {
    for (std::int64_t o = 0; o < yg.c; ++o) {
      const std::int64_t first_in = (o / group_out) * group_in;
      const float* wo = w.data() + o * group_in * kh * kw;
      const float s = p.weights_scale ? p.weights_scale->data<float>()[o] : 1.0f;  // x 1 is exact
      for (std::int64_t oh = 0; oh < yg.h; ++oh) {
        for (std::int64_t ow = 0; ow < yg.w; ++ow) {
          float acc = 0.0f;
          for (std::int64_t ic = 0; ic < group_in; ++ic) {
            for (std::int64_t ky = 0; ky < kh; ++ky) {
              const std::int64_t ih = oh * p.strides[0] - p.pads[0] + ky * p.dilations[0];
              if (ih < 0 || ih >= xg.h) continue;
              for (std::int64_t kx = 0; kx < kw; ++kx) {
                const std::int64_t iw = ow * p.strides[1] - p.pads[1] + kx * p.dilations[1];
                if (iw < 0 || iw >= xg.w) continue;
                acc += x[xg.offset(n, ih, iw, first_in + ic)] * (wo[(ic * kh + ky) * kw + kx] * s);
              }
            }
          }
          // Bias last, as TF's BiasAdd and Caffe's bias GEMM do.
          if (p.bias) acc += p.bias->data<float>()[o];
          if (residual) acc += (*residual)[yg.offset(n, oh, ow, o)];
          y[yg.offset(n, oh, ow, o)] = acc;
        }
      }
    }
  }
}

}  // namespace

OpDef make_Conv2D_op() {
  static const auto params =
      ParamList<Conv2DParams>()
          .required("weights", &Conv2DParams::weights,
                    "f32 kernel, OIHW: [out_channels, in_channels/groups, kh, kw]")
          .layer_weights()
          .optional("bias", &Conv2DParams::bias,
                    "f32 [out_channels] added to every output position (unset: none)")
          .optional("weights_scale", &Conv2DParams::weights_scale,
                    "f32 [out_channels]: output channel o uses weights[o] * weights_scale[o], each "
                    "product rounded to f32 (set at plan time by fold_batch_norm; unset: 1)")
          .optional("strides", &Conv2DParams::strides, {1, 1}, "window step (h, w)")
          .range(1, 65536)
          .size(2)
          .optional("dilations", &Conv2DParams::dilations, {1, 1},
                    "spacing between kernel taps (h, w)")
          .range(1, 65536)
          .size(2)
          .optional("pads", &Conv2DParams::pads, {0, 0, 0, 0},
                    "zero padding (top, left, bottom, right)")
          .range(0, 65536)
          .size(4)
          .optional("same_extent", &Conv2DParams::same_extent, {},
                    "TF 'same' padding for windows of these extents (h, w): `pads` hold the stored instance's and are "
                    "recomputed for other input sizes (ir/open_dims.h); empty: the pads are fixed")
          .range(1, 1 << 20)
          .size(0, 2)
          .optional("groups", &Conv2DParams::groups, 1, "channel groups; in_channels for depthwise")
          .range(1, 1 << 20)
          .optional("layout", &Conv2DParams::layout, "NHWC",
                    "activation layout of input and output")
          .choices(ops::layout_choices());
  return make_op<Conv2DParams>(
      {.name = "Conv2D",
       .doc = "2-D convolution (cross-correlation) with strides, dilations, pads and groups; an optional second "
              "input of the output's shape is added to the result (a fused residual Add).",
       .max_inputs = 2},
      params, infer_conv2d, conv2d_kernel);
}

}  // namespace ingot
