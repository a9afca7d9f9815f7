// Elementwise ops on one f32 tensor of any shape (the activations): they share one shape rule
// (input 0 is f32; the output has its shape and dtype) and one loop, so an op file declares only
// its schema, its parameters and the function of one element.
//
//   OpDef make_Tanh_op() {
//     return ops::make_unary_op({.name = "Tanh", .doc = "tanh(x)."},
//                               [](float x) { return std::tanh(x); });
//   }
//
// The kernel writes y[i] = f(x[i]) front to back, reading x[i] before writing y[i], so it is
// also correct when the runtime runs it in place (output aliasing input).
#pragma once

#include <cmath>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "ops/common.h"

namespace ingot::ops {

struct NoParams {};

inline Result<std::vector<TensorInfo>> infer_unary(std::span<const TensorInfo> in) {
  INGOT_TRY(expect_f32(in, 0));
  return single(in[0]);
}

// `per_element(const P&, float) -> float` is the op's definition on one value; it must
// propagate NaN unless the op's definition says otherwise.
template <class P, class F>
OpDef make_unary_op(OpSchema schema, const ParamList<P>& params, F per_element) {
  static_assert(std::is_invocable_r_v<float, const F&, const P&, float>,
                "per_element must be callable as float(const P&, float)");
  return make_op<P>(
      std::move(schema), params,
      [](const P&, std::span<const TensorInfo> in) { return infer_unary(in); },
      [per_element](const P& p, const KernelArgs& args) {
        const auto x = args.inputs[0]->data<float>();
        auto y = args.outputs[0]->mutable_data<float>();
        for (std::size_t i = 0; i < x.size(); ++i) y[i] = per_element(p, x[i]);
      });
}

// A parameterless op: `per_element(float) -> float`.
template <class F>
OpDef make_unary_op(OpSchema schema, F per_element) {
  static_assert(std::is_invocable_r_v<float, const F&, float>,
                "per_element must be callable as float(float)");
  return make_unary_op(std::move(schema), ParamList<NoParams>(),
                       [per_element](const NoParams&, float x) { return per_element(x); });
}

// 1 / (1 + e^-x), shared by Sigmoid and Swish. For x < 0 it uses e^x / (1 + e^x): below
// x = -88.7, e^-x overflows float32 and the plain form returns 0, while e^x still gives the
// (subnormal) result down to x = -103.9. NaN stays NaN.
inline float stable_sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

}  // namespace ingot::ops
