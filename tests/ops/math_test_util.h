// Extra helpers for the tests of the normalization, elementwise and reduction ops, on top of
// op_test_util.h. Their numpy fixtures come from scripts/gen_op_fixtures_math.py.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace ingot::mathtest {

inline Tensor filled(const Shape& shape, float value) {
  Tensor t = Tensor::allocate(DType::f32, shape).value();
  for (float& v : t.mutable_data<float>()) v = value;
  return t;
}

// The single output shape of bind + infer, or an empty shape after failing the test.
inline Shape infer_shape(std::string_view op, const AttrMap& attrs,
                         const optest::Constants& constants, std::initializer_list<Shape> inputs) {
  auto out = optest::infer(op, attrs, constants, optest::f32_infos(inputs));
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok() || out->size() != 1) return Shape{};
  EXPECT_EQ((*out)[0].dtype, DType::f32);
  return (*out)[0].shape;
}

// Replays every case of a fixture file, and checks that `names` lists exactly the file's cases
// (so a case dropped from or added to the generator cannot go unnoticed).
inline void expect_fixture_cases(const std::string& file, std::vector<std::string> names,
                                 double rtol, double atol) {
  std::vector<std::string> in_file = optest::fixture_case_names(file);
  for (const std::string& name : names) optest::expect_fixture(file, name, rtol, atol);
  std::sort(names.begin(), names.end());
  std::sort(in_file.begin(), in_file.end());
  EXPECT_EQ(names, in_file) << "cases of " << file
                            << " (regenerate with scripts/gen_op_fixtures_math.py)";
}

}  // namespace ingot::mathtest
