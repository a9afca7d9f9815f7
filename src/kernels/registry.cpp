// Which optimized kernel runs a node: the one table from op names to kernels.
#include "kernels/kernel.h"
#include "kernels/nchw.h"
#include "kernels/ops.h"

namespace ingot::kernels {
namespace {

template <class P>
const P& params_of(const void* p) {
  return *static_cast<const P*>(p);
}

bool all_f32(std::span<const Tensor* const> tensors) {
  for (const Tensor* t : tensors)
    if (t->dtype() != DType::f32) return false;
  return true;
}

}  // namespace

Result<std::unique_ptr<Kernel>> prepare(const KernelRequest& r) {
  if (!all_f32(r.inputs) || r.outputs.size() != 1 || !all_f32(std::span<const Tensor* const>(r.outputs.data(), r.outputs.size())))
    return std::unique_ptr<Kernel>();
  const std::string_view op = r.op;
  if (nchw_scratch_bytes(r) > 0) return prepare_nchw(r);
  if (op == "Conv2D") return prepare_conv2d(params_of<ops::Conv2DParams>(r.params), r);
  if (op == "ConvTranspose2D") return prepare_conv_transpose2d(params_of<ops::ConvTranspose2DParams>(r.params), r);
  if (op == "Dense") return prepare_dense(params_of<ops::DenseParams>(r.params), r);
  if (op == "MaxPool2D") return prepare_maxpool2d(params_of<ops::MaxPool2DParams>(r.params), r);
  if (op == "AvgPool2D") return prepare_avgpool2d(params_of<ops::AvgPool2DParams>(r.params), r);
  if (op == "ReLU") {
    const auto& p = params_of<ops::ReLUParams>(r.params);
    if (!relu_is_clamp(p)) return std::unique_ptr<Kernel>();
    return prepare_clamp(relu_clamp(p), r);
  }
  if (op == "Sigmoid") return prepare_sigmoid(r);
  if (op == "Pad") return prepare_pad(params_of<ops::PadParams>(r.params), r);
  if (op == "BatchNorm") return prepare_batch_norm(params_of<ops::BatchNormParams>(r.params), r);
  if (op == "Scale") return prepare_scale(params_of<ops::ScaleParams>(r.params), r);
  if (op == "Resize") return prepare_resize(params_of<ops::ResizeParams>(r.params), r);
  if (op == "Transpose") return prepare_transpose(params_of<ops::TransposeParams>(r.params), r);
  if (op == "Softmax") return prepare_softmax(params_of<ops::SoftmaxParams>(r.params), r);
  if (op == "ReduceMean") return prepare_reduce_mean(r.params, r);
  if (binary_accepts_clamp(op) || op == "Maximum" || op == "Minimum") return prepare_binary(op, r);
  return std::unique_ptr<Kernel>();
}

std::size_t scratch_bytes(const KernelRequest& request) {
  if (request.op == "Conv2D" && nchw_scratch_bytes(request) == 0)
    return conv2d_scratch_bytes(params_of<ops::Conv2DParams>(request.params), request);
  return nchw_scratch_bytes(request);
}

bool accepts_clamp(std::string_view op, const void* params, std::span<const TensorInfo> inputs) {
  for (const TensorInfo& t : inputs)
    if (t.dtype != DType::f32) return false;
  if (op == "Conv2D") return conv2d_supported(params_of<ops::Conv2DParams>(params));
  if (op == "Dense") return true;
  if (op == "MaxPool2D") return maxpool2d_supported(params_of<ops::MaxPool2DParams>(params));
  if (op == "AvgPool2D") return avgpool2d_supported(params_of<ops::AvgPool2DParams>(params));
  if (binary_accepts_clamp(op)) return binary_supported(op, inputs);
  return false;
}

bool accepts_residual(std::string_view op, const void* params, ConvLibrary library) {
  return op == "Conv2D" && conv2d_accepts_residual(params_of<ops::Conv2DParams>(params), library);
}

}  // namespace ingot::kernels
