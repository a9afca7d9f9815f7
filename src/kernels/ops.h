// The optimized kernels by op (one file each); registry.cpp maps op names to them. Each
// prepare_* returns nullptr when its op's parameters or layout are outside what it handles.
#pragma once

#include "kernels/kernel.h"
#include "ops/params.h"

namespace ingot::kernels {

bool conv2d_supported(const ops::Conv2DParams& p);
// Scratch for Winograd's blocked activations, where it may run.
std::size_t conv2d_scratch_bytes(const ops::Conv2DParams& p, const KernelRequest& r);
bool conv2d_accepts_residual(const ops::Conv2DParams& p, ConvLibrary library);
Result<std::unique_ptr<Kernel>> prepare_conv2d(const ops::Conv2DParams& p, const KernelRequest& r);
Result<std::unique_ptr<Kernel>> prepare_conv_transpose2d(const ops::ConvTranspose2DParams& p, const KernelRequest& r);

Result<std::unique_ptr<Kernel>> prepare_dense(const ops::DenseParams& p, const KernelRequest& r);

bool maxpool2d_supported(const ops::MaxPool2DParams& p);
Result<std::unique_ptr<Kernel>> prepare_maxpool2d(const ops::MaxPool2DParams& p, const KernelRequest& r);
bool avgpool2d_supported(const ops::AvgPool2DParams& p);
Result<std::unique_ptr<Kernel>> prepare_avgpool2d(const ops::AvgPool2DParams& p, const KernelRequest& r);

// Add, Sub, Mul, Maximum, Minimum of two inputs with numpy broadcasting (rank <= 6).
bool binary_supported(std::string_view op, std::span<const TensorInfo> inputs);
bool binary_accepts_clamp(std::string_view op);
Result<std::unique_ptr<Kernel>> prepare_binary(std::string_view op, const KernelRequest& r);

// ReLU that is a clamp (no leak, no threshold), and Sigmoid.
bool relu_is_clamp(const ops::ReLUParams& p);
Clamp relu_clamp(const ops::ReLUParams& p);
Result<std::unique_ptr<Kernel>> prepare_clamp(Clamp clamp, const KernelRequest& r);
Result<std::unique_ptr<Kernel>> prepare_sigmoid(const KernelRequest& r);

// Constant padding of a tensor of rank <= 6.
Result<std::unique_ptr<Kernel>> prepare_pad(const ops::PadParams& p, const KernelRequest& r);

// BatchNorm and Scale along any axis, with the per-channel factors computed once.
Result<std::unique_ptr<Kernel>> prepare_batch_norm(const ops::BatchNormParams& p, const KernelRequest& r);
Result<std::unique_ptr<Kernel>> prepare_scale(const ops::ScaleParams& p, const KernelRequest& r);

Result<std::unique_ptr<Kernel>> prepare_resize(const ops::ResizeParams& p, const KernelRequest& r);
Result<std::unique_ptr<Kernel>> prepare_transpose(const ops::TransposeParams& p, const KernelRequest& r);
Result<std::unique_ptr<Kernel>> prepare_softmax(const ops::SoftmaxParams& p, const KernelRequest& r);

// ReduceMean over the spatial axes of an NHWC activation (global average pooling).
Result<std::unique_ptr<Kernel>> prepare_reduce_mean(const void* params, const KernelRequest& r);

}  // namespace ingot::kernels
