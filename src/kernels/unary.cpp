// ReLU as a clamp (no leak, no threshold: max(x, 0), capped at max_value), and Sigmoid,
// through XNNPACK's vectorised unary operators. The rows are the leading axes.
#include "kernels/ops.h"
#include "kernels/xnnpack.h"

namespace ingot::kernels {
namespace {

struct Rows {
  std::size_t rows, channels;
};

Rows rows_of(const Tensor& t) {
  const Shape& s = t.shape();
  const std::size_t channels = s.rank() == 0 ? 1 : static_cast<std::size_t>(s[s.rank() - 1]);
  return {channels == 0 ? 0 : static_cast<std::size_t>(t.num_elements()) / channels, channels};
}

}  // namespace

bool relu_is_clamp(const ops::ReLUParams& p) { return p.negative_slope == 0.0 && p.threshold == 0.0; }

Clamp relu_clamp(const ops::ReLUParams& p) {
  Clamp c;
  c.min = 0.0f;
  if (p.max_value) c.max = static_cast<float>(*p.max_value);
  return c;
}

Result<std::unique_ptr<Kernel>> prepare_clamp(Clamp clamp, const KernelRequest& r) {
  const Rows shape = rows_of(*r.inputs[0]);
  if (shape.rows == 0 || !xnn::available()) return std::unique_ptr<Kernel>();
  xnn_operator_t op = nullptr;
  const xnn_status created =
      xnn_create_clamp_nc_f32(shape.channels, shape.channels, shape.channels, clamp.min, clamp.max, 0, &op);
  const float* in = r.inputs[0]->data<float>().data();
  float* out = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, op, *r.pool,
      [&](xnn_operator_t o) { return xnn_setup_clamp_nc_f32(o, shape.rows, in, out, r.pool->get()); }, "relu clamp");
}

Result<std::unique_ptr<Kernel>> prepare_sigmoid(const KernelRequest& r) {
  const Rows shape = rows_of(*r.inputs[0]);
  if (shape.rows == 0 || !xnn::available()) return std::unique_ptr<Kernel>();
  xnn_operator_t op = nullptr;
  const xnn_status created = xnn_create_sigmoid_nc_f32(shape.channels, shape.channels, shape.channels, 0, &op);
  const float* in = r.inputs[0]->data<float>().data();
  float* out = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, op, *r.pool,
      [&](xnn_operator_t o) { return xnn_setup_sigmoid_nc_f32(o, shape.rows, in, out, r.pool->get()); }, "sigmoid");
}

}  // namespace ingot::kernels
