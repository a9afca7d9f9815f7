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
