#include "frontends/keras/layers.h"

#include <algorithm>
#include <thread>

namespace ingot::keras {

Outputs single_output(Result<std::string> value) {
  if (!value.ok()) return std::move(value).status();
  return std::vector<std::string>{*value};
}

Result<std::string> layout_of(const LayerContext& ctx) {
  INGOT_ASSIGN_OR_RETURN(std::string df, ctx.config.string("data_format", "channels_last",
                                                           {"channels_last", "channels_first"}));
  return std::string(df == "channels_last" ? "NHWC" : "NCHW");
}

Result<std::pair<std::int64_t, std::int64_t>> tf_padding(const LayerContext& ctx, const std::string& padding,
                                                         std::int64_t size, std::int64_t kernel,
                                                         std::int64_t stride, std::int64_t dilation) {
  const std::int64_t extent = (kernel - 1) * dilation + 1;
  if (padding == "valid") return std::pair<std::int64_t, std::int64_t>{0, 0};
  if (padding == "causal") return std::pair<std::int64_t, std::int64_t>{extent - 1, 0};
  if (padding != "same") return ctx.error("key 'padding' must be one of \"valid\", \"same\", got \"" + padding + "\"");
  const std::int64_t out = (size + stride - 1) / stride;
  const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + extent - size, 0);
  return std::pair<std::int64_t, std::int64_t>{total / 2, total - total / 2};
}

Result<std::int64_t> checked_axis(const LayerContext& ctx, std::int64_t axis, std::size_t input) {
  const auto rank = static_cast<std::int64_t>(ctx.shape(input).rank());
  if (axis < -rank || axis >= rank) {
    return ctx.error("key 'axis' must be in [" + std::to_string(-rank) + ", " + std::to_string(rank - 1) +
                     "] for an input of shape " + ctx.shape(input).to_string() + ", got " + std::to_string(axis));
  }
  return axis < 0 ? axis + rank : axis;
}

Tensor hwab_to_baHW(const Tensor& kernel, bool flip) {
  const Shape& s = kernel.shape();
  const std::int64_t kh = s[0], kw = s[1], a = s[2], b = s[3];
  Tensor out = Tensor::allocate(DType::f32, Shape{b, a, kh, kw}).value();
  const float* in = kernel.data<float>().data();
  float* o = out.mutable_data<float>().data();
  // A transpose of [a][b] per tap, in tiles: element by element, the writes (stride a * kh * kw)
  // missed the cache on every store and made this a quarter of converting MobileNet.
  constexpr std::int64_t kTile = 32;
  const auto columns = [&](std::int64_t j_begin, std::int64_t j_end) {
    for (std::int64_t y = 0; y < kh; ++y) {
      for (std::int64_t x = 0; x < kw; ++x) {
        const std::int64_t tap = (flip ? kh - 1 - y : y) * kw + (flip ? kw - 1 - x : x);
        const float* from = in + (y * kw + x) * a * b;
        for (std::int64_t i0 = 0; i0 < a; i0 += kTile) {
          for (std::int64_t j0 = j_begin; j0 < j_end; j0 += kTile) {
            const std::int64_t i1 = std::min(a, i0 + kTile), j1 = std::min(j_end, j0 + kTile);
            for (std::int64_t j = j0; j < j1; ++j)
              for (std::int64_t i = i0; i < i1; ++i) o[(j * a + i) * kh * kw + tap] = from[i * b + j];
          }
        }
      }
    }
  };
  // Large kernels (a MobileNet's pointwise layers are a million weights) take a second core:
  // the halves of the output channels are independent.
  if (kernel.num_elements() >= (1 << 18) && b >= 2 * kTile && std::thread::hardware_concurrency() > 1) {
    const std::int64_t half = b / 2 / kTile * kTile;
    std::thread second(columns, half, b);
    columns(0, half);
    second.join();
  } else {
    columns(0, b);
  }
  return out;
}

}  // namespace ingot::keras
