// Parameter structs of the ops whose bound parameters other parts of ingot read: the
// optimized kernels (src/kernels) and the plan-time passes (src/plan). Each struct is filled by
// its op's ParamList in src/ops/<op>.cpp, which remains the one declaration of names, types,
// defaults and ranges; a BoundNode of op "Conv2D" holds a Conv2DParams, and so on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ingot/tensor.h"
#include "ops/common.h"

namespace ingot::ops {

struct Conv2DParams {
  Tensor weights;              // OIHW
  std::optional<Tensor> bias;  // [O]
  std::optional<Tensor> weights_scale;  // [O]: the weights used are weights[o] * weights_scale[o]
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads;  // top, left, bottom, right
  std::int64_t groups = 1;
  std::string layout;
  std::vector<std::int64_t> same_extent;  // set: pads are TF "same" ones, see ir/open_dims.h
};

struct ConvTranspose2DParams {
  Tensor weights;              // IOHW: [in_channels, out_channels / groups, kh, kw]
  std::optional<Tensor> bias;  // [O]
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads;            // cropped from the full output: top, left, bottom, right
  std::vector<std::int64_t> output_padding;  // added at the bottom / right: h, w
  std::int64_t groups = 1;
  std::string layout;
};

struct DenseParams {
  Tensor weights;  // [out_features, in_features]
  std::optional<Tensor> bias;
  std::optional<Tensor> weights_scale;  // [out_features]: weights[o] * weights_scale[o] are used
};

struct MaxPool2DParams {
  std::vector<std::int64_t> kernel;   // h, w
  std::vector<std::int64_t> strides;  // h, w
  std::vector<std::int64_t> pads;     // top, left, bottom, right
  std::string layout;
  bool ceil_mode = false;
  std::vector<std::int64_t> same_extent;  // set: pads are TF "same" ones, see ir/open_dims.h
};

struct AvgPool2DParams {
  std::vector<std::int64_t> kernel;   // h, w
  std::vector<std::int64_t> strides;  // h, w
  std::vector<std::int64_t> pads;     // top, left, bottom, right
  std::string layout;
  bool ceil_mode = false;
  bool count_include_pad = false;
  std::vector<std::int64_t> same_extent;  // set: pads are TF "same" ones, see ir/open_dims.h
};

// The window parameters MaxPool2D and AvgPool2D share, declared once: kernel, strides, pads,
// same_extent, layout, ceil_mode.
template <class P>
ParamList<P> pool_window_params() {
  ParamList<P> params;
  params.required("kernel", &P::kernel, "window size (h, w)")
      .range(1, 65536)
      .size(2)
      .optional("strides", &P::strides, {1, 1}, "window step (h, w)")
      .range(1, 65536)
      .size(2)
      .optional("pads", &P::pads, {0, 0, 0, 0}, "padding (top, left, bottom, right); each < kernel")
      .range(0, 65536)
      .size(4)
      .optional("same_extent", &P::same_extent, {},
                "TF 'same' padding for windows of these extents (h, w): `pads` hold the stored instance's and are "
                "recomputed for other input sizes (ir/open_dims.h); empty: the pads are fixed")
      .range(1, 1 << 20)
      .size(0, 2)
      .optional("layout", &P::layout, "NHWC", "activation layout of input and output")
      .choices(layout_choices())
      .optional("ceil_mode", &P::ceil_mode, false, "round the output size up, as Caffe does (false: down, as Keras does)");
  return params;
}

struct ReLUParams {
  std::optional<double> max_value;
  double negative_slope = 0.0;
  double threshold = 0.0;
};

struct BatchNormParams {
  Tensor mean;
  Tensor variance;
  std::optional<Tensor> scale;
  std::optional<Tensor> offset;
  double epsilon = 0.001;
  std::int64_t axis = -1;
};

struct ScaleParams {
  Tensor scale;
  std::optional<Tensor> bias;
  std::int64_t axis = -1;
};

struct AffineParams {
  double scale = 1.0;
  double offset = 0.0;
};

struct PadParams {
  std::vector<std::int64_t> pads;  // begins, then ends
  float value = 0.0f;
};

struct SoftmaxParams {
  std::int64_t axis = -1;
};

struct ConcatParams {
  std::int64_t axis = -1;
};

struct TransposeParams {
  std::vector<std::int64_t> perm;  // output axis i is input axis perm[i]
};

struct ResizeParams {
  std::optional<std::vector<std::int64_t>> scales;  // h, w; exactly one of scales and sizes
  std::optional<std::vector<std::int64_t>> sizes;   // output h, w (align_corners only)
  std::string mode;
  std::string coordinates;
  std::string layout;
};

// Where output row (or column) `dst` of a Resize reads from: input rows lo and hi, blended with
// weight t on hi (lo == hi, t == 0 for nearest). The op's coordinate rules, in one place for the
// reference kernel and the optimized one (src/ops/resize.cpp).
struct ResizeTap {
  std::int64_t lo = 0, hi = 0;
  float t = 0.0f;
};
// `in` and `out` are the input and output sizes along the axis (out = in * scale with scales).
ResizeTap resize_source_tap(const ResizeParams& p, std::int64_t dst, std::int64_t in, std::int64_t out);

}  // namespace ingot::ops
