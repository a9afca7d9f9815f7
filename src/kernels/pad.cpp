// Constant Pad through XNNPACK's N-d constant pad (rank <= 6, f32): the value's bit pattern is
// what it writes, so NaN / -0.0 pads come out as the reference writes them.
#include <cstring>
#include <vector>

#include "kernels/ops.h"
#include "kernels/xnnpack.h"

namespace ingot::kernels {

Result<std::unique_ptr<Kernel>> prepare_pad(const ops::PadParams& p, const KernelRequest& r) {
  const Shape& s = r.inputs[0]->shape();
  const std::size_t rank = s.rank();
  if (rank == 0 || rank > XNN_MAX_TENSOR_DIMS || p.pads.size() != 2 * rank || r.outputs[0]->num_elements() == 0 ||
      !xnn::available())
    return std::unique_ptr<Kernel>();
  std::uint32_t bits = 0;
  std::memcpy(&bits, &p.value, sizeof bits);
  std::vector<std::size_t> shape(rank), before(rank), after(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    shape[i] = static_cast<std::size_t>(s[i]);
    before[i] = static_cast<std::size_t>(p.pads[i]);
    after[i] = static_cast<std::size_t>(p.pads[rank + i]);
  }
  xnn_operator_t op = nullptr;
  const xnn_status created = xnn_create_constant_pad_nd_x32(&bits, 0, &op);
  const float* in = r.inputs[0]->data<float>().data();
  float* out = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, op, *r.pool,
      [&](xnn_operator_t o) {
        return xnn_setup_constant_pad_nd_x32(o, rank, shape.data(), before.data(), after.data(), in, out, r.pool->get());
      },
      "constant pad");
}

}  // namespace ingot::kernels
