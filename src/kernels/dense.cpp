// Dense through XNNPACK's fully-connected GEMM: ingot's [out, in] weights are exactly what its
// packer reads, so the only plan-time work is XNNPACK's own packing. Leading axes are rows.
#include "kernels/ops.h"
#include "kernels/xnnpack.h"

namespace ingot::kernels {

Result<std::unique_ptr<Kernel>> prepare_dense(const ops::DenseParams& p, const KernelRequest& r) {
  if (!xnn::available()) return std::unique_ptr<Kernel>();
  const auto out_features = static_cast<std::size_t>(p.weights.shape()[0]);
  const auto in_features = static_cast<std::size_t>(p.weights.shape()[1]);
  const auto rows = static_cast<std::size_t>(r.inputs[0]->num_elements()) / in_features;
  xnn_operator_t op = nullptr;
  const xnn_status created = xnn_create_fully_connected_nc_f32(
      in_features, out_features, in_features, out_features, p.weights.data<float>().data(),
      p.bias ? p.bias->data<float>().data() : nullptr, r.clamp.min, r.clamp.max, 0, &op);
  const float* in = r.inputs[0]->data<float>().data();
  float* out = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, op, *r.pool,
      [&](xnn_operator_t o) { return xnn_setup_fully_connected_nc_f32(o, rows, in, out, r.pool->get()); },
      "dense gemm");
}

}  // namespace ingot::kernels
