// AvgPool2D: mean over each kernel window of a rank-4 NHWC or NCHW activation. Windows and
// output sizes are MaxPool2D's (floor or Caffe's ceil rounding with its clip, pads < kernel).
// What the sum is divided by depends on count_include_pad:
//   false: the number of in-image elements of the window (Keras/TF "same" pooling: padding
//          takes no part at all).
//   true:  Caffe's AVE rule. With hstart = oh*stride - pad_top and
//          hend = min(hstart + kh, H + pad_bottom) (likewise for w), the divisor is
//          (hend - hstart) * (wend - wstart), taken before clipping the window to the image:
//          zero padding counts, but a ceil-mode window running past the bottom/right padding
//          counts only up to the padding's edge. The sum covers the window clipped to [0, H).
#include <algorithm>
#include <cassert>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::AvgPool2DParams;  // declared in ops/params.h

Result<std::vector<TensorInfo>> infer_avgpool2d(const AvgPool2DParams& p, std::span<const TensorInfo> in) {
  return ops::infer_pool2d(p.kernel, p.strides, p.pads, p.layout, p.ceil_mode, in);
}

// One window along one axis: the in-image range [lo, hi) summed, and the divisor's factor.
struct Span {
  std::int64_t lo, hi, count;
};

Span window_span(const AvgPool2DParams& p, int axis, std::int64_t o, std::int64_t size) {
  const std::int64_t start = o * p.strides[axis] - p.pads[axis];
  const std::int64_t end = start + p.kernel[axis];
  const std::int64_t lo = std::max<std::int64_t>(start, 0);
  const std::int64_t hi = std::min(end, size);
  const std::int64_t count = p.count_include_pad
                                 ? std::min(end, size + p.pads[axis + 2]) - start  // Caffe
                                 : hi - lo;
  return {lo, hi, count};
}

void avgpool2d_kernel(const AvgPool2DParams& p, const KernelArgs& args) {
  // Nothing to write; returning also keeps stride products finite for shapes like [0, 2^30, 2^30].
  if (args.outputs[0]->num_elements() == 0) return;
  const ops::Layout layout = ops::parse_layout(p.layout);
  const ops::ImageGeometry xg = ops::image_geometry(args.inputs[0]->shape(), layout);
  const ops::ImageGeometry yg = ops::image_geometry(args.outputs[0]->shape(), layout);
  const auto x = args.inputs[0]->data<float>();
  auto y = args.outputs[0]->mutable_data<float>();

  for (std::int64_t n = 0; n < yg.n; ++n) {
    for (std::int64_t c = 0; c < yg.c; ++c) {
      for (std::int64_t oh = 0; oh < yg.h; ++oh) {
        const Span hs = window_span(p, 0, oh, xg.h);
        for (std::int64_t ow = 0; ow < yg.w; ++ow) {
          const Span ws = window_span(p, 1, ow, xg.w);
          assert(hs.lo < hs.hi && ws.lo < ws.hi);  // infer rejects windows with no in-image element
          float sum = 0.0f;
          for (std::int64_t ih = hs.lo; ih < hs.hi; ++ih) {
            for (std::int64_t iw = ws.lo; iw < ws.hi; ++iw) sum += x[xg.offset(n, ih, iw, c)];
          }
          y[yg.offset(n, oh, ow, c)] = sum / static_cast<float>(hs.count * ws.count);
        }
      }
    }
  }
}

}  // namespace

OpDef make_AvgPool2D_op() {
  using P = AvgPool2DParams;
  static const auto params =
      ops::pool_window_params<P>()
          .optional("count_include_pad", &P::count_include_pad, false,
                    "divide by the window size including padding, as Caffe does (false: by the "
                    "in-image element count, as Keras does)");
  return make_op<P>(
      {.name = "AvgPool2D",
       .doc = "2-D average pooling; padding counted (Caffe) or not (Keras) in the divisor."},
      params, infer_avgpool2d, avgpool2d_kernel);
}

}  // namespace ingot
