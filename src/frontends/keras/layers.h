// Import functions for the standard Keras layers (one table in layer_table.cpp maps class
// names to them) and the helpers they share.
#pragma once

#include <string>
#include <vector>

#include "frontends/keras/layer_context.h"

namespace ingot::keras {

using Outputs = Result<std::vector<std::string>>;

// layers_activation.cpp
Outputs import_activation(LayerContext& ctx);
Outputs import_relu(LayerContext& ctx);
Outputs import_leaky_relu(LayerContext& ctx);
Outputs import_prelu(LayerContext& ctx);
Outputs import_elu(LayerContext& ctx);
Outputs import_thresholded_relu(LayerContext& ctx);
Outputs import_softmax(LayerContext& ctx);
// The layer's fused activation name ("linear" when absent).
Result<std::string> activation_of(const LayerContext& ctx);

// layers_conv.cpp
Outputs import_conv1d(LayerContext& ctx);
Outputs import_conv2d(LayerContext& ctx);
Outputs import_depthwise_conv2d(LayerContext& ctx);
Outputs import_separable_conv2d(LayerContext& ctx);
Outputs import_conv2d_transpose(LayerContext& ctx);

// layers_core.cpp
Outputs import_dense(LayerContext& ctx);
Outputs import_flatten(LayerContext& ctx);
Outputs import_reshape(LayerContext& ctx);
Outputs import_permute(LayerContext& ctx);
Outputs import_identity(LayerContext& ctx);  // Dropout & co.: nothing at inference
Outputs import_batch_norm(LayerContext& ctx);

// layers_pool.cpp
Outputs import_max_pool2d(LayerContext& ctx);
Outputs import_avg_pool2d(LayerContext& ctx);
Outputs import_max_pool1d(LayerContext& ctx);
Outputs import_avg_pool1d(LayerContext& ctx);
Outputs import_global_avg_pool(LayerContext& ctx);
Outputs import_global_max_pool(LayerContext& ctx);

// layers_shape.cpp
Outputs import_zero_padding2d(LayerContext& ctx);
Outputs import_zero_padding1d(LayerContext& ctx);
Outputs import_cropping2d(LayerContext& ctx);
Outputs import_cropping1d(LayerContext& ctx);
Outputs import_upsampling2d(LayerContext& ctx);
Outputs import_upsampling1d(LayerContext& ctx);

// layers_merge.cpp
Outputs import_concatenate(LayerContext& ctx);
Outputs import_add(LayerContext& ctx);
Outputs import_subtract(LayerContext& ctx);
Outputs import_multiply(LayerContext& ctx);
Outputs import_maximum(LayerContext& ctx);
Outputs import_minimum(LayerContext& ctx);
Outputs import_average(LayerContext& ctx);

// Shared helpers (layers_util.cpp).
// "channels_last" (NHWC) or "channels_first" (NCHW) from the layer's data_format.
Result<std::string> layout_of(const LayerContext& ctx);
// TensorFlow's padding for one spatial axis: {begin, end}. 'same' puts the odd pixel at the end.
Result<std::pair<std::int64_t, std::int64_t>> tf_padding(const LayerContext& ctx, const std::string& padding,
                                                         std::int64_t size, std::int64_t kernel,
                                                         std::int64_t stride, std::int64_t dilation);
// A Keras axis (negative allowed) checked against the rank of input `input`.
Result<std::int64_t> checked_axis(const LayerContext& ctx, std::int64_t axis, std::size_t input = 0);
// Reorders a kernel from Keras' (kh, kw, a, b) layout to (b, a, kh, kw) (OIHW for Conv2D
// kernels, IOHW for Conv2DTranspose ones). Flips it spatially for theano-backend files, whose
// convolutions are true convolutions.
Tensor hwab_to_baHW(const Tensor& kernel, bool flip);
// Wraps a single value into the Outputs of a one-output layer.
Outputs single_output(Result<std::string> value);

}  // namespace ingot::keras
