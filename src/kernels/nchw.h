// NCHW Conv2D / MaxPool2D / AvgPool2D through their NHWC kernels and a shared scratch buffer.
#pragma once

#include "kernels/kernel.h"

namespace ingot::kernels {

// Tiled layout transposes of f32 images: [N, C, P] -> [N, P, C] and back (P = H * W).
void nchw_to_nhwc(const float* src, float* dst, std::int64_t n, std::int64_t c, std::int64_t p);
void nhwc_to_nchw(const float* src, float* dst, std::int64_t n, std::int64_t c, std::int64_t p);

// Scratch the adapter needs for this request (0: not an NCHW image op).
std::size_t nchw_scratch_bytes(const KernelRequest& r);
// The adapted kernel, or nullptr when the NHWC kernel declines the node.
Result<std::unique_ptr<Kernel>> prepare_nchw(const KernelRequest& r);

}  // namespace ingot::kernels
