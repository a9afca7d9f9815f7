// CaffeNormalize: the L2 normalization layer of Caffe SSD (weiliu89/caffe, branch "ssd",
// src/caffe/layers/normalize_layer.cpp), used after conv4_3 in VGG-SSD. Parameter names are
// caffe.proto's NormalizeParameter fields; `scale` is the layer's blob 0. Input NCHW of rank 2
// to 4 (Caffe needs >= 2 axes and sees the axes after C as the spatial ones), output alike:
//   across_spatial:  one norm per sample over all its C * H * W values,
//                    y = x * float(1 / norm) * scale
//   else:            one norm per (n, h, w) over the C channels, y = x / norm * scale
//   norm = sqrt(sum of x^2 + eps): eps is added inside the square root (Caffe seeds the sum with
//   eps before accumulating, or adds it to the sum before pow(., 0.5));
//   scale: scale[0] for every channel when channel_shared, else scale[c].
// So an all-zero sample or pixel stays 0 (with eps > 0) rather than becoming NaN.
// `axis` (not a Caffe field) names the channel axis: 1 as Caffe stores it, or the last when the
// plan's nhwc_layout pass runs the layer on an NHWC twin.
//
// Not shared with ops/l2_normalize.h: that is tf.nn.l2_normalize's rule (NHWC, max(sum, 1e-12)
// outside a reciprocal square root, always per pixel, per-channel gamma), which differs in the
// axis, the epsilon and the spatial mode.
//
// Precision: squares are summed in double and the norm rounded to float once (Caffe sums in
// float with BLAS), then the divisions and products run in float as Caffe's do.
#include <cmath>
#include <string>

#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct CaffeNormalizeParams {
  bool across_spatial = true;
  bool channel_shared = true;
  double eps = 1e-10;
  Tensor scale;
  std::int64_t axis = 1;
};

Result<std::vector<TensorInfo>> infer_caffe_normalize(const CaffeNormalizeParams& p,
                                                      std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  const Shape& x = in[0].shape;
  if (x.rank() < 2 || x.rank() > 4) {
    return bad_input("input 0 must have rank 2 to 4 (N, C, spatial axes), got shape " +
                     x.to_string());
  }
  if (p.axis != 1 && p.axis != static_cast<std::int64_t>(x.rank()) - 1) {
    return bad_input("parameter 'axis' must be 1 or the last axis (" + std::to_string(x.rank() - 1) +
                     ") for input shape " + x.to_string() + ", got " + std::to_string(p.axis));
  }
  const std::int64_t channels = x[static_cast<std::size_t>(p.axis)];
  if (p.channel_shared) {
    INGOT_TRY(ops::expect_param_shape("scale", p.scale, Shape{1}, "channel_shared is true"));
  } else {
    INGOT_TRY(ops::expect_param_shape("scale", p.scale, Shape{channels},
                                      "channel_shared is false and input 0 " + x.to_string() +
                                          " has " + std::to_string(channels) + " channels on axis " +
                                          std::to_string(p.axis)));
  }
  return ops::single(in[0]);
}

void caffe_normalize_kernel(const CaffeNormalizeParams& p, const KernelArgs& args) {
  const Tensor& input = *args.inputs[0];
  if (input.num_elements() == 0) return;
  const Shape& s = input.shape();
  const auto axis = static_cast<std::size_t>(p.axis);
  const std::int64_t channels = s[axis];
  // A sample is [outer, channels, inner]: NCHW has outer 1, NHWC (axis 3) inner 1.
  std::int64_t outer = 1, inner = 1;
  for (std::size_t k = 1; k < axis; ++k) outer *= s[k];
  for (std::size_t k = axis + 1; k < s.rank(); ++k) inner *= s[k];
  const std::int64_t dim = outer * channels * inner;
  const auto eps = static_cast<double>(static_cast<float>(p.eps));  // Caffe's eps is a float
  const float* scale = p.scale.data<float>().data();
  auto scale_of = [&](std::int64_t c) { return p.channel_shared ? scale[0] : scale[c]; };
  const float* x = input.data<float>().data();
  float* y = args.outputs[0]->mutable_data<float>().data();
  for (std::int64_t n = 0; n < s[0]; ++n, x += dim, y += dim) {
    if (p.across_spatial) {
      double sum = 0.0;
      for (std::int64_t i = 0; i < dim; ++i) sum += static_cast<double>(x[i]) * x[i];
      const auto norm = static_cast<float>(std::sqrt(sum + eps));
      const auto inv = static_cast<float>(1.0 / norm);
      for (std::int64_t i = 0; i < dim; ++i) y[i] = x[i] * inv * scale_of(i / inner % channels);
      continue;
    }
    for (std::int64_t o = 0; o < outer; ++o) {
      const float* xo = x + o * channels * inner;
      float* yo = y + o * channels * inner;
      for (std::int64_t i = 0; i < inner; ++i) {
        double sum = 0.0;
        for (std::int64_t c = 0; c < channels; ++c) {
          const double v = xo[c * inner + i];
          sum += v * v;
        }
        const auto norm = static_cast<float>(std::sqrt(sum + eps));
        for (std::int64_t c = 0; c < channels; ++c) yo[c * inner + i] = xo[c * inner + i] / norm * scale_of(c);
      }
    }
  }
}

}  // namespace

OpDef make_CaffeNormalize_op() {
  using P = CaffeNormalizeParams;
  static const auto params =
      ParamList<P>()
          .optional("across_spatial", &P::across_spatial, true,
                    "one norm per sample over C*H*W (true) or one per pixel over C (false)")
          .optional("channel_shared", &P::channel_shared, true,
                    "one scale for all channels (scale [1]) or one per channel (scale [C])")
          .optional("eps", &P::eps, 1e-10, "added to the sum of squares inside the square root")
          .min(0)
          .required("scale", &P::scale,
                    "f32 trained scale, the layer's blob 0: [1] with channel_shared, else [C]")
          .optional("axis", &P::axis, 1,
                    "the channel axis: 1 as Caffe stores it, or the last (the plan's NHWC layout pass sets it)")
          .range(1, 3);
  return make_op<P>(
      {.name = "CaffeNormalize",
       .doc = "L2 normalization of NCHW input across the sample or across channels, times a "
              "learned scale (Caffe SSD Normalize)."},
      params, infer_caffe_normalize, caffe_normalize_kernel);
}

}  // namespace ingot
