// Small helpers shared by op files: input checks every shape rule needs, and the geometry of
// rank-4 image activations (NHWC or NCHW) that convolution and pooling walk.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ingot/op.h"

namespace ingot::ops {

// "input 0 must be f32 of rank 4, got i32 [1, 2]" style checks.
Status expect_rank(std::span<const TensorInfo> in, std::size_t index, std::size_t rank);
Status expect_f32(std::span<const TensorInfo> in, std::size_t index);

inline std::vector<TensorInfo> single(TensorInfo info) { return {std::move(info)}; }

// Checks an inferred output shape (element count within kMaxElements, rank within kMaxRank):
// a shape rule's arithmetic on valid inputs can still produce an absurd output.
Status check_output_shape(const Shape& shape);

// Activation layouts of rank-4 image tensors. The `layout` parameter of image ops takes one of
// layout_choices(); parse_layout trusts that the schema already checked it.
enum class Layout { nhwc, nchw };
std::vector<std::string> layout_choices();  // {"NHWC", "NCHW"}, NHWC (Keras) being the default
Layout parse_layout(const std::string& name);
const char* layout_name(Layout layout);

// A rank-4 activation seen through its layout: sizes of N, H, W, C and the element strides to
// step along each, so kernels index both layouts with one loop nest.
struct ImageGeometry {
  std::int64_t n = 0, h = 0, w = 0, c = 0;
  std::int64_t stride_n = 0, stride_h = 0, stride_w = 0, stride_c = 0;

  std::int64_t offset(std::int64_t in, std::int64_t ih, std::int64_t iw, std::int64_t ic) const {
    return in * stride_n + ih * stride_h + iw * stride_w + ic * stride_c;
  }
};
ImageGeometry image_geometry(const Shape& shape, Layout layout);  // shape has rank 4
Shape image_shape(Layout layout, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c);

// Number of positions of a sliding window along one spatial axis:
//   floor((size + pad_begin + pad_end - window) / stride) + 1     (ceil when `ceil` is set)
// `window` is the extent the window covers (dilation included). Fails, naming `axis` ("height",
// "width"), when the window does not fit in the padded input even once.
Result<std::int64_t> window_positions(const char* axis, std::int64_t size, std::int64_t pad_begin,
                                      std::int64_t pad_end, std::int64_t window,
                                      std::int64_t stride, bool ceil);

}  // namespace ingot::ops
