// Helpers for the tests of the SSD ops (PriorBox, AnchorBoxes, Normalize, L2Normalization,
// DecodeDetections, and the Caffe ones: CaffePriorBox, CaffeNormalize, DetectionOutput, LRN), on
// top of op_test_util.h. Their numpy fixtures, including the cases copied from the Keras oracle,
// come from scripts/gen_op_fixtures_ssd.py and scripts/gen_op_fixtures_caffe.py.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace ingot::ssdtest {

// The single output shape of bind + infer on f32 inputs, or an empty shape after failing the test.
inline Shape infer_shape(std::string_view op, const AttrMap& attrs, const Shape& input,
                         const optest::Constants& constants = {}) {
  auto out = optest::infer(op, attrs, constants, optest::f32_infos({input}));
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok() || out->size() != 1) return Shape{};
  EXPECT_EQ((*out)[0].dtype, DType::f32);
  return (*out)[0].shape;
}

inline Status infer_status(std::string_view op, const AttrMap& attrs, const Shape& input,
                           const optest::Constants& constants = {}) {
  return optest::infer(op, attrs, constants, optest::f32_infos({input})).status();
}

// `names` must be exactly the cases of the fixture file, so a case dropped from or added to the
// generator cannot go unnoticed.
inline void expect_cases_listed(const std::string& file, std::vector<std::string> names) {
  std::vector<std::string> in_file = optest::fixture_case_names(file);
  std::sort(names.begin(), names.end());
  std::sort(in_file.begin(), in_file.end());
  EXPECT_EQ(names, in_file) << "cases of " << file
                            << " (regenerate with scripts/gen_op_fixtures_ssd.py or _caffe.py)";
}

// Every parameter carries a doc string a deployment engineer can act on.
inline void expect_documented(std::string_view op) {
  const OpDef& def = optest::op(op);
  EXPECT_FALSE(def.schema.doc.empty());
  for (const ParamSpec& p : def.schema.params) EXPECT_FALSE(p.doc.empty()) << p.name;
}

inline std::vector<double> values(const Tensor& t) {
  const auto v = t.data<float>();
  return {v.begin(), v.end()};
}

}  // namespace ingot::ssdtest
