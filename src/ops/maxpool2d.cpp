// MaxPool2D: maximum over each kernel window of a rank-4 NHWC or NCHW activation. Padded
// positions never win: the max runs over the in-image elements of the window only (TF's
// "same" pooling and Caffe agree on this).
//
// Output size per spatial axis, with P = pad_begin + pad_end:
//   floor mode: floor((H + P - k) / s) + 1
//   ceil mode:  ceil((H + P - k) / s) + 1, minus 1 when any pad is > 0 and the last window
//               would start at or past H + pad_begin (Caffe's PoolingLayer rounding)
#include <algorithm>
#include <cassert>
#include <limits>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::MaxPool2DParams;  // declared in ops/params.h

Result<std::vector<TensorInfo>> infer_maxpool2d(const MaxPool2DParams& p, std::span<const TensorInfo> in) {
  return ops::infer_pool2d(p.kernel, p.strides, p.pads, p.layout, p.ceil_mode, in);
}

void maxpool2d_kernel(const MaxPool2DParams& p, const KernelArgs& args) {
  const ops::Layout layout = ops::parse_layout(p.layout);
  const ops::ImageGeometry xg = ops::image_geometry(args.inputs[0]->shape(), layout);
  const ops::ImageGeometry yg = ops::image_geometry(args.outputs[0]->shape(), layout);
  const auto x = args.inputs[0]->data<float>();
  auto y = args.outputs[0]->mutable_data<float>();

  for (std::int64_t n = 0; n < yg.n; ++n) {
    for (std::int64_t c = 0; c < yg.c; ++c) {
      for (std::int64_t oh = 0; oh < yg.h; ++oh) {
        // Clip the window to the image: padded positions never take part.
        const std::int64_t h0 = std::max<std::int64_t>(oh * p.strides[0] - p.pads[0], 0);
        const std::int64_t h1 =
            std::min<std::int64_t>(oh * p.strides[0] - p.pads[0] + p.kernel[0], xg.h);
        for (std::int64_t ow = 0; ow < yg.w; ++ow) {
          const std::int64_t w0 = std::max<std::int64_t>(ow * p.strides[1] - p.pads[1], 0);
          const std::int64_t w1 =
              std::min<std::int64_t>(ow * p.strides[1] - p.pads[1] + p.kernel[1], xg.w);
          assert(h0 < h1 && w0 < w1);  // infer rejects windows with no in-image element
          float m = -std::numeric_limits<float>::infinity();
          for (std::int64_t ih = h0; ih < h1; ++ih) {
            for (std::int64_t iw = w0; iw < w1; ++iw) m = std::max(m, x[xg.offset(n, ih, iw, c)]);
          }
          y[yg.offset(n, oh, ow, c)] = m;
        }
      }
    }
  }
}

}  // namespace

OpDef make_MaxPool2D_op() {
  static const auto params = ops::pool_window_params<MaxPool2DParams>();
  return make_op<MaxPool2DParams>(
      {.name = "MaxPool2D", .doc = "2-D max pooling; padded positions never win."}, params,
      infer_maxpool2d, maxpool2d_kernel);
}

}  // namespace ingot
