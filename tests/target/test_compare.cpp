// Per-layer comparison: a deliberately damaged layer is named first (the values before it are
// exact), a compiled f16 model stays close everywhere and its folded values are reported as
// the reference's only, and classifier outputs get top-1 / top-5 agreement.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/compare.h"
#include "target/compile.h"
#include "target/target_test_util.h"

namespace ingot::targettest {
namespace test_compare {

ir::Graph chain() {
  return GraphBuilder(Shape{1, 12, 12, 3})
      .conv("c1", 8, 3, 1, 1)
      .relu("r1")
      .conv("c2", 8, 3, 1, 1)
      .batch_norm("bn2")
      .relu("r2")
      .conv("c3", 8, 3, 1, 1)
      .relu("r3")
      .pool("p3")
      .reshape("flat", Shape{1, 6 * 6 * 8})
      .dense("fc", 10)
      .softmax("prob")
      .done();
}

std::vector<std::vector<Tensor>> samples(std::size_t n) {
  std::vector<std::vector<Tensor>> out;
  for (std::size_t s = 0; s < n; ++s) {
    std::vector<float> v(12 * 12 * 3);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.7f * static_cast<float>(i + 31 * s)) * 3.0f;
    out.push_back({Tensor::from_floats(Shape{1, 12, 12, 3}, v)});
  }
  return out;
}

runtime::CompareReport compare(const ir::Graph& a, const ir::Graph& b, std::size_t n = 3) {
  auto r = runtime::compare_models(a, b, samples(n), default_registry());
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : runtime::CompareReport{};
}

const runtime::ValueError* find(const runtime::CompareReport& r, const std::string& name) {
  for (const auto& v : r.values) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

// The damaged copy: c2's weights with every other sign flipped.
ir::Graph damaged(const ir::Graph& g) {
  ir::Graph d = g;
  for (auto& c : d.constants) {
    if (c.name != "c2/w") continue;
    Tensor w = Tensor::allocate(DType::f32, c.shape()).value();
    const auto src = c.payload.data<float>();
    for (std::size_t i = 0; i < src.size(); ++i) w.mutable_data<float>()[i] = i % 2 ? -src[i] : src[i];
    c = ir::make_constant(c.name, w, ir::Storage::raw).value();
  }
  return d;
}

TEST(Compare, ADamagedLayerIsNamedFirstAndTheValuesBeforeItAreExact) {
  const ir::Graph g = chain();
  const auto r = compare(g, damaged(g));
  ASSERT_TRUE(r.jump);
  EXPECT_EQ(r.values[*r.jump].name, "c2");
  EXPECT_EQ(r.values[*r.jump].op, "Conv2D");
  for (const char* exact : {"c1", "r1"}) {
    const auto* v = find(r, exact);
    ASSERT_NE(v, nullptr) << exact;
    EXPECT_EQ(v->max_abs, 0.0) << exact;
    EXPECT_EQ(v->snr_db, runtime::kExactSnrDb) << exact;
    EXPECT_EQ(v->cosine, 1.0) << exact;
  }
  EXPECT_LT(find(r, "c2")->snr_db, 10.0);
  EXPECT_TRUE(r.only_in_reference.empty());
  EXPECT_EQ(r.samples, 3u);
}

TEST(Compare, TheDamagedLayerIsNamedEvenInAQuantizedModel) {
  // Compiled with codebook8 weights and f16 activations every layer adds noise; the broken
  // one adds far more, relative to its signal, than the first layer's quantization does.
  const ir::Graph g = chain();
  target::CompileOptions cb8;
  cb8.weights = ir::Storage::codebook8;
  auto compiled = target::compile(damaged(g), user_target(), cb8, default_registry());
  ASSERT_TRUE(compiled.ok()) << compiled.status().message();
  const auto r = compare(g, compiled->graph);
  ASSERT_TRUE(r.jump);
  EXPECT_EQ(r.values[*r.jump].name, "bn2");  // c2's output, under the name of the batch norm folded into it
  // Undamaged, the same layer adds noise at least 20 dB below that.
  auto healthy = target::compile(g, user_target(), cb8, default_registry());
  ASSERT_TRUE(healthy.ok());
  const auto h = compare(g, healthy->graph);
  ASSERT_NE(find(h, "bn2"), nullptr);
  EXPECT_LT(find(h, "bn2")->added_noise_db, find(r, "bn2")->added_noise_db - 20) << find(h, "bn2")->added_noise_db;
}

TEST(Compare, ACompiledF16ModelStaysCloseAndItsFoldedValuesAreTheReferencesOnly) {
  const ir::Graph g = chain();
  auto compiled = target::compile(g, shipped("dv700"), {}, default_registry());
  ASSERT_TRUE(compiled.ok()) << compiled.status().message();
  const auto r = compare(g, compiled->graph);
  // c2 computes bn2 now (folded), so 'c2' is only the reference's.
  EXPECT_NE(std::find(r.only_in_reference.begin(), r.only_in_reference.end(), "c2"), r.only_in_reference.end());
  ASSERT_NE(find(r, "bn2"), nullptr);
  for (const auto& v : r.values) {
    // f16 weights and activations: each rounding adds noise near 2^-11 relative (~ -66 dB);
    // a few layers stack them, so 45 dB is a wide margin that a real error would break.
    EXPECT_GT(v.snr_db, 45.0) << v.name;
    EXPECT_GT(v.cosine, 0.9999) << v.name;
  }
  ASSERT_EQ(r.classifiers.size(), 1u);
  EXPECT_EQ(r.classifiers[0].output, "prob");
  EXPECT_EQ(r.classifiers[0].rows, 3u);
  EXPECT_EQ(r.classifiers[0].top1, 1.0);
  EXPECT_EQ(r.classifiers[0].top5, 1.0);
}

TEST(Compare, IdenticalModelsAgreeEverywhere) {
  const auto r = compare(chain(), chain(), 2);
  EXPECT_FALSE(r.jump);
  for (const auto& v : r.values) EXPECT_EQ(v.snr_db, runtime::kExactSnrDb) << v.name;
  ASSERT_EQ(r.classifiers.size(), 1u);
  EXPECT_EQ(r.classifiers[0].top1, 1.0);
}

TEST(Compare, ModelsWithDifferentInputsOrNoSamplesAreRefused) {
  const ir::Graph other = GraphBuilder(Shape{1, 4, 4, 3}).relu("r").done();
  auto r = runtime::compare_models(chain(), other, samples(1), default_registry());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::usage);
  EXPECT_NE(r.status().message().find("the same inputs"), std::string::npos);
  r = runtime::compare_models(chain(), chain(), {}, default_registry());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("at least one input sample"), std::string::npos);
}

}  // namespace test_compare
}  // namespace ingot::targettest
