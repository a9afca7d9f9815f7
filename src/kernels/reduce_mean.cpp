// ReduceMean over H and W of an NHWC activation (Keras' GlobalAveragePooling2D) through
// XNNPACK's global average pooling; every other reduction stays on the reference kernel.
#include "kernels/ops.h"
#include "kernels/xnnpack.h"
#include "ops/reduce.h"

namespace ingot::kernels {

Result<std::unique_ptr<Kernel>> prepare_reduce_mean(const void* params, const KernelRequest& r) {
  const auto& p = *static_cast<const ops::ReduceParams*>(params);
  const Shape& s = r.inputs[0]->shape();
  if (s.rank() != 4 || p.axes.size() != 2 || r.inputs[0]->num_elements() == 0 || !xnn::available())
    return std::unique_ptr<Kernel>();
  auto resolved = [&](std::int64_t a) { return a < 0 ? a + 4 : a; };
  const std::int64_t a0 = resolved(p.axes[0]), a1 = resolved(p.axes[1]);
  if (!((a0 == 1 && a1 == 2) || (a0 == 2 && a1 == 1))) return std::unique_ptr<Kernel>();
  const auto channels = static_cast<std::size_t>(s[3]);
  const auto width = static_cast<std::size_t>(s[1] * s[2]);
  xnn_operator_t op = nullptr;
  const xnn_status created = xnn_create_global_average_pooling_nwc_f32(
      channels, channels, channels, -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(), 0, &op);
  const float* in = r.inputs[0]->data<float>().data();
  float* out = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, op, *r.pool,
      [&](xnn_operator_t o) {
        return xnn_setup_global_average_pooling_nwc_f32(o, static_cast<std::size_t>(s[0]), width, in, out, r.pool->get());
      },
      "global average pooling");
}

}  // namespace ingot::kernels
