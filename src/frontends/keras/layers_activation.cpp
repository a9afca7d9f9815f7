// Activation layers and the activations fused into Conv/Dense configs.
#include <algorithm>

#include "frontends/keras/layer_context.h"
#include "frontends/keras/layers.h"

namespace ingot::keras {
namespace {

struct NamedActivation {
  const char* keras_name;
  const char* op;
  AttrMap (*attrs)();
};

AttrMap none() { return {}; }
AttrMap relu6() { return {{"max_value", 6.0}}; }

// Keras' built-in activation names (keras.activations) and the op each becomes.
constexpr NamedActivation kActivations[] = {
    {"relu", "ReLU", none},           {"relu6", "ReLU", relu6},
    {"sigmoid", "Sigmoid", none},     {"hard_sigmoid", "HardSigmoid", none},
    {"tanh", "Tanh", none},           {"softmax", "Softmax", none},
    {"elu", "Elu", none},             {"selu", "Selu", none},
    {"softplus", "Softplus", none},   {"softsign", "Softsign", none},
    {"swish", "Swish", none},         {"exponential", "Exp", none},
};

}  // namespace

Result<std::string> add_activation(LayerContext& ctx, const std::string& value, const std::string& activation,
                                   const std::string& node_name) {
  if (activation == "linear") return value;
  for (const auto& a : kActivations) {
    if (activation == a.keras_name) return ctx.add(node_name, a.op, {value}, a.attrs());
  }
  std::string known = "\"linear\"";
  for (const auto& a : kActivations) known += std::string(", \"") + a.keras_name + "\"";
  return ctx.error("key 'activation' must be one of " + known + ", got \"" + activation + "\"");
}

std::string main_node_name(const LayerContext& ctx, const std::string& activation, const std::string& op_suffix) {
  return activation == "linear" ? ctx.name() : ctx.name(op_suffix);
}

Result<std::string> activation_of(const LayerContext& ctx) {
  if (ctx.config.has("activation") && !ctx.config.raw()["activation"].is_string()) {
    return ctx.error("key 'activation' must be a built-in activation name, got " + ctx.config.raw()["activation"].dump());
  }
  return ctx.config.string("activation", "linear");
}

Outputs import_activation(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_ASSIGN_OR_RETURN(std::string act, activation_of(ctx));
  if (act == "linear") return ctx.inputs;
  return single_output(add_activation(ctx, ctx.inputs[0], act, ctx.name()));
}

Outputs import_relu(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  AttrMap attrs;
  INGOT_ASSIGN_OR_RETURN(auto max_value, ctx.config.optional_number("max_value"));
  if (max_value) attrs["max_value"] = *max_value;
  INGOT_ASSIGN_OR_RETURN(double slope, ctx.config.number("negative_slope", 0.0));
  INGOT_ASSIGN_OR_RETURN(double threshold, ctx.config.number("threshold", 0.0));
  if (slope != 0.0) attrs["negative_slope"] = slope;
  if (threshold != 0.0) attrs["threshold"] = threshold;
  return single_output(ctx.add(ctx.name(), "ReLU", ctx.inputs, std::move(attrs)));
}

Outputs import_leaky_relu(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_ASSIGN_OR_RETURN(double alpha, ctx.config.number("alpha", 0.3));
  return single_output(ctx.add(ctx.name(), "ReLU", ctx.inputs, {{"negative_slope", alpha}}));
}

Outputs import_prelu(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  // Keras stores alpha with the input's shape minus the batch, shared axes set to 1, so it
  // broadcasts against the input as it is.
  INGOT_ASSIGN_OR_RETURN(Tensor alpha, ctx.weight("alpha"));
  // shared_axes (1-based, the batch excluded) shaped alpha when the model was built: check that
  // the stored alpha agrees rather than trust either alone.
  const Shape& in = ctx.shape();
  std::vector<std::int64_t> want(in.dims().begin() + 1, in.dims().end());
  if (ctx.config.has("shared_axes")) {
    std::vector<std::int64_t> axes;
    if (ctx.config.get("shared_axes")->is_number_integer()) {
      INGOT_ASSIGN_OR_RETURN(axes, ctx.config.ints("shared_axes", 1, 0));
    } else {
      INGOT_ASSIGN_OR_RETURN(axes, ctx.config.int_list("shared_axes"));
    }
    for (std::int64_t a : axes) {
      if (a < 1 || a > static_cast<std::int64_t>(want.size())) {
        return ctx.error("key 'shared_axes' must list axes in [1, " + std::to_string(want.size()) + "] for an input of shape " +
                         in.to_string() + ", got " + json(axes).dump());
      }
      want[static_cast<std::size_t>(a - 1)] = 1;
    }
  } else {
    ctx.config.defaulted("shared_axes", nullptr);
  }
  if (alpha.shape() != Shape(want)) {
    return ctx.error("weight 'alpha' must have shape " + Shape(want).to_string() +
                     " (the input shape without the batch, 1 on shared_axes), got " + alpha.shape().to_string());
  }
  INGOT_ASSIGN_OR_RETURN(TensorRef ref, ctx.constant("alpha", alpha));
  return single_output(ctx.add(ctx.name(), "PReLU", ctx.inputs, {{"alpha", ref}}));
}

Outputs import_elu(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_ASSIGN_OR_RETURN(double alpha, ctx.config.number("alpha", 1.0));
  return single_output(ctx.add(ctx.name(), "Elu", ctx.inputs, {{"alpha", alpha}}));
}

Outputs import_thresholded_relu(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_ASSIGN_OR_RETURN(double theta, ctx.config.number("theta", 1.0));
  return single_output(ctx.add(ctx.name(), "ThresholdedReLU", ctx.inputs, {{"theta", theta}}));
}

Outputs import_softmax(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, 1));
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.config.integer("axis", -1));
  return single_output(ctx.add(ctx.name(), "Softmax", ctx.inputs, {{"axis", axis}}));
}

}  // namespace ingot::keras
