// MaxPool2D and AvgPool2D on NHWC activations through XNNPACK.
//
// Caffe's ceil mode becomes extra bottom/right padding: XNNPACK sizes its output with the
// floor rule, so we pad just enough for it to produce the windows the op's shape rule chose.
// That is exact for max pooling (padding never wins a max) and for average pooling that does
// not count padding (XNNPACK divides by the in-image elements of each window). Average pooling
// that counts padding (Caffe's default) stays on the reference kernel.
#include "kernels/ops.h"
#include "kernels/xnnpack.h"

namespace ingot::kernels {
namespace {

struct Window {
  std::uint32_t top, right, bottom, left, kh, kw, sh, sw;
};

// The pads XNNPACK needs to give the output height/width the shape rule chose; nullopt if
// no such padding exists.
std::optional<Window> window(const std::vector<std::int64_t>& kernel, const std::vector<std::int64_t>& strides,
                             const std::vector<std::int64_t>& pads, const Shape& x, const Shape& y) {
  auto end_pad = [](std::int64_t size, std::int64_t begin, std::int64_t end, std::int64_t k, std::int64_t s,
                    std::int64_t out) -> std::optional<std::int64_t> {
    std::int64_t pad = end;
    const std::int64_t need = (out - 1) * s + k - size - begin;  // padding the last window needs
    if (need > pad) pad = need;
    if ((size + begin + pad - k) / s + 1 != out) return std::nullopt;
    return pad;
  };
  const auto bottom = end_pad(x[1], pads[0], pads[2], kernel[0], strides[0], y[1]);
  const auto right = end_pad(x[2], pads[1], pads[3], kernel[1], strides[1], y[2]);
  if (!bottom || !right) return std::nullopt;
  auto u = [](std::int64_t v) { return static_cast<std::uint32_t>(v); };
  return Window{u(pads[0]), u(*right), u(*bottom), u(pads[1]), u(kernel[0]), u(kernel[1]), u(strides[0]), u(strides[1])};
}

}  // namespace

bool maxpool2d_supported(const ops::MaxPool2DParams&) { return true; }  // NCHW through nchw.cpp

bool avgpool2d_supported(const ops::AvgPool2DParams& p) {
  const bool padded = p.pads[0] > 0 || p.pads[1] > 0 || p.pads[2] > 0 || p.pads[3] > 0;
  return !(p.count_include_pad && (padded || p.ceil_mode));
}

Result<std::unique_ptr<Kernel>> prepare_maxpool2d(const ops::MaxPool2DParams& p, const KernelRequest& r) {
  if (p.layout != "NHWC" || !xnn::available()) return std::unique_ptr<Kernel>();
  const Shape& x = r.inputs[0]->shape();
  const auto win = window(p.kernel, p.strides, p.pads, x, r.outputs[0]->shape());
  if (!win) return std::unique_ptr<Kernel>();
  const auto c = static_cast<std::size_t>(x[3]);
  xnn_operator_t op = nullptr;
  const xnn_status created = xnn_create_max_pooling2d_nhwc_f32(
      win->top, win->right, win->bottom, win->left, win->kh, win->kw, win->sh, win->sw, 1, 1, c, c, c,
      r.clamp.min, r.clamp.max, 0, &op);
  const float* in = r.inputs[0]->data<float>().data();
  float* out = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, op, *r.pool,
      [&](xnn_operator_t o) {
        return xnn_setup_max_pooling2d_nhwc_f32(o, static_cast<std::size_t>(x[0]), static_cast<std::size_t>(x[1]),
                                                static_cast<std::size_t>(x[2]), in, out, r.pool->get());
      },
      "maxpool2d");
}

Result<std::unique_ptr<Kernel>> prepare_avgpool2d(const ops::AvgPool2DParams& p, const KernelRequest& r) {
  if (p.layout != "NHWC" || !avgpool2d_supported(p) || !xnn::available()) return std::unique_ptr<Kernel>();
  const Shape& x = r.inputs[0]->shape();
  const auto win = window(p.kernel, p.strides, p.pads, x, r.outputs[0]->shape());
  if (!win) return std::unique_ptr<Kernel>();
  const auto c = static_cast<std::size_t>(x[3]);
  xnn_operator_t op = nullptr;
  const xnn_status created = xnn_create_average_pooling2d_nhwc_f32(
      win->top, win->right, win->bottom, win->left, win->kh, win->kw, win->sh, win->sw, c, c, c, r.clamp.min,
      r.clamp.max, 0, &op);
  const float* in = r.inputs[0]->data<float>().data();
  float* out = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, op, *r.pool,
      [&](xnn_operator_t o) {
        return xnn_setup_average_pooling2d_nhwc_f32(o, static_cast<std::size_t>(x[0]), static_cast<std::size_t>(x[1]),
                                                    static_cast<std::size_t>(x[2]), in, out, r.pool->get());
      },
      "avgpool2d");
}

}  // namespace ingot::kernels
