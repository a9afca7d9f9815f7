// Shared by Normalize (rykov8/ssd_keras) and L2Normalization (pierluigiferrari/ssd_keras), which
// differ only in their parameter names: L2 normalization over the channel axis of an NHWC
// activation, times a learned per-channel gamma, the way tf.nn.l2_normalize(x, axis=3) computes
// it:
//   y[n, h, w, c] = x[n, h, w, c] * rsqrt(max(sum over k of x[n, h, w, k]^2, 1e-12)) * gamma[c]
// so an all-zero pixel stays zero and a pixel of norm below 1e-6 is scaled by 1e6, not divided
// by its own norm.
#pragma once

#include <span>
#include <vector>

#include "ingot/op.h"

namespace ingot::ops {

// Input 0 f32 of rank 4 (NHWC); `gamma` f32 of shape [C]. The output has the input's shape.
Result<std::vector<TensorInfo>> infer_l2_normalize(const Tensor& gamma,
                                                   std::span<const TensorInfo> in);

// Trusts infer_l2_normalize. Squares are summed in double and the inverse norm rounded to float
// once, then y = (x * inv_norm) * gamma in float, as TF multiplies.
void l2_normalize_kernel(const Tensor& gamma, const KernelArgs& args);

}  // namespace ingot::ops
