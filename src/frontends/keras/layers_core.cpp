// Dense, Flatten, Reshape, Permute, BatchNormalization and the layers that vanish at inference.
#include "frontends/keras/layers.h"

namespace ingot::keras {
namespace {

Tensor transposed_2d(const Tensor& t) {
  const std::int64_t rows = t.shape()[0], cols = t.shape()[1];
  Tensor out = Tensor::allocate(DType::f32, Shape{cols, rows}).value();
  const auto in = t.data<float>();
  auto o = out.mutable_data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) o[static_cast<std::size_t>(c * rows + r)] = in[static_cast<std::size_t>(r * cols + c)];
  }
  return out;
}

}  // namespace

Outputs import_dense(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  const Shape& s = ctx.shape();
  if (s.rank() < 2) return ctx.error("input must have rank >= 2 (batch, ..., features), got shape " + s.to_string());
  INGOT_ASSIGN_OR_RETURN(std::int64_t units, ctx.config.integer("units"));
  INGOT_ASSIGN_OR_RETURN(Tensor kernel, ctx.weight("kernel"));
  const Shape want{s[s.rank() - 1], units};
  if (kernel.shape() != want) {
    return ctx.error("weight 'kernel' must have shape " + want.to_string() + " (input features, units), got " +
                     kernel.shape().to_string());
  }
  INGOT_ASSIGN_OR_RETURN(TensorRef w, ctx.constant("kernel", transposed_2d(kernel)));
  AttrMap attrs{{"weights", w}};
  INGOT_ASSIGN_OR_RETURN(bool use_bias, ctx.config.boolean("use_bias", true));
  if (use_bias) {
    INGOT_ASSIGN_OR_RETURN(Tensor b, ctx.weight("bias"));
    if (b.shape() != Shape{units}) return ctx.error("weight 'bias' must have shape [" + std::to_string(units) + "], got " + b.shape().to_string());
    INGOT_ASSIGN_OR_RETURN(TensorRef bref, ctx.constant("bias", b));
    attrs["bias"] = bref;
  }
  INGOT_ASSIGN_OR_RETURN(std::string act, activation_of(ctx));
  INGOT_ASSIGN_OR_RETURN(std::string dense, ctx.add(main_node_name(ctx, act, "dense"), "Dense", ctx.inputs, std::move(attrs)));
  return single_output(add_activation(ctx, dense, act, ctx.name()));
}

Outputs import_flatten(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  const Shape& s = ctx.shape();
  if (s.rank() < 2) return ctx.error("input must have rank >= 2, got shape " + s.to_string());
  std::string value = ctx.inputs[0];
  INGOT_ASSIGN_OR_RETURN(std::string df, ctx.config.string("data_format", "channels_last", {"channels_last", "channels_first"}));
  if (df == "channels_first" && s.rank() > 2) {
    // Keras moves channels last before flattening a channels_first tensor.
    std::vector<std::int64_t> perm{0};
    for (std::size_t i = 2; i < s.rank(); ++i) perm.push_back(static_cast<std::int64_t>(i));
    perm.push_back(1);
    INGOT_ASSIGN_OR_RETURN(value, ctx.add(ctx.name("channels_last"), "Transpose", {value}, {{"perm", perm}}));
  }
  const auto shape = ctx.open_reshape({s[0], s.num_elements() / std::max<std::int64_t>(s[0], 1)}, 1);
  return single_output(ctx.add(ctx.name(), "Reshape", {value}, {{"shape", shape}}));
}

Outputs import_reshape(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_ASSIGN_OR_RETURN(auto target, ctx.config.int_list("target_shape"));
  std::vector<std::int64_t> shape{ctx.shape()[0]};
  shape.insert(shape.end(), target.begin(), target.end());
  return single_output(ctx.add(ctx.name(), "Reshape", ctx.inputs, {{"shape", ctx.open_reshape(shape)}}));
}

Outputs import_permute(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_ASSIGN_OR_RETURN(auto dims, ctx.config.int_list("dims"));
  std::vector<std::int64_t> perm{0};  // Keras' dims are 1-based and leave the batch alone
  perm.insert(perm.end(), dims.begin(), dims.end());
  return single_output(ctx.add(ctx.name(), "Transpose", ctx.inputs, {{"perm", perm}}));
}

Outputs import_identity(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  return ctx.inputs;
}

Outputs import_batch_norm(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  std::int64_t axis = -1;
  if (const json* saved = ctx.config.get("axis"); saved != nullptr && saved->is_array()) {  // tf.keras 2.x writes [3]
    if (saved->size() != 1 || !(*saved)[0].is_number_integer()) {
      return ctx.error("key 'axis' must be one integer axis, got " + saved->dump());
    }
    axis = (*saved)[0].get<std::int64_t>();
  } else {
    INGOT_ASSIGN_OR_RETURN(axis, ctx.config.integer("axis", -1));
  }
  INGOT_ASSIGN_OR_RETURN(axis, checked_axis(ctx, axis));
  const std::int64_t channels = ctx.shape()[static_cast<std::size_t>(axis)];
  INGOT_ASSIGN_OR_RETURN(bool scale, ctx.config.boolean("scale", true));
  INGOT_ASSIGN_OR_RETURN(bool center, ctx.config.boolean("center", true));
  INGOT_ASSIGN_OR_RETURN(double epsilon, ctx.config.number("epsilon", 1e-3));
  AttrMap attrs{{"axis", axis}, {"epsilon", epsilon}};
  struct Role {
    const char* weight;
    const char* param;
    bool wanted;
  };
  for (const Role& r : {Role{"gamma", "scale", scale}, Role{"beta", "offset", center},
                        Role{"moving_mean", "mean", true}, Role{"moving_variance", "variance", true}}) {
    if (!r.wanted) continue;
    INGOT_ASSIGN_OR_RETURN(Tensor t, ctx.weight(r.weight));
    if (t.shape() != Shape{channels}) {
      return ctx.error(std::string("weight '") + r.weight + "' must have shape [" + std::to_string(channels) +
                       "] (the channels on axis " + std::to_string(axis) + "), got " + t.shape().to_string());
    }
    INGOT_ASSIGN_OR_RETURN(TensorRef ref, ctx.constant(r.weight, t));
    attrs[r.param] = ref;
  }
  return single_output(ctx.add(ctx.name(), "BatchNorm", ctx.inputs, std::move(attrs)));
}

}  // namespace ingot::keras
