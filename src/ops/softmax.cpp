// Softmax along one axis, numerically stable as TF computes it, in float32:
//   m = max_i x_i;   y_i = exp(x_i - m) / sum_j exp(x_j - m)
// Subtracting the max keeps every exp in (0, 1], so inputs like 1000 do not overflow to inf.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::SoftmaxParams;  // declared in ops/params.h

Result<std::vector<TensorInfo>> infer_softmax(const SoftmaxParams& p,
                                              std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  INGOT_TRY(ops::expect_min_rank(in, 0, 1));
  INGOT_TRY(ops::resolve_axis("axis", p.axis, in[0].shape.rank()).status());
  return ops::single(in[0]);
}

void softmax_kernel(const SoftmaxParams& p, const KernelArgs& args) {
  const Tensor& input = *args.inputs[0];
  if (input.num_elements() == 0) return;
  const std::size_t axis = ops::resolve_axis("axis", p.axis, input.shape().rank()).value();
  const ops::AxisSplit s = ops::split_at_axis(input.shape(), axis);
  const float* x = input.data<float>().data();
  float* y = args.outputs[0]->mutable_data<float>().data();
  // Element i of the row that starts at `base` sits at base + i * inner.
  for (std::int64_t o = 0; o < s.outer; ++o) {
    for (std::int64_t k = 0; k < s.inner; ++k) {
      const std::int64_t base = o * s.n * s.inner + k;
      float m = -std::numeric_limits<float>::infinity();
      for (std::int64_t i = 0; i < s.n; ++i) m = std::max(m, x[base + i * s.inner]);
      float sum = 0.0f;
      for (std::int64_t i = 0; i < s.n; ++i) {
        const float e = std::exp(x[base + i * s.inner] - m);
        y[base + i * s.inner] = e;
        sum += e;
      }
      for (std::int64_t i = 0; i < s.n; ++i) y[base + i * s.inner] /= sum;
    }
  }
}

}  // namespace

OpDef make_Softmax_op() {
  static const auto params = ParamList<SoftmaxParams>()
                                 .optional("axis", &SoftmaxParams::axis, -1,
                                           "axis to normalize over, negative counts from the end")
                                 .range(ops::kMinAxis, ops::kMaxAxis);
  return make_op<SoftmaxParams>(
      {.name = "Softmax", .doc = "Numerically stable softmax along one axis."}, params,
      infer_softmax, softmax_kernel);
}

}  // namespace ingot
