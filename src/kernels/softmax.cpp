// Softmax along the last axis through XNNPACK (max-subtracted, as the reference computes it).
// Other axes (Caffe's channel axis on NCHW) stay on the reference kernel.
#include "kernels/ops.h"
#include "kernels/xnnpack.h"

namespace ingot::kernels {

Result<std::unique_ptr<Kernel>> prepare_softmax(const ops::SoftmaxParams& p, const KernelRequest& r) {
  const Shape& s = r.inputs[0]->shape();
  const auto rank = static_cast<std::int64_t>(s.rank());
  if (rank == 0 || (p.axis != -1 && p.axis != rank - 1) || r.inputs[0]->num_elements() == 0 || !xnn::available())
    return std::unique_ptr<Kernel>();
  const auto channels = static_cast<std::size_t>(s[s.rank() - 1]);
  const std::size_t rows = static_cast<std::size_t>(r.inputs[0]->num_elements()) / channels;
  xnn_operator_t op = nullptr;
  const xnn_status created = xnn_create_softmax_nc_f32(channels, channels, channels, 0, &op);
  const float* in = r.inputs[0]->data<float>().data();
  float* out = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, op, *r.pool,
      [&](xnn_operator_t o) { return xnn_setup_softmax_nc_f32(o, rows, in, out, r.pool->get()); }, "softmax");
}

}  // namespace ingot::kernels
