// LRN: Caffe's local response normalization (BVLC caffe src/caffe/layers/lrn_layer.cpp, the
// SSD branch of weiliu89/caffe has the same file). Parameter names are caffe.proto's LRNParameter
// fields, so the Caffe importer maps them one to one. Input and output are NCHW of the same
// shape; n = local_size (odd), r = (n - 1) / 2.
//
//   ACROSS_CHANNELS: y[c] = x[c] * (k + alpha / n * sum of x[j]^2 over j in [c - r, c + r])^-beta
//     channels outside [0, C) count as zero (Caffe pads the squared input with r zero channels).
//   WITHIN_CHANNEL: Caffe builds it from sub-layers: square -> AVE pooling (kernel n, pad r,
//     stride 1) -> Power (shift 1, scale alpha, power -beta) -> product with x:
//       y[h, w] = x[h, w] * (1 + alpha * (sum of x^2 over the n x n window, zero padded) /
//       n^2)^-beta
//     `k` takes no part. The pooling divisor is n^2 everywhere, borders included: Caffe's AVE
//     rule divides by the window clipped to the padded input, and with pad (n - 1) / 2, stride 1
//     and output size H the window ends at h + r + 1 <= H + r, so it is never clipped.
//
// Decisions: Caffe sums the across-channel window as a float running sum (add the head channel,
// subtract the tail); this kernel sums each window directly in double and rounds once at the
// end, which differs from Caffe by float rounding noise only (a few ulps of the scale).
#include <algorithm>
#include <cmath>
#include <string>

#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct LRNParams {
  std::int64_t local_size = 5;
  double alpha = 1.0;
  double beta = 0.75;
  double k = 1.0;
  std::string norm_region;
};

Result<std::vector<TensorInfo>> infer_lrn(const LRNParams& p, std::span<const TensorInfo> in) {
  if (p.local_size % 2 != 1) {
    return bad_input(
        "parameter 'local_size' must be odd (the window is centred on each element), got " +
        std::to_string(p.local_size));
  }
  INGOT_TRY(ops::expect_f32(in, 0));
  INGOT_TRY(ops::expect_rank(in, 0, 4));
  INGOT_TRY(ops::expect_dims_bounded(in, 0));
  return ops::single(in[0]);
}

// y = x * (k + alpha / n * window sum of squares)^-beta over the channel axis.
void across_channels(const LRNParams& p, const ops::ImageGeometry& g, const float* x, float* y) {
  const std::int64_t r = (p.local_size - 1) / 2;
  const double alpha_over_n = p.alpha / static_cast<double>(p.local_size);
  for (std::int64_t n = 0; n < g.n; ++n) {
    for (std::int64_t c = 0; c < g.c; ++c) {
      const std::int64_t lo = std::max<std::int64_t>(c - r, 0), hi = std::min(c + r, g.c - 1);
      for (std::int64_t h = 0; h < g.h; ++h) {
        for (std::int64_t w = 0; w < g.w; ++w) {
          double sum = 0.0;
          for (std::int64_t j = lo; j <= hi; ++j) {
            const double v = x[g.offset(n, h, w, j)];
            sum += v * v;
          }
          const std::int64_t at = g.offset(n, h, w, c);
          y[at] = static_cast<float>(x[at] * std::pow(p.k + alpha_over_n * sum, -p.beta));
        }
      }
    }
  }
}

// y = x * (1 + alpha * (n x n window sum of squares) / n^2)^-beta within each channel.
void within_channel(const LRNParams& p, const ops::ImageGeometry& g, const float* x, float* y) {
  const std::int64_t r = (p.local_size - 1) / 2;
  const double divisor = static_cast<double>(p.local_size * p.local_size);
  for (std::int64_t n = 0; n < g.n; ++n) {
    for (std::int64_t c = 0; c < g.c; ++c) {
      for (std::int64_t h = 0; h < g.h; ++h) {
        const std::int64_t h0 = std::max<std::int64_t>(h - r, 0), h1 = std::min(h + r, g.h - 1);
        for (std::int64_t w = 0; w < g.w; ++w) {
          const std::int64_t w0 = std::max<std::int64_t>(w - r, 0), w1 = std::min(w + r, g.w - 1);
          double sum = 0.0;
          for (std::int64_t i = h0; i <= h1; ++i) {
            for (std::int64_t j = w0; j <= w1; ++j) {
              const double v = x[g.offset(n, i, j, c)];
              sum += v * v;
            }
          }
          const std::int64_t at = g.offset(n, h, w, c);
          y[at] = static_cast<float>(x[at] * std::pow(1.0 + p.alpha * (sum / divisor), -p.beta));
        }
      }
    }
  }
}

void lrn_kernel(const LRNParams& p, const KernelArgs& args) {
  if (args.outputs[0]->num_elements() == 0) return;
  const ops::ImageGeometry g = ops::image_geometry(args.inputs[0]->shape(), ops::Layout::nchw);
  const float* x = args.inputs[0]->data<float>().data();
  float* y = args.outputs[0]->mutable_data<float>().data();
  if (p.norm_region == "ACROSS_CHANNELS") {
    across_channels(p, g, x, y);
  } else {
    within_channel(p, g, x, y);
  }
}

}  // namespace

OpDef make_LRN_op() {
  static const auto params =
      ParamList<LRNParams>()
          .optional("local_size", &LRNParams::local_size, 5,
                    "window size n: channels (ACROSS_CHANNELS) or n x n pixels (WITHIN_CHANNEL); "
                    "odd")
          .range(1, 65535)
          .optional("alpha", &LRNParams::alpha, 1.0,
                    "scale of the window's sum of squares, divided by n (across) or n^2 (within)")
          .range(-1e6, 1e6)
          .optional("beta", &LRNParams::beta, 0.75, "exponent: y = x * base^-beta")
          .range(-1e6, 1e6)
          .optional("k", &LRNParams::k, 1.0,
                    "added to the scaled sum (ACROSS_CHANNELS only; Caffe's WITHIN_CHANNEL adds 1 "
                    "and ignores k)")
          .range(-1e6, 1e6)
          .optional("norm_region", &LRNParams::norm_region, "ACROSS_CHANNELS",
                    "ACROSS_CHANNELS: window over neighbouring channels; WITHIN_CHANNEL: n x n "
                    "spatial window of each channel")
          .choices({"ACROSS_CHANNELS", "WITHIN_CHANNEL"});
  return make_op<LRNParams>(
      {.name = "LRN",
       .doc = "Caffe local response normalization of NCHW input, across channels or within "
              "each channel."},
      params, infer_lrn, lrn_kernel);
}

}  // namespace ingot
