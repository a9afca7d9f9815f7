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

// -- helpers of the spatial and shape ops
namespace ingot::ops {

// Rejects an input whose dims, counting 0 as 1, multiply to more than kMaxElements. A valid
// shape may hold huge dims after a 0 ([0, 2^62] has no elements); with this check every dim,
// and every product of dims (image strides, sizes times scales), stays far from int64 overflow.
Status expect_dims_bounded(std::span<const TensorInfo> in, std::size_t index);

// Output size of a pooling window along one axis, Caffe's way: window_positions, then in ceil
// mode drop a last window that would start at or past size + pad_begin when `any_pad` (Caffe
// tests pad_h || pad_w, so one padded axis enables the clip on both). Fails unless every
// window holds at least one in-image element (size >= 1, pads < window, and no ceil-mode
// window wholly past the input), so kernels never divide by or max over nothing.
Result<std::int64_t> pool_positions(const char* axis, std::int64_t size, std::int64_t pad_begin,
                                    std::int64_t pad_end, std::int64_t window,
                                    std::int64_t stride, bool ceil, bool any_pad);

// The output of a 2-D pooling window over an f32 rank-4 input (MaxPool2D, AvgPool2D): each pad
// below its axis' kernel size, the positions from pool_positions, in `layout`.
// A convolution kernel: f32 of rank 4 with dims >= 1 whose dim 0 (`layout` names the dims, e.g.
// "[out_channels, in_channels/groups, kh, kw]") divides into `groups`; and its bias, when set,
// f32 of shape [out_channels] (`out_rule` says where that count comes from).
Status check_conv_weights(const Tensor& w, const char* layout, std::int64_t groups);
Status check_conv_bias(const std::optional<Tensor>& bias, std::int64_t out_channels, const char* out_rule);

Result<std::vector<TensorInfo>> infer_pool2d(const std::vector<std::int64_t>& kernel,
                                             const std::vector<std::int64_t>& strides,
                                             const std::vector<std::int64_t>& pads, const std::string& layout,
                                             bool ceil_mode, std::span<const TensorInfo> in);

}  // namespace ingot::ops

// -- helpers of the normalization, elementwise and reduction ops
namespace ingot::ops {

// Schema bounds of an axis parameter ([-8, 7]); infer checks it against the actual rank.
inline constexpr double kMinAxis = -static_cast<double>(kMaxRank);
inline constexpr double kMaxAxis = static_cast<double>(kMaxRank) - 1;

// "input 0 must have rank >= 1, got shape []".
Status expect_min_rank(std::span<const TensorInfo> in, std::size_t index, std::size_t min_rank);

// Resolves an axis parameter (negative counts from the end) against input 0's rank >= 1:
//   parameter 'axis' must be in [-4, 3] (input 0 has rank 4), got 4
Result<std::size_t> resolve_axis(const char* param, std::int64_t axis, std::size_t rank);

// Checks a tensor parameter's dtype (f32) and shape; `why` says where the shape comes from:
//   parameter 'mean' must be f32 of shape [3] (<why>), got f32 [4]
Status expect_param_shape(const char* param, const Tensor& t, const Shape& want,
                          const std::string& why);

// A shape seen as [outer, n, inner] around one axis: element (o, i, k) of it sits at flat index
// (o * n + i) * inner + k, so per-channel and along-axis kernels need one loop nest. `shape`
// must be valid (validate_shape); inner is 0 when it holds no elements.
struct AxisSplit {
  std::int64_t outer = 1, n = 1, inner = 1;
};
AxisSplit split_at_axis(const Shape& shape, std::size_t axis);

}  // namespace ingot::ops
