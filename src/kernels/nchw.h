// NCHW Conv2D / MaxPool2D / AvgPool2D through their NHWC kernels and a shared scratch buffer.
#pragma once

#include "kernels/kernel.h"

namespace ingot::kernels {

// Scratch the adapter needs for this request (0: not an NCHW image op).
std::size_t nchw_scratch_bytes(const KernelRequest& r);
// The adapted kernel, or nullptr when the NHWC kernel declines the node.
Result<std::unique_ptr<Kernel>> prepare_nchw(const KernelRequest& r);

}  // namespace ingot::kernels
