// Self-checking models: test vectors stored inside the .ingot file, re-run by `ingot check`.
//
// Stored as ordinary f32 constants that no node references, named "test/input_N",
// "test/output_N" and "test/value/<value name>", listed by metadata:
//   test.inputs, test.outputs, test.values   string lists of those constant names
//   test.value_names                          the graph values test.values hold, in order
//   test.outputs_source                       where the expected outputs come from: "reference"
//                                             (--test-expected, computed by the source framework
//                                             before saving) or "ingot" (computed at conversion)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"
#include "runtime/session.h"

namespace ingot::runtime {

struct TestVectorSpec {
  std::vector<Tensor> inputs;                 // one per graph input
  std::vector<Tensor> expected;               // empty, or one per graph output (a reference)
  std::vector<std::string> values;            // intermediate values to store as well
};

// Runs `graph` once on spec.inputs and stores inputs, outputs (spec.expected when given, else
// ingot's own) and the named intermediate values in the graph. With `expected` given, ingot's
// outputs must already match it within atol + rtol * |expected| (a conversion that loses a
// parameter fails here rather than in the field).
Status embed_test_vectors(ir::Graph& graph, const TestVectorSpec& spec, const OpRegistry& registry, double atol,
                          double rtol);

struct ValueCheck {
  std::string name;     // graph value
  std::string role;     // "output N" or "layer"
  double max_abs = 0;   // max |got - want|
  double max_rel = 0;   // max |got - want| / max(|want|, tiny)
  std::size_t mismatches = 0;
  std::size_t count = 0;
  bool ok() const { return mismatches == 0; }
};

struct SelfTestResult {
  std::string outputs_source;
  std::vector<ValueCheck> checks;          // stored layers in execution order, then outputs
  std::optional<std::string> first_divergence;  // the first value (execution order) that fails
  bool ok() const { return !first_divergence; }
};

// Whether `graph` carries test vectors.
bool has_test_vectors(const ir::Graph& graph);

// Re-runs the stored test vectors and compares every stored value.
// `plan` chooses kernels and threads; every value is kept whatever it says.
Result<SelfTestResult> run_test_vectors(const ir::Graph& graph, const OpRegistry& registry, double atol, double rtol,
                                        PlanOptions plan = {});

}  // namespace ingot::runtime
