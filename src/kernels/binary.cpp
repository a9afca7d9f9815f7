// Add, Sub, Mul, Maximum and Minimum of two f32 inputs with numpy broadcasting, through
// XNNPACK's N-d elementwise operators (at most 6 dims). Add, Sub and Mul take a fused clamp,
// which is how a residual Add + ReLU runs as one pass.
#include <array>

#include "kernels/ops.h"
#include "kernels/xnnpack.h"

namespace ingot::kernels {
namespace {

using Create = xnn_status (*)(float, float, std::uint32_t, xnn_operator_t*);
using Setup = xnn_status (*)(xnn_operator_t, std::size_t, const std::size_t*, std::size_t, const std::size_t*,
                             const float*, const float*, float*, pthreadpool_t);

xnn_status create_maximum(float, float, std::uint32_t flags, xnn_operator_t* op) {
  return xnn_create_maximum_nd_f32(flags, op);
}
xnn_status create_minimum(float, float, std::uint32_t flags, xnn_operator_t* op) {
  return xnn_create_minimum_nd_f32(flags, op);
}

struct BinaryOp {
  std::string_view name;
  Create create;
  Setup setup;
  bool clamps;
};

constexpr std::array kBinaryOps{
    BinaryOp{"Add", xnn_create_add_nd_f32, xnn_setup_add_nd_f32, true},
    BinaryOp{"Sub", xnn_create_subtract_nd_f32, xnn_setup_subtract_nd_f32, true},
    BinaryOp{"Mul", xnn_create_multiply_nd_f32, xnn_setup_multiply_nd_f32, true},
    BinaryOp{"Maximum", create_maximum, xnn_setup_maximum_nd_f32, false},
    BinaryOp{"Minimum", create_minimum, xnn_setup_minimum_nd_f32, false},
};

const BinaryOp* find(std::string_view op) {
  for (const BinaryOp& b : kBinaryOps)
    if (b.name == op) return &b;
  return nullptr;
}

std::vector<std::size_t> dims_of(const Shape& s) { return {s.dims().begin(), s.dims().end()}; }

}  // namespace

bool binary_supported(std::string_view op, std::span<const TensorInfo> inputs) {
  return find(op) != nullptr && inputs.size() == 2 && inputs[0].shape.rank() <= XNN_MAX_TENSOR_DIMS &&
         inputs[1].shape.rank() <= XNN_MAX_TENSOR_DIMS;
}

bool binary_accepts_clamp(std::string_view op) {
  const BinaryOp* b = find(op);
  return b != nullptr && b->clamps;
}

Result<std::unique_ptr<Kernel>> prepare_binary(std::string_view op, const KernelRequest& r) {
  const BinaryOp* b = find(op);
  if (b == nullptr || r.inputs.size() != 2 || !xnn::available()) return std::unique_ptr<Kernel>();
  const Shape& a_shape = r.inputs[0]->shape();
  const Shape& b_shape = r.inputs[1]->shape();
  if (a_shape.rank() > XNN_MAX_TENSOR_DIMS || b_shape.rank() > XNN_MAX_TENSOR_DIMS) return std::unique_ptr<Kernel>();
  if (r.outputs[0]->num_elements() == 0) return std::unique_ptr<Kernel>();
  xnn_operator_t handle = nullptr;
  const xnn_status created = b->create(r.clamp.min, r.clamp.max, 0, &handle);
  const auto a_dims = dims_of(a_shape), b_dims = dims_of(b_shape);
  const float* x0 = r.inputs[0]->data<float>().data();
  const float* x1 = r.inputs[1]->data<float>().data();
  float* y = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, handle, *r.pool,
      [&](xnn_operator_t o) {
        return b->setup(o, a_dims.size(), a_dims.data(), b_dims.size(), b_dims.data(), x0, x1, y, r.pool->get());
      },
      std::string(op) == "Add" ? "add" : std::string(op));
}

}  // namespace ingot::kernels
