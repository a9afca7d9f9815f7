// Compiling for a target: batch norm and scale fold into the device runs' convolution weights
// (the stored weights are the fused ones), a zero Pad into the convolution's padding, the
// device runs' weights take the target's storage, the record names every run, the bytes are
// deterministic, and what the target cannot take is refused before anything changes.
#include <gtest/gtest.h>

#include <cmath>

#include "format/format.h"
#include "ir/builder.h"
#include "runtime/session.h"
#include "target/compile.h"
#include "target/target_test_util.h"

namespace ingot::targettest {
namespace test_compile {

// pad -> conv -> bn -> scale -> relu -> pool on the device, then the host's Dense.
ir::Graph conv_net() {
  return GraphBuilder(Shape{1, 10, 10, 3})
      .pad("pad", 1)
      .conv("conv", 8, 3)
      .batch_norm("bn")
      .scale("sc")
      .relu("relu")
      .pool("pool")
      .reshape("flat", Shape{1, 5 * 5 * 8})
      .dense("fc", 4)
      .done();
}

Tensor input(Shape shape) {
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37f * static_cast<float>(i)) * 2.0f;
  return Tensor::from_floats(shape, v);
}

std::vector<Tensor> run_reference(const ir::Graph& g, const Tensor& x) {
  runtime::PlanOptions reference;
  reference.reference = true;
  reference.device_numerics = false;  // the folds are under test here, not the f16 activations
  auto s = runtime::Session::plan(g, default_registry(), reference);
  EXPECT_TRUE(s.ok()) << s.status().message();
  auto out = s->run(std::vector<Tensor>{x});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? *out : std::vector<Tensor>{};
}

target::Compiled compile_or_die(const ir::Graph& g, const target::Target& t, target::CompileOptions options = {}) {
  auto c = target::compile(g, t, options, default_registry());
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : target::Compiled{};
}

const Tensor& constant_of(const ir::Graph& g, const ir::Node& node, const char* param, std::vector<Tensor>& keep) {
  const auto& ref = std::get<TensorRef>(node.attrs.at(param));
  keep.push_back(*ir::decode_constant(*g.find_constant(ref.name)));
  return keep.back();
}

TEST(Compile, FoldsPadBatchNormAndScaleIntoTheConvolution) {
  const ir::Graph g = conv_net();
  target::CompileOptions f32;
  f32.weights = ir::Storage::raw;
  const target::Compiled c = compile_or_die(g, user_target(), f32);
  // Pad, BatchNorm and Scale are gone; the convolution writes the Scale's output name, so a
  // reader (and --dump-all) still finds 'sc'... and the ReLU reads it.
  std::vector<std::string> ops;
  for (const auto& n : c.graph.nodes) ops.push_back(n.op);
  EXPECT_EQ(ops, (std::vector<std::string>{"Input", "Conv2D", "ReLU", "MaxPool2D", "Reshape", "Dense"}));
  const ir::Node* conv = c.graph.find_node("conv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->outputs[0], "sc");
  EXPECT_EQ(conv->inputs[0], "x");
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(conv->attrs.at("pads")), (std::vector<std::int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(c.log.size(), 3u);

  // The stored weights are W[o] * m[o] with m = gamma / sqrt(var + eps) * s, computed here
  // from the source parameters in double.
  std::vector<Tensor> keep;
  const auto w0 = constant_of(g, *g.find_node("conv"), "weights", keep).data<float>();
  const auto b0 = constant_of(g, *g.find_node("conv"), "bias", keep).data<float>();
  const auto mean = constant_of(g, *g.find_node("bn"), "mean", keep).data<float>();
  const auto var = constant_of(g, *g.find_node("bn"), "variance", keep).data<float>();
  const auto gamma = constant_of(g, *g.find_node("bn"), "scale", keep).data<float>();
  const auto beta = constant_of(g, *g.find_node("bn"), "offset", keep).data<float>();
  const auto s = constant_of(g, *g.find_node("sc"), "scale", keep).data<float>();
  const auto w1 = constant_of(c.graph, *conv, "weights", keep).data<float>();
  const auto b1 = constant_of(c.graph, *conv, "bias", keep).data<float>();
  const std::size_t per = w0.size() / 8;
  for (std::size_t o = 0; o < 8; ++o) {
    const double m = gamma[o] / std::sqrt(double(var[o]) + 1e-3);
    // f32 products of f32-rounded factors: within a few ulps of the double result.
    for (std::size_t k = 0; k < per; ++k) EXPECT_NEAR(w1[o * per + k], w0[o * per + k] * m * s[o], 4e-7 * std::fabs(m * s[o])) << o;
    EXPECT_NEAR(b1[o], ((b0[o] - mean[o]) * m + beta[o]) * s[o], 1e-6) << o;
  }
  // And the compiled graph computes what the source graph does (f32 weights: only float
  // reassociation separates them, well within 1e-5 of the output's scale).
  const Tensor x = input(Shape{1, 10, 10, 3});
  const auto want = run_reference(g, x), got = run_reference(c.graph, x);
  ASSERT_EQ(want.size(), 1u);
  ASSERT_EQ(got.size(), 1u);
  float scale = 0;
  for (float v : want[0].data<float>()) scale = std::max(scale, std::fabs(v));
  for (std::size_t i = 0; i < want[0].data<float>().size(); ++i) {
    EXPECT_NEAR(got[0].data<float>()[i], want[0].data<float>()[i], 1e-5 * scale) << i;
  }
}

TEST(Compile, TheRecordNamesEveryRunAndItsSourceLayers) {
  const target::Compiled c = compile_or_die(conv_net(), user_target());
  ASSERT_TRUE(c.graph.compilation);
  const ir::Compilation& r = *c.graph.compilation;
  EXPECT_EQ(r.target, "my-npu");
  EXPECT_EQ(r.activations, DType::f16);
  EXPECT_EQ(r.accumulation, DType::f32);
  EXPECT_EQ(r.weights, ir::Storage::f16);
  EXPECT_NE(r.target_text.find("\"my-npu\""), std::string::npos);
  ASSERT_EQ(r.runs.size(), 3u);
  EXPECT_TRUE(r.runs[0].on_device);
  EXPECT_EQ(r.runs[0].fusion, "padded conv");
  EXPECT_EQ(r.runs[0].nodes, (std::vector<std::string>{"conv", "relu", "pool"}));
  EXPECT_EQ(r.runs[0].layers, (std::vector<std::string>{"pad", "conv", "bn", "sc", "relu", "pool"}));
  EXPECT_GE(r.runs[0].tiles, 1);
  EXPECT_FALSE(r.runs[1].on_device);  // Reshape: not a device op of my-npu
  EXPECT_FALSE(r.runs[2].on_device);  // Dense
  EXPECT_EQ(r.runs[2].nodes, (std::vector<std::string>{"fc"}));
  // It survives the file.
  auto bytes = format::serialize(c.graph);
  ASSERT_TRUE(bytes.ok());
  auto back = format::parse_model(*bytes, nullptr, default_registry(), "c.ingot");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_TRUE(back->compilation);
  EXPECT_EQ(back->compilation->runs[0].layers, r.runs[0].layers);
}

TEST(Compile, DeviceWeightsTakeTheTargetsStorageAndHostWeightsStayF32) {
  const ir::Graph g = conv_net();
  for (const ir::Storage storage : {ir::Storage::f16, ir::Storage::codebook8}) {
    target::CompileOptions options;
    options.weights = storage;
    const target::Compiled c = compile_or_die(g, shipped("dv700"), options);
    const auto storage_of = [&](const char* node, const char* param) {
      const auto& ref = std::get<TensorRef>(c.graph.find_node(node)->attrs.at(param));
      return c.graph.find_constant(ref.name)->storage;
    };
    EXPECT_EQ(storage_of("conv", "weights"), storage);  // the layer weights
    EXPECT_EQ(storage_of("conv", "bias"), ir::Storage::f16);
    EXPECT_EQ(storage_of("fc", "weights"), ir::Storage::raw);  // dv700 runs Dense on the host
    EXPECT_EQ(c.graph.compilation->weights, storage);
  }
}

TEST(Compile, SameModelSameBytesWhateverTheThreads) {
  const ir::Graph g = conv_net();
  target::CompileOptions one, two;
  one.weights = two.weights = ir::Storage::codebook8;
  one.threads = 1;
  two.threads = 2;
  const auto a = format::serialize(compile_or_die(g, shipped("dv700"), one).graph);
  const auto b = format::serialize(compile_or_die(g, shipped("dv700"), two).graph);
  const auto c = format::serialize(compile_or_die(g, shipped("dv700"), one).graph);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);
}

TEST(Compile, RefusesWhatTheTargetCannotTakeBeforeChangingAnything) {
  const ir::Graph g = conv_net();
  target::CompileOptions f32;
  f32.weights = ir::Storage::raw;
  auto storage = target::compile(g, shipped("dv700"), f32, default_registry());
  ASSERT_FALSE(storage.ok());
  EXPECT_EQ(storage.status().kind(), ErrorKind::usage);
  EXPECT_NE(storage.status().message().find("--weights f32: target 'dv700' reads weights as f16, codebook8"), std::string::npos)
      << storage.status().message();

  const target::Compiled once = compile_or_die(g, shipped("dv700"));
  auto twice = target::compile(once.graph, shipped("dv700"), {}, default_registry());
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("compiled for target 'dv700' already"), std::string::npos);

  const ir::Graph big = GraphBuilder(Shape{1, 8, 8, 3}).conv("k9", 4, 9, 1, 4).relu("r").conv("k11", 4, 11, 1, 5).done();
  auto limits = target::compile(big, shipped("dv700"), {}, default_registry());
  ASSERT_FALSE(limits.ok());
  EXPECT_EQ(limits.status().kind(), ErrorKind::limits);
  EXPECT_NE(limits.status().message().find("4 violations of target 'dv700''s limits; nothing was written"), std::string::npos)
      << limits.status().message();
  EXPECT_NE(limits.status().message().find("layer 'k9' (Conv2D): kernel height 9 breaks kernel <= 7"), std::string::npos);
  EXPECT_NE(limits.status().message().find("layer 'k11' (Conv2D): kernel width 11"), std::string::npos);
}

TEST(Compile, ANonZeroPadStaysAnOpOfItsRun) {
  const ir::Graph g = GraphBuilder(Shape{1, 6, 6, 3}).pad("pad", 1, 0.5).conv("conv", 4, 3).relu("relu").done();
  const target::Compiled c = compile_or_die(g, user_target());
  ASSERT_NE(c.graph.find_node("pad"), nullptr);
  EXPECT_EQ(c.graph.compilation->runs[0].nodes, (std::vector<std::string>{"pad", "conv", "relu"}));
}

}  // namespace test_compile
}  // namespace ingot::targettest
