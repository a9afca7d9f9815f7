// Merge layers: Concatenate and the elementwise ones.
#include "frontends/keras/layers.h"

namespace ingot::keras {
namespace {

Outputs elementwise(LayerContext& ctx, const std::string& op, std::size_t min_inputs, std::size_t max_inputs) {
  INGOT_TRY(ctx.expect_inputs(min_inputs, max_inputs));
  return single_output(ctx.add(ctx.name(), op, ctx.inputs));
}

constexpr std::size_t kMany = 1 << 16;

}  // namespace

Outputs import_concatenate(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_inputs(1, kMany));
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.config.integer("axis", -1));
  INGOT_ASSIGN_OR_RETURN(axis, checked_axis(ctx, axis));
  return single_output(ctx.add(ctx.name(), "Concat", ctx.inputs, {{"axis", axis}}));
}

Outputs import_add(LayerContext& ctx) { return elementwise(ctx, "Add", 2, kMany); }
Outputs import_subtract(LayerContext& ctx) { return elementwise(ctx, "Sub", 2, 2); }
Outputs import_multiply(LayerContext& ctx) { return elementwise(ctx, "Mul", 2, kMany); }
Outputs import_maximum(LayerContext& ctx) { return elementwise(ctx, "Maximum", 2, kMany); }
Outputs import_minimum(LayerContext& ctx) { return elementwise(ctx, "Minimum", 2, kMany); }
Outputs import_average(LayerContext& ctx) { return elementwise(ctx, "Mean", 2, kMany); }

}  // namespace ingot::keras
