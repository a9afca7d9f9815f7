// Shared helpers for tests/ops: bind a built-in op from attributes and named constants, run its
// shape rule, run its reference kernel, compare against expected values, and replay the numpy
// fixtures written by scripts/gen_op_fixtures.py (tests/fixtures/ops/<op>.json).
#pragma once

#include <cstring>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ingot/op.h"
#include "ops/registry.h"

namespace ingot::optest {

using Constants = std::map<std::string, Tensor, std::less<>>;

// The built-in ops, isolated from anything added to default_registry().
inline const OpRegistry& registry() {
  static const OpRegistry r = builtin_registry();
  return r;
}

inline const OpDef& op(std::string_view name) {
  const OpDef* def = registry().find(name);
  if (def == nullptr) throw std::runtime_error("no built-in op " + std::string(name));
  return *def;
}

inline TensorLookup lookup_in(const Constants& constants) {
  return [&constants](std::string_view name) -> const Tensor* {
    auto it = constants.find(name);
    return it == constants.end() ? nullptr : &it->second;
  };
}

// Attribute checks and reading only (what a schema test exercises).
inline Status bind_status(std::string_view name, const AttrMap& attrs,
                          const Constants& constants = {}) {
  return op(name).bind(attrs, lookup_in(constants)).status();
}

// bind + infer.
inline Result<std::vector<TensorInfo>> infer(std::string_view name, const AttrMap& attrs,
                                             const Constants& constants,
                                             const std::vector<TensorInfo>& inputs) {
  const OpDef& def = op(name);
  INGOT_ASSIGN_OR_RETURN(auto params, def.bind(attrs, lookup_in(constants)));
  return def.infer(params.get(), inputs);
}

inline std::vector<TensorInfo> f32_infos(std::initializer_list<Shape> shapes) {
  std::vector<TensorInfo> out;
  for (const Shape& s : shapes) out.push_back({s, DType::f32});
  return out;
}

// bind + infer + allocate the outputs + reference kernel: what the runtime does for one node.
inline Result<std::vector<Tensor>> run(std::string_view name, const AttrMap& attrs,
                                       const Constants& constants,
                                       const std::vector<Tensor>& inputs) {
  const OpDef& def = op(name);
  INGOT_ASSIGN_OR_RETURN(auto params, def.bind(attrs, lookup_in(constants)));
  std::vector<TensorInfo> infos;
  std::vector<const Tensor*> in_ptrs;
  for (const Tensor& t : inputs) {
    infos.push_back({t.shape(), t.dtype()});
    in_ptrs.push_back(&t);
  }
  INGOT_ASSIGN_OR_RETURN(auto out_infos, def.infer(params.get(), infos));
  std::vector<Tensor> outputs;
  std::vector<Tensor*> out_ptrs;
  for (const TensorInfo& info : out_infos) {
    INGOT_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(info.dtype, info.shape));
    // The runtime hands kernels arena memory holding earlier values: poison it so a kernel
    // that reads its output before writing every element fails here.
    if (t.byte_size() > 0) std::memset(t.mutable_bytes(), 0xFF, t.byte_size());
    outputs.push_back(std::move(t));
  }
  for (Tensor& t : outputs) out_ptrs.push_back(&t);
  if (!def.kernel) return unsupported("run op " + quote(std::string(name)) + ": it has no kernel");
  def.kernel(params.get(), KernelArgs{in_ptrs, out_ptrs});
  return outputs;
}

// Runs an op with one output and returns it (fails the test and returns an empty tensor on error).
inline Tensor run1(std::string_view name, const AttrMap& attrs, const Constants& constants,
                   const std::vector<Tensor>& inputs) {
  auto out = run(name, attrs, constants, inputs);
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok() || out->size() != 1) return Tensor();
  return std::move((*out)[0]);
}

inline Tensor tensor(const Shape& shape, const std::vector<float>& values) {
  return Tensor::from_floats(shape, values);
}

// A Status that must be an error whose message contains every fragment.
inline ::testing::AssertionResult fails_with(const Status& st,
                                             std::initializer_list<std::string_view> fragments) {
  if (st.ok()) return ::testing::AssertionFailure() << "expected an error, got success";
  for (std::string_view f : fragments) {
    if (st.message().find(f) == std::string::npos) {
      return ::testing::AssertionFailure() << "message lacks \"" << f << "\": " << st.message();
    }
  }
  return ::testing::AssertionSuccess() << st.message();
}
template <class T>
::testing::AssertionResult fails_with(const Result<T>& r,
                                      std::initializer_list<std::string_view> fragments) {
  return fails_with(r.status(), fragments);
}

// Elementwise |got - want| <= atol + rtol * |want|, with the same shape. Reports the worst
// element so a failure points at an index.
inline ::testing::AssertionResult all_close(const Tensor& got, const Shape& shape,
                                            const std::vector<double>& want, double rtol,
                                            double atol) {
  if (got.empty()) return ::testing::AssertionFailure() << "no output tensor";
  if (got.dtype() != DType::f32 || got.shape() != shape) {
    return ::testing::AssertionFailure()
           << "expected f32 " << shape.to_string() << ", got " << dtype_name(got.dtype()) << " "
           << got.shape().to_string();
  }
  const auto data = got.data<float>();
  if (data.size() != want.size())
    return ::testing::AssertionFailure() << "expected " << want.size() << " values";
  std::size_t bad = 0, worst = 0;
  double worst_excess = 0.0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double err = std::abs(static_cast<double>(data[i]) - want[i]);
    const double excess = err - (atol + rtol * std::abs(want[i]));
    if (excess > 0 || std::isnan(err)) {
      if (bad == 0 || excess > worst_excess || std::isnan(err)) worst = i, worst_excess = excess;
      ++bad;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << want.size() << " values differ; worst at flat index " << worst
         << ": got " << data[worst] << ", want " << want[worst] << " (rtol " << rtol << ", atol "
         << atol << ")";
}
inline ::testing::AssertionResult all_close(const Tensor& got, const Tensor& want, double rtol,
                                            double atol) {
  const auto w = want.data<float>();
  return all_close(got, want.shape(), std::vector<double>(w.begin(), w.end()), rtol, atol);
}

// NHWC <-> NCHW, for checking that both layouts give the same numbers.
inline Tensor nhwc_to_nchw(const Tensor& t) {
  const Shape& s = t.shape();
  const std::int64_t n = s[0], h = s[1], w = s[2], c = s[3];
  Tensor out = Tensor::allocate(DType::f32, Shape{n, c, h, w}).value();
  const auto x = t.data<float>();
  auto y = out.mutable_data<float>();
  for (std::int64_t i = 0; i < n * h * w * c; ++i) {
    const std::int64_t ci = i % c, wi = i / c % w, hi = i / (c * w) % h, ni = i / (c * w * h);
    y[((ni * c + ci) * h + hi) * w + wi] = x[i];
  }
  return out;
}

// ----------------------------------------------------------------------------- numpy fixtures

inline const nlohmann::json& fixture_file(const std::string& file) {
  static std::map<std::string, nlohmann::json> cache;
  auto it = cache.find(file);
  if (it != cache.end()) return it->second;
  const std::string path = std::string(INGOT_FIXTURES_DIR) + "/ops/" + file;
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("open fixture " + path +
                             " (regenerate with scripts/gen_op_fixtures.py)");
  return cache.emplace(file, nlohmann::json::parse(in)).first->second;
}

inline Shape json_shape(const nlohmann::json& t) {
  return Shape(t.at("shape").get<std::vector<std::int64_t>>());
}

// Inputs and weights are float32 values written in shortest round-trip form.
inline Tensor json_tensor(const nlohmann::json& t) {
  const auto values = t.at("data").get<std::vector<double>>();
  return tensor(json_shape(t), std::vector<float>(values.begin(), values.end()));
}

inline AttrValue json_attr(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && !v.empty() && v[0].is_string()) return v.get<std::vector<std::string>>();
  if (v.is_array() && !v.empty() && v[0].is_number_integer())
    return v.get<std::vector<std::int64_t>>();
  if (v.is_array()) return v.get<std::vector<double>>();
  throw std::runtime_error("fixture attribute of unsupported JSON type: " + v.dump());
}

// Replays case `name` of fixture `file`: tensor parameters become constants of the same name,
// the op runs, and each output must match numpy's float64 result within atol + rtol * |want|.
inline void expect_fixture(const std::string& file, std::string_view name, double rtol,
                           double atol) {
  SCOPED_TRACE(file + " case " + std::string(name));
  const nlohmann::json& root = fixture_file(file);
  const nlohmann::json* found = nullptr;
  for (const auto& c : root.at("cases")) {
    if (c.at("name") == name) found = &c;
  }
  ASSERT_NE(found, nullptr) << "no such case (regenerate with scripts/gen_op_fixtures.py?)";
  const nlohmann::json& c = *found;
  AttrMap attrs;
  for (const auto& [key, value] : c.at("attrs").items()) attrs[key] = json_attr(value);
  Constants constants;
  if (c.contains("tensors")) {
    for (const auto& [key, value] : c.at("tensors").items()) {
      constants[key] = json_tensor(value);
      attrs[key] = TensorRef{key};
    }
  }
  std::vector<Tensor> inputs;
  for (const auto& t : c.at("inputs")) inputs.push_back(json_tensor(t));
  auto out = run(root.at("op").get<std::string>(), attrs, constants, inputs);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const auto& expected = c.at("outputs");
  ASSERT_EQ(out->size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(all_close((*out)[i], json_shape(expected[i]),
                          expected[i].at("data").get<std::vector<double>>(), rtol, atol))
        << "output " << i;
  }
}

// Names of all cases in a fixture file (to check that every case is exercised somewhere).
inline std::vector<std::string> fixture_case_names(const std::string& file) {
  std::vector<std::string> names;
  for (const auto& c : fixture_file(file).at("cases"))
    names.push_back(c.at("name").get<std::string>());
  return names;
}

}  // namespace ingot::optest
