// Helpers shared by the tests of the spatial and shape ops (ConvTranspose2D, AvgPool2D, Pad,
// Slice, Resize, Concat, Transpose, Reshape), on top of op_test_util.h. Their numpy fixtures
// come from scripts/gen_op_fixtures_spatial.py.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace ingot::spatialtest {

using L = std::vector<std::int64_t>;

// Irregular but deterministic f32 values: ((i * mul) % mod - mod / 2) / 16, exact in float32.
inline Tensor pattern(const Shape& shape, int mul = 37, int mod = 101) {
  Tensor t = Tensor::allocate(DType::f32, shape).value();
  auto v = t.mutable_data<float>();
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(static_cast<int>(i * mul % mod) - mod / 2) / 16.0f;
  return t;
}

inline Tensor i32_tensor(const Shape& shape, const std::vector<std::int32_t>& values) {
  Tensor t = Tensor::allocate(DType::i32, shape).value();
  auto v = t.mutable_data<std::int32_t>();
  EXPECT_EQ(v.size(), values.size());
  std::copy_n(values.begin(), std::min(v.size(), values.size()), v.begin());
  return t;
}

inline std::vector<std::int32_t> i32_values(const Tensor& t) {
  const auto v = t.data<std::int32_t>();
  return {v.begin(), v.end()};
}

// Replays `<name>_nhwc` and `<name>_nchw` of a fixture file.
inline void expect_both_layouts(const std::string& file, const std::string& name, double rtol,
                                double atol) {
  optest::expect_fixture(file, name + "_nhwc", rtol, atol);
  optest::expect_fixture(file, name + "_nchw", rtol, atol);
}

// The case names a test file lists must be exactly the fixture file's (each with both layout
// suffixes when `layouts`), so no generated case goes untested.
inline void expect_cases_listed(const std::string& file, const std::vector<std::string>& names,
                                bool layouts) {
  std::vector<std::string> listed;
  for (const auto& name : names) {
    if (layouts) {
      listed.push_back(name + "_nhwc");
      listed.push_back(name + "_nchw");
    } else {
      listed.push_back(name);
    }
  }
  std::vector<std::string> in_file = optest::fixture_case_names(file);
  std::sort(listed.begin(), listed.end());
  std::sort(in_file.begin(), in_file.end());
  EXPECT_EQ(listed, in_file);
}

}  // namespace ingot::spatialtest
