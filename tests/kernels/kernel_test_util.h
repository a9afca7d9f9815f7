// Optimized kernels against their reference kernels: one-op (or small) graphs planned twice,
// once with PlanOptions::reference and once optimized, run on the same random inputs.
//
// Tolerance, derived from float arithmetic rather than tuned: a kernel that sums K products
// in another order than the reference differs from the exact sum by at most gamma_K * M, with
// gamma_K = K u / (1 - K u), u = 2^-24 and M = sum |x_i w_i| (the same graph run on |x| and
// |w|); two such sums differ by at most 2 gamma_K M. We allow that plus 1e-30 for exact zeros.
// Ops that do not sum (max pooling, clamps) must match exactly; transcendental ones (sigmoid,
// softmax) use the relative bound their test states.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kernels/cpu_level.h"
#include "ir/passes.h"
#include "runtime/session.h"

namespace ingot::testing_kernels {

inline Tensor random_tensor(const Shape& shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = Tensor::allocate(DType::f32, shape).value();
  std::uniform_real_distribution<float> d(lo, hi);
  for (float& v : t.mutable_data<float>()) v = d(rng);
  return t;
}

inline Tensor abs_of(const Tensor& t) {
  Tensor out = t.clone();
  for (float& v : out.mutable_data<float>()) v = std::fabs(v);
  return out;
}

// A graph of one node "op" reading inputs x0, x1, ... with constants given as logical tensors.
struct OneOp {
  std::string op;
  AttrMap attrs;
  std::vector<std::pair<std::string, Tensor>> constants;  // referenced from attrs by name
  std::vector<Tensor> inputs;
  ir::Storage storage = ir::Storage::raw;

  Result<ir::Graph> graph(bool magnitudes) const {
    ir::Graph g;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      names.push_back("x" + std::to_string(i));
      g.add_input(names.back(), inputs[i].shape());
    }
    for (const auto& [name, t] : constants) INGOT_TRY(g.add_constant(name, magnitudes ? abs_of(t) : t, storage));
    g.add_node("op", op, names, attrs);
    g.add_output("op");
    INGOT_TRY(ir::infer_shapes(g, default_registry()));
    return g;
  }
};

struct Comparison {
  Tensor reference, optimized, magnitude;
  std::string kernel;  // what the optimized plan ran for node "op"
};

// The library that runs Conv2D / Dense when `library` is asked for: oneDNN needs SSE4.1, so
// at INGOT_CPU_LEVEL=sse2 XNNPACK runs them.
inline const char* expected_library(kernels::ConvLibrary library) {
  return library == kernels::ConvLibrary::onednn && kernels::onednn_allowed() ? "onednn" : "xnnpack";
}

// keep_all_values: no plan pass runs (as with --dump-all), so the node runs on its own kernel
// even where a pass would rewrite it (an NCHW Conv2D then runs through the NCHW adapter).
inline Result<Comparison> compare_paths(const OneOp& c, int threads = 1,
                                        kernels::ConvLibrary library = kernels::ConvLibrary::onednn,
                                        bool keep_all_values = false, bool winograd = true) {
  Comparison out;
  INGOT_ASSIGN_OR_RETURN(ir::Graph g, c.graph(false));
  runtime::PlanOptions ref;
  ref.reference = true;
  INGOT_ASSIGN_OR_RETURN(auto ref_session, runtime::Session::plan(g, default_registry(), ref));
  INGOT_ASSIGN_OR_RETURN(auto ref_out, ref_session.run(c.inputs));
  out.reference = std::move(ref_out[0]);
  runtime::PlanOptions opt;
  opt.threads = threads;
  opt.conv_library = library;
  opt.keep_all_values = keep_all_values;
  opt.winograd = winograd;
  INGOT_ASSIGN_OR_RETURN(auto opt_session, runtime::Session::plan(g, default_registry(), opt));
  INGOT_ASSIGN_OR_RETURN(auto opt_out, opt_session.run(c.inputs));
  out.optimized = std::move(opt_out[0]);
  for (const auto& step : opt_session.profile_template())
    if (step.node == "op") out.kernel = step.kernel;
  INGOT_ASSIGN_OR_RETURN(ir::Graph gm, c.graph(true));
  std::vector<Tensor> abs_inputs;
  for (const Tensor& t : c.inputs) abs_inputs.push_back(abs_of(t));
  INGOT_ASSIGN_OR_RETURN(auto mag_session, runtime::Session::plan(gm, default_registry(), ref));
  INGOT_ASSIGN_OR_RETURN(auto mag_out, mag_session.run(abs_inputs));
  out.magnitude = std::move(mag_out[0]);
  return out;
}

// |optimized - reference| <= 2 gamma_K magnitude (+1e-30), element by element.
inline ::testing::AssertionResult within_summation_bound(const Comparison& c, double terms) {
  if (c.optimized.shape() != c.reference.shape())
    return ::testing::AssertionFailure() << "shape " << c.optimized.shape().to_string() << " vs "
                                         << c.reference.shape().to_string();
  const double u = std::ldexp(1.0, -24);
  const double gamma = terms * u / (1 - terms * u);
  const auto got = c.optimized.data<float>(), want = c.reference.data<float>(), mag = c.magnitude.data<float>();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double bound = 2 * gamma * mag[i] + 1e-30;
    if (!(std::fabs(double(got[i]) - double(want[i])) <= bound))
      return ::testing::AssertionFailure() << "element " << i << ": optimized " << got[i] << ", reference " << want[i]
                                           << ", bound " << bound << " (K = " << terms << ")";
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult bit_equal(const Tensor& a, const Tensor& b) {
  if (a.bit_equal(b)) return ::testing::AssertionSuccess();
  if (a.shape() != b.shape()) return ::testing::AssertionFailure() << "shapes differ";
  const auto x = a.data<float>(), y = b.data<float>();
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] != y[i]) return ::testing::AssertionFailure() << "element " << i << ": " << x[i] << " vs " << y[i];
  return ::testing::AssertionFailure() << "bytes differ";
}

}  // namespace ingot::testing_kernels
