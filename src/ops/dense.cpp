// Dense (fully connected) on the last axis:
//   y[..., o] = sum_i x[..., i] * weights[o, i] + bias[o]
// Weights are [out_features, in_features] (Caffe's InnerProduct order; importers transpose
// Keras' [in, out] kernels once). Leading axes are batch-like and pass through unchanged.
#include <cassert>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::DenseParams;  // declared in ops/params.h

Result<std::vector<TensorInfo>> infer_dense(const DenseParams& p, std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  const Shape& x = in[0].shape;
  if (x.rank() < 1) return bad_input("input 0 must have rank >= 1, got shape " + x.to_string());
  const Tensor& w = p.weights;
  if (w.dtype() != DType::f32 || w.shape().rank() != 2) {
    return bad_input("parameter 'weights' must be f32 of rank 2 [out_features, in_features], got " +
                     std::string(dtype_name(w.dtype())) + " " + w.shape().to_string());
  }
  const std::int64_t out_features = w.shape()[0];
  const std::int64_t in_features = w.shape()[1];
  if (out_features < 1 || in_features < 1) {
    return bad_input("parameter 'weights' dims must be >= 1, got " + w.shape().to_string());
  }
  if (x[x.rank() - 1] != in_features) {
    return bad_input("input 0 last dim must equal in_features " + std::to_string(in_features) +
                     " (weights " + w.shape().to_string() + "), got shape " + x.to_string());
  }
  if (p.bias && (p.bias->dtype() != DType::f32 || p.bias->shape() != Shape{out_features})) {
    return bad_input("parameter 'bias' must be f32 of shape [" + std::to_string(out_features) +
                     "] (weights.shape[0]), got " + dtype_name(p.bias->dtype()) + " " +
                     p.bias->shape().to_string());
  }
  if (p.weights_scale) {
    INGOT_TRY(ops::expect_param_shape("weights_scale", *p.weights_scale, Shape{out_features}, "weights.shape[0]"));
  }
  std::vector<std::int64_t> dims = x.dims();
  dims.back() = out_features;
  Shape out(std::move(dims));
  INGOT_TRY(ops::check_output_shape(out));
  return ops::single({out, DType::f32});
}

void dense_kernel(const DenseParams& p, const KernelArgs& args) {
  const auto x = args.inputs[0]->data<float>();
  const auto w = p.weights.data<float>();
  auto y = args.outputs[0]->mutable_data<float>();
  const auto out_features = static_cast<std::size_t>(p.weights.shape()[0]);
  const auto in_features = static_cast<std::size_t>(p.weights.shape()[1]);
  const std::size_t rows = x.size() / in_features;
  assert(y.size() == rows * out_features);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x.data() + r * in_features;
    for (std::size_t o = 0; o < out_features; ++o) {
      const float* wo = w.data() + o * in_features;
      const float s = p.weights_scale ? p.weights_scale->data<float>()[o] : 1.0f;  // x 1 is exact
      float acc = 0.0f;
      for (std::size_t i = 0; i < in_features; ++i) acc += xr[i] * (wo[i] * s);
      if (p.bias) acc += p.bias->data<float>()[o];
      y[r * out_features + o] = acc;
    }
  }
}

}  // namespace

OpDef make_Dense_op() {
  static const auto params =
      ParamList<DenseParams>()
          .required("weights", &DenseParams::weights, "f32 [out_features, in_features]")
          .layer_weights()
          .optional("bias", &DenseParams::bias, "f32 [out_features] (unset: none)")
          .optional("weights_scale", &DenseParams::weights_scale,
                    "f32 [out_features]: output o uses weights[o] * weights_scale[o], each product "
                    "rounded to f32 (set at plan time by fold_batch_norm; unset: 1)");
  return make_op<DenseParams>(
      {.name = "Dense", .doc = "Fully connected layer on the last axis: y = x W^T + b."}, params,
      infer_dense, dense_kernel);
}

}  // namespace ingot
