#include "ops/common.h"

#include <cassert>

namespace ingot::ops {

Status expect_rank(std::span<const TensorInfo> in, std::size_t index, std::size_t rank) {
  if (in[index].shape.rank() != rank) {
    return bad_input("input " + std::to_string(index) + " must have rank " + std::to_string(rank) +
                     ", got shape " + in[index].shape.to_string());
  }
  return {};
}

Status expect_f32(std::span<const TensorInfo> in, std::size_t index) {
  if (in[index].dtype != DType::f32) {
    return bad_input("input " + std::to_string(index) + " must be f32, got " +
                     dtype_name(in[index].dtype));
  }
  return {};
}

Status check_output_shape(const Shape& shape) {
  return validate_shape(shape).with_context("infer output shape " + shape.to_string());
}

std::vector<std::string> layout_choices() { return {"NHWC", "NCHW"}; }

Layout parse_layout(const std::string& name) {
  assert(name == "NHWC" || name == "NCHW");
  return name == "NCHW" ? Layout::nchw : Layout::nhwc;
}

const char* layout_name(Layout layout) { return layout == Layout::nchw ? "NCHW" : "NHWC"; }

ImageGeometry image_geometry(const Shape& shape, Layout layout) {
  assert(shape.rank() == 4);
  ImageGeometry g;
  g.n = shape[0];
  if (layout == Layout::nhwc) {
    g.h = shape[1], g.w = shape[2], g.c = shape[3];
    g.stride_c = 1;
    g.stride_w = g.c;
    g.stride_h = g.w * g.c;
  } else {
    g.c = shape[1], g.h = shape[2], g.w = shape[3];
    g.stride_w = 1;
    g.stride_h = g.w;
    g.stride_c = g.h * g.w;
  }
  g.stride_n = g.h * g.w * g.c;
  return g;
}

Shape image_shape(Layout layout, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c) {
  return layout == Layout::nhwc ? Shape{n, h, w, c} : Shape{n, c, h, w};
}

Result<std::int64_t> window_positions(const char* axis, std::int64_t size, std::int64_t pad_begin,
                                      std::int64_t pad_end, std::int64_t window,
                                      std::int64_t stride, bool ceil) {
  // Operands are bounded by the schemas and kMaxElements, so none of this overflows int64.
  const std::int64_t padded = size + pad_begin + pad_end;
  if (padded < window) {
    return bad_input(std::string("padded input ") + axis + " must be >= the window " + axis + " " +
                     std::to_string(window) + ", got " + std::to_string(padded) + " (input " +
                     std::to_string(size) + " + pads " + std::to_string(pad_begin) + " + " +
                     std::to_string(pad_end) + ")");
  }
  const std::int64_t span = padded - window;  // >= 0, so / rounds down
  return (ceil ? (span + stride - 1) / stride : span / stride) + 1;
}

}  // namespace ingot::ops

// -- helpers of the spatial and shape ops
namespace ingot::ops {

Status expect_dims_bounded(std::span<const TensorInfo> in, std::size_t index) {
  std::int64_t product = 1;
  for (std::int64_t d : in[index].shape.dims()) {
    if (d > 1 && product > kMaxElements / d) {
      return bad_input("input " + std::to_string(index) +
                       " dims must multiply to at most 2^40 counting 0 as 1, got shape " +
                       in[index].shape.to_string());
    }
    if (d > 1) product *= d;
  }
  return {};
}

Result<std::int64_t> pool_positions(const char* axis, std::int64_t size, std::int64_t pad_begin,
                                    std::int64_t pad_end, std::int64_t window,
                                    std::int64_t stride, bool ceil, bool any_pad) {
  if (size < 1) {
    return bad_input(std::string("input ") + axis + " must be >= 1, got " + std::to_string(size));
  }
  if (pad_begin >= window || pad_end >= window) {
    return bad_input(std::string("pads along the ") + axis + " must each be < the window " + axis +
                     " " + std::to_string(window) + ", got " + std::to_string(pad_begin) + " and " +
                     std::to_string(pad_end));
  }
  INGOT_ASSIGN_OR_RETURN(std::int64_t out,
                         window_positions(axis, size, pad_begin, pad_end, window, stride, ceil));
  if (ceil && any_pad && (out - 1) * stride >= size + pad_begin) --out;
  // Floor mode and pads < window keep the last window inside; unpadded ceil rounding with
  // window < stride can still start one past the input (Caffe reads -FLT_MAX or divides by 0).
  const std::int64_t last_start = (out - 1) * stride - pad_begin;
  if (last_start >= size) {
    return bad_input(std::string(ceil ? "ceil_mode " : "") + "output " + axis + " " +
                     std::to_string(out) + " must keep every window inside the input, got a last " +
                     "window starting at " + std::to_string(last_start) + " for input " + axis +
                     " " + std::to_string(size) + " (window " + std::to_string(window) +
                     ", stride " + std::to_string(stride) + ")");
  }
  return out;
}

Status check_conv_weights(const Tensor& w, const char* layout, std::int64_t groups) {
  if (w.dtype() != DType::f32 || w.shape().rank() != 4) {
    return bad_input(std::string("parameter 'weights' must be f32 of rank 4 ") + layout + ", got " +
                     dtype_name(w.dtype()) + " " + w.shape().to_string());
  }
  for (std::int64_t d : w.shape().dims()) {
    if (d < 1) return bad_input("parameter 'weights' dims must be >= 1, got " + w.shape().to_string());
  }
  if (w.shape()[0] % groups != 0) {
    const std::string dim0 = std::string(layout).substr(1, std::string(layout).find(',') - 1);
    return bad_input("parameter 'weights' " + dim0 + " must be divisible by groups " + std::to_string(groups) +
                     ", got " + std::to_string(w.shape()[0]));
  }
  return {};
}

Status check_conv_bias(const std::optional<Tensor>& bias, std::int64_t out_channels, const char* out_rule) {
  if (bias && (bias->dtype() != DType::f32 || bias->shape() != Shape{out_channels})) {
    return bad_input("parameter 'bias' must be f32 of shape [" + std::to_string(out_channels) + "] (" + out_rule +
                     "), got " + dtype_name(bias->dtype()) + " " + bias->shape().to_string());
  }
  return {};
}

Result<std::vector<TensorInfo>> infer_pool2d(const std::vector<std::int64_t>& kernel,
                                             const std::vector<std::int64_t>& strides,
                                             const std::vector<std::int64_t>& pads, const std::string& layout_name,
                                             bool ceil_mode, std::span<const TensorInfo> in) {
  INGOT_TRY(expect_f32(in, 0));
  INGOT_TRY(expect_rank(in, 0, 4));
  INGOT_TRY(expect_dims_bounded(in, 0));
  for (int i = 0; i < 4; ++i) {
    if (pads[i] >= kernel[i % 2]) {
      const std::string rule = "must each be < the kernel size of their axis " + attr_to_string(kernel) +
                               " (pads: top, left, bottom, right)";
      return bad_input("parameter 'pads' " + rule + ", got " + attr_to_string(pads));
    }
  }
  const Layout layout = parse_layout(layout_name);
  const ImageGeometry x = image_geometry(in[0].shape, layout);
  const bool any_pad = pads[0] > 0 || pads[1] > 0 || pads[2] > 0 || pads[3] > 0;
  INGOT_ASSIGN_OR_RETURN(const std::int64_t out_h,
                         pool_positions("height", x.h, pads[0], pads[2], kernel[0], strides[0], ceil_mode, any_pad));
  INGOT_ASSIGN_OR_RETURN(const std::int64_t out_w,
                         pool_positions("width", x.w, pads[1], pads[3], kernel[1], strides[1], ceil_mode, any_pad));
  const Shape out = image_shape(layout, x.n, out_h, out_w, x.c);
  INGOT_TRY(check_output_shape(out));
  return single({out, DType::f32});
}

}  // namespace ingot::ops

// -- helpers of the normalization, elementwise and reduction ops
namespace ingot::ops {

Status expect_min_rank(std::span<const TensorInfo> in, std::size_t index, std::size_t min_rank) {
  if (in[index].shape.rank() < min_rank) {
    return bad_input("input " + std::to_string(index) + " must have rank >= " +
                     std::to_string(min_rank) + ", got shape " + in[index].shape.to_string());
  }
  return {};
}

Result<std::size_t> resolve_axis(const char* param, std::int64_t axis, std::size_t rank) {
  assert(rank >= 1);
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < -r || axis >= r) {
    return bad_input("parameter " + quote(param) + " must be in [" + std::to_string(-r) + ", " +
                     std::to_string(r - 1) + "] (input 0 has rank " + std::to_string(r) +
                     "), got " + std::to_string(axis));
  }
  return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

Status expect_param_shape(const char* param, const Tensor& t, const Shape& want,
                          const std::string& why) {
  if (t.dtype() != DType::f32 || t.shape() != want) {
    return bad_input("parameter " + quote(param) + " must be f32 of shape " + want.to_string() +
                     " (" + why + "), got " + dtype_name(t.dtype()) + " " + t.shape().to_string());
  }
  return {};
}

AxisSplit split_at_axis(const Shape& shape, std::size_t axis) {
  assert(axis < shape.rank());
  AxisSplit s;
  for (std::size_t k = 0; k < axis; ++k) s.outer *= shape[k];
  s.n = shape[axis];
  // A valid shape may hold huge dims after a 0 ([0, 2^62, 2^62]); prefix products stay within
  // 2^40 but the suffix product would overflow, so derive it from the element count.
  const std::int64_t total = shape.num_elements();
  s.inner = total == 0 ? 0 : total / (s.outer * s.n);
  return s;
}

}  // namespace ingot::ops
