#include "runtime/self_test.h"

#include <algorithm>
#include <cmath>

#include "ir/passes.h"
#include "runtime/session.h"

namespace ingot::runtime {
namespace {

constexpr const char* kInputs = "test.inputs";
constexpr const char* kOutputs = "test.outputs";
constexpr const char* kValues = "test.values";
constexpr const char* kValueNames = "test.value_names";
constexpr const char* kSource = "test.outputs_source";

ValueCheck compare(const std::string& name, const std::string& role, const Tensor& got, const Tensor& want, double atol,
                   double rtol) {
  ValueCheck c{name, role};
  const auto g = got.data<float>();
  const auto w = want.data<float>();
  c.count = g.size();
  for (std::size_t i = 0; i < g.size(); ++i) {
    const double err = std::fabs(static_cast<double>(g[i]) - w[i]);
    const double scale = std::max(std::fabs(static_cast<double>(w[i])), 1e-30);
    if (!(err <= atol + rtol * std::fabs(w[i]))) ++c.mismatches;  // NaN counts as a mismatch
    c.max_abs = std::max(c.max_abs, err);
    c.max_rel = std::max(c.max_rel, err / scale);
  }
  return c;
}

Result<std::vector<std::string>> names(const ir::Graph& g, const char* key) {
  auto it = g.metadata.find(key);
  if (it == g.metadata.end()) return std::vector<std::string>{};
  const auto* list = std::get_if<std::vector<std::string>>(&it->second);
  if (list == nullptr) return bad_input("metadata " + quote(key) + " must be a string list, got " + attr_to_string(it->second));
  return *list;
}

Result<Tensor> stored(const ir::Graph& g, const std::string& name) {
  const ir::Constant* c = g.find_constant(name);
  if (c == nullptr) return bad_input("test vector " + quote(name) + " must be a constant of the file, got none of that name");
  return ir::decode_constant(*c);
}

Status add_vector(ir::Graph& g, const std::string& name, const Tensor& t) {
  if (g.find_constant(name)) return usage_error("store test vector " + quote(name) + ": a constant of that name exists");
  return g.add_constant(name, t.clone(), ir::Storage::raw);
}

}  // namespace

bool has_test_vectors(const ir::Graph& graph) { return graph.metadata.count(kInputs) > 0; }

Status embed_test_vectors(ir::Graph& graph, const TestVectorSpec& spec, const OpRegistry& registry, double atol,
                          double rtol) {
  PlanOptions keep;
  keep.keep_all_values = !spec.values.empty();
  INGOT_ASSIGN_OR_RETURN(Session session, Session::plan(graph, registry, keep));
  INGOT_ASSIGN_OR_RETURN_CTX(auto outputs, session.run(spec.inputs), "run the test inputs");
  if (!spec.expected.empty() && spec.expected.size() != outputs.size()) {
    return usage_error("--test-expected must be given once per model output (" + std::to_string(outputs.size()) + "), got " +
                       std::to_string(spec.expected.size()));
  }
  for (std::size_t i = 0; i < spec.expected.size(); ++i) {
    const Tensor& want = spec.expected[i];
    if (want.dtype() != DType::f32 || want.shape() != outputs[i].shape()) {
      return bad_input("--test-expected " + std::to_string(i) + " must be f32 " + outputs[i].shape().to_string() +
                       " like output " + quote(graph.outputs[i]) + ", got " + dtype_name(want.dtype()) + " " +
                       want.shape().to_string());
    }
    const ValueCheck c = compare(graph.outputs[i], "output", outputs[i], want, atol, rtol);
    if (!c.ok()) {
      return verification_error("check output " + std::to_string(i) + " " + quote(graph.outputs[i]) +
                                " against --test-expected: " + std::to_string(c.mismatches) + " of " +
                                std::to_string(c.count) + " values differ by more than " + std::to_string(atol) + " + " +
                                std::to_string(rtol) + " * |expected| (max abs error " + std::to_string(c.max_abs) +
                                "); the converted model does not compute what the source framework did");
    }
  }
  std::vector<std::string> in_names, out_names, value_constants;
  for (std::size_t i = 0; i < spec.inputs.size(); ++i) {
    in_names.push_back("test/input_" + std::to_string(i));
    INGOT_TRY(add_vector(graph, in_names.back(), spec.inputs[i]));
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    out_names.push_back("test/output_" + std::to_string(i));
    INGOT_TRY(add_vector(graph, out_names.back(), spec.expected.empty() ? outputs[i] : spec.expected[i]));
  }
  for (const std::string& v : spec.values) {
    const Tensor* t = session.value(v);
    if (t == nullptr) {
      std::string known;
      for (const auto& value : graph.values) known += (known.empty() ? "" : ", ") + value.name;
      if (known.size() > 300) known = known.substr(0, 297) + "...";
      return usage_error("--test-layers names " + quote(v) + ", which must be a value of the model (" + known + ")");
    }
    value_constants.push_back("test/value/" + v);
    INGOT_TRY(add_vector(graph, value_constants.back(), *t));
  }
  graph.metadata[kInputs] = in_names;
  graph.metadata[kOutputs] = out_names;
  graph.metadata[kValues] = value_constants;
  graph.metadata[kValueNames] = spec.values;
  graph.metadata[kSource] = std::string(spec.expected.empty() ? "ingot" : "reference");
  return {};
}

Result<SelfTestResult> run_test_vectors(const ir::Graph& graph, const OpRegistry& registry, double atol, double rtol,
                                        PlanOptions plan) {
  if (!has_test_vectors(graph)) {
    return usage_error("check test vectors: the file has none (convert with --test-input to store them)");
  }
  INGOT_ASSIGN_OR_RETURN(auto in_names, names(graph, kInputs));
  INGOT_ASSIGN_OR_RETURN(auto out_names, names(graph, kOutputs));
  INGOT_ASSIGN_OR_RETURN(auto value_constants, names(graph, kValues));
  INGOT_ASSIGN_OR_RETURN(auto value_names, names(graph, kValueNames));
  if (value_constants.size() != value_names.size() || out_names.size() != graph.outputs.size()) {
    return bad_input("check test vectors: metadata test.* must list one constant per output and per stored value");
  }
  std::vector<Tensor> inputs;
  for (const auto& n : in_names) {
    INGOT_ASSIGN_OR_RETURN(Tensor t, stored(graph, n));
    inputs.push_back(std::move(t));
  }
  plan.keep_all_values = true;
  INGOT_ASSIGN_OR_RETURN(Session session, Session::plan(graph, registry, plan));
  INGOT_ASSIGN_OR_RETURN_CTX(auto outputs, session.run(inputs), "run the stored test inputs");

  SelfTestResult result;
  if (auto it = graph.metadata.find(kSource); it != graph.metadata.end()) {
    if (const auto* s = std::get_if<std::string>(&it->second)) result.outputs_source = *s;
  }
  // Stored layers in execution order, so the first failing one is where values start to diverge.
  INGOT_ASSIGN_OR_RETURN(auto order, ir::topological_order(graph));
  for (std::size_t n : order) {
    for (const std::string& out : graph.nodes[n].outputs) {
      const auto at = std::find(value_names.begin(), value_names.end(), out);
      if (at == value_names.end()) continue;
      INGOT_ASSIGN_OR_RETURN(Tensor want, stored(graph, value_constants[static_cast<std::size_t>(at - value_names.begin())]));
      const Tensor* got = session.value(out);
      if (got == nullptr || got->shape() != want.shape()) return bad_input("stored value " + quote(out) + " has the wrong shape");
      result.checks.push_back(compare(out, "layer", *got, want, atol, rtol));
    }
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    INGOT_ASSIGN_OR_RETURN(Tensor want, stored(graph, out_names[i]));
    if (want.shape() != outputs[i].shape()) return bad_input("stored output " + std::to_string(i) + " has the wrong shape");
    result.checks.push_back(compare(graph.outputs[i], "output " + std::to_string(i), outputs[i], want, atol, rtol));
  }
  for (const ValueCheck& c : result.checks) {
    if (!c.ok()) {
      result.first_divergence = c.name;
      break;
    }
  }
  return result;
}

}  // namespace ingot::runtime
