// Open dimensions (ir/open_dims.h): re-inferring a graph for fed sizes, TF "same" pads that follow
// the size, the errors for sizes a model cannot take, the format's version 3 round trip, and a
// session re-planning (and caching plans) per input shape.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "format/format.h"
#include "ir/open_dims.h"
#include "ir/passes.h"
#include "ops/registry.h"
#include "runtime/session.h"

namespace ingot::ir {
namespace unit_test_open_dims {

using L = std::vector<std::int64_t>;

Tensor filled(const Shape& shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (float& x : v) x = u(rng);
  return Tensor::from_floats(shape, v);
}

// x [batch, h, w, 3] (all three open) -> Conv2D 3x3 stride 2 "same" -> MaxPool 3x3 stride 2 "same"
// -> Reshape [0, -1] (Flatten) -> Dense 4. Stored for 1 x 9 x 11, as the Keras importer would.
Graph open_net(bool with_dense = true) {
  Graph g;
  g.add_input("x", Shape{1, 9, 11, 3});
  g.nodes[0].attrs["open_dims"] = std::vector<std::string>{"batch", "x.d1", "x.d2", ""};
  EXPECT_TRUE(g.add_constant("w", filled(Shape{5, 3, 3, 3}, 1)).ok());
  EXPECT_TRUE(g.add_constant("b", filled(Shape{5}, 2)).ok());
  g.add_node("conv", "Conv2D", {"x"},
             {{"weights", TensorRef{"w"}}, {"bias", TensorRef{"b"}}, {"strides", L{2, 2}}, {"pads", L{1, 1, 1, 1}},
              {"same_extent", L{3, 3}}});
  g.add_node("pool", "MaxPool2D", {"conv"},
             {{"kernel", L{3, 3}}, {"strides", L{2, 2}}, {"pads", L{1, 0, 1, 1}}, {"same_extent", L{3, 3}}});
  g.add_node("flat", "Reshape", {"pool"}, {{"shape", L{0, -1}}});
  if (with_dense) {
    // The instance's conv output is 5 x 6 (ceil(9/2), ceil(11/2)), the pool's 3 x 3: 45 features.
    EXPECT_TRUE(g.add_constant("dw", filled(Shape{4, 45}, 3)).ok());
    g.add_node("dense", "Dense", {"flat"}, {{"weights", TensorRef{"dw"}}});
    g.add_output("dense");
  } else {
    g.add_output("flat");
  }
  EXPECT_TRUE(infer_shapes(g, default_registry()).ok());
  return g;
}

Graph open_net_for_dense() { return open_net(true); }

std::pair<std::int64_t, std::int64_t> tf_same(std::int64_t size, std::int64_t k, std::int64_t s) {
  const std::int64_t out = (size + s - 1) / s;
  const std::int64_t total = std::max<std::int64_t>((out - 1) * s + k - size, 0);
  return {total / 2, total - total / 2};
}

TEST(OpenDims, InputsNameTheirOpenDims) {
  const Graph g = open_net_for_dense();
  EXPECT_TRUE(has_open_dims(g));
  EXPECT_EQ(input_open_dims(g)[0], (std::vector<std::string>{"batch", "x.d1", "x.d2", ""}));
  EXPECT_EQ(describe_input(g, 0), "[batch=1, x.d1=9, x.d2=11, 3]");
  Graph fixed;
  fixed.add_input("y", Shape{2, 3});
  EXPECT_FALSE(has_open_dims(fixed));
  EXPECT_TRUE(input_open_dims(fixed)[0].empty());
}

TEST(OpenDims, SamePadsFollowEveryFedSize) {
  const Graph g = open_net(false);
  for (std::int64_t h = 1; h <= 13; ++h) {
    for (std::int64_t w : {1, 2, 7, 8, 16}) {
      SCOPED_TRACE("size " + std::to_string(h) + " x " + std::to_string(w));
      auto out = with_input_shapes(g, std::vector<Shape>{Shape{2, h, w, 3}}, default_registry());
      ASSERT_TRUE(out.ok()) << out.status().message();
      const auto [ct, cb] = tf_same(h, 3, 2);
      const auto [cl, cr] = tf_same(w, 3, 2);
      EXPECT_EQ(std::get<L>(out->find_node("conv")->attrs.at("pads")), (L{ct, cl, cb, cr}));
      const std::int64_t ch = (h + 1) / 2, cw = (w + 1) / 2;
      EXPECT_EQ(out->find_value("conv")->info.shape, (Shape{2, ch, cw, 5}));
      const auto [pt, pb] = tf_same(ch, 3, 2);
      const auto [pl, pr] = tf_same(cw, 3, 2);
      EXPECT_EQ(std::get<L>(out->find_node("pool")->attrs.at("pads")), (L{pt, pl, pb, pr}));
      const std::int64_t ph = (ch + 1) / 2, pw = (cw + 1) / 2;
      EXPECT_EQ(out->find_value("flat")->info.shape, (Shape{2, ph * pw * 5}));
      EXPECT_TRUE(verify(*out, default_registry()).ok());
    }
  }
  // The stored graph is untouched.
  EXPECT_EQ(g.find_value("conv")->info.shape, (Shape{1, 5, 6, 5}));
}

std::string shapes_error(const Graph& g, std::vector<Shape> shapes) {
  auto out = with_input_shapes(g, shapes, default_registry());
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(out.status().kind(), ErrorKind::bad_input);
  return out.ok() ? "" : out.status().message();
}

TEST(OpenDims, SizesTheModelCannotTakeAreNamed) {
  const Graph g = open_net_for_dense();
  // The batch is free; the Dense after the Flatten fixes the image size.
  auto batch4 = with_input_shapes(g, std::vector<Shape>{Shape{4, 9, 11, 3}}, default_registry());
  ASSERT_TRUE(batch4.ok()) << batch4.status().message();
  EXPECT_EQ(batch4->find_value("dense")->info.shape, (Shape{4, 4}));
  std::string m = shapes_error(g, {Shape{1, 14, 11, 3}});
  EXPECT_NE(m.find("set input shapes [1, 14, 11, 3]"), std::string::npos) << m;
  EXPECT_NE(m.find("'dense' (Dense)"), std::string::npos) << m;
  m = shapes_error(g, {Shape{1, 9, 11, 4}});
  EXPECT_NE(m.find("input 'x' dim 3 is fixed at 3 by the model [batch=1, x.d1=9, x.d2=11, 3], got 4"), std::string::npos) << m;
  m = shapes_error(g, {Shape{1, 9, 11}});
  EXPECT_NE(m.find("input 'x' has rank 4"), std::string::npos) << m;
  m = shapes_error(g, {});
  EXPECT_NE(m.find("the model has 1 inputs, got 0 shapes"), std::string::npos) << m;
  // Hostile sizes: 0, negative, 2^40 and more.
  for (std::int64_t bad : {std::int64_t{0}, std::int64_t{-3}, (std::int64_t{1} << 40) + 1}) {
    m = shapes_error(g, {Shape{bad, 9, 11, 3}});
    EXPECT_NE(m.find("input 'x' dim 0 (batch) must be in [1, 2^40], got " + std::to_string(bad)), std::string::npos) << m;
  }
  m = shapes_error(g, {Shape{std::int64_t{1} << 40, 9, 11, 3}});
  EXPECT_NE(m.find("element count"), std::string::npos) << m;
  m = shapes_error(open_net(false), {Shape{1 << 20, 1 << 20, 1 << 10, 3}});
  EXPECT_NE(m.find("element count"), std::string::npos) << m;
}

TEST(OpenDims, DimsSharingANameMustBeEqual) {
  Graph g;
  g.add_input("a", Shape{1, 4});
  g.add_input("b", Shape{1, 4});
  g.nodes[0].attrs["open_dims"] = std::vector<std::string>{"batch", ""};
  g.nodes[1].attrs["open_dims"] = std::vector<std::string>{"batch", ""};
  g.add_node("sum", "Add", {"a", "b"});
  g.add_output("sum");
  ASSERT_TRUE(infer_shapes(g, default_registry()).ok());
  auto ok = with_input_shapes(g, std::vector<Shape>{Shape{3, 4}, Shape{3, 4}}, default_registry());
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->find_value("sum")->info.shape, (Shape{3, 4}));
  const std::string m = shapes_error(g, {Shape{3, 4}, Shape{2, 4}});
  EXPECT_NE(m.find("input 'b' dim 0 (batch) and input 'a' dim 0 (batch) are the same dim 'batch', got sizes 2 and 3"),
            std::string::npos)
      << m;
}

TEST(OpenDims, OpenDimsNeedOneNamePerDim) {
  Graph g;
  g.add_input("x", Shape{1, 4});
  g.nodes[0].attrs["open_dims"] = std::vector<std::string>{"batch"};
  g.add_output("x");
  const Status st = verify(g, default_registry());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("parameter 'open_dims' must name each of the 2 dims"), std::string::npos) << st.message();
}

TEST(OpenDims, ClosingFixesTheInstance) {
  Graph g = open_net_for_dense();
  const auto closed = close_open_dims(g);
  EXPECT_EQ(closed, (std::vector<std::string>{"x:batch=1", "x:x.d1=9", "x:x.d2=11"}));
  EXPECT_FALSE(has_open_dims(g));
  EXPECT_EQ(std::get<L>(g.find_node("flat")->attrs.at("shape")), (L{1, -1}));
  EXPECT_EQ(g.find_node("conv")->attrs.count("same_extent"), 0u);
  EXPECT_EQ(g.find_node("pool")->attrs.count("same_extent"), 0u);
  EXPECT_TRUE(verify(g, default_registry()).ok());
  EXPECT_TRUE(close_open_dims(g).empty());
}

TEST(OpenDims, FormatVersion3HoldsThemAndReadsBack) {
  const Graph g = open_net_for_dense();
  auto bytes = format::serialize(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  std::uint32_t version = 0;
  std::memcpy(&version, bytes->data() + 8, 4);
  EXPECT_EQ(version, 3u);
  EXPECT_EQ(format::version_for(g), 3u);
  auto back = format::parse_model(*bytes, nullptr, default_registry(), "open.ingot");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_FALSE(back->compilation.has_value());
  EXPECT_EQ(input_open_dims(*back), input_open_dims(g));
  EXPECT_EQ(back->find_node("conv")->attrs, g.find_node("conv")->attrs);
  EXPECT_EQ(back->find_node("flat")->attrs, g.find_node("flat")->attrs);
  // Closed, the same graph is a version 1 file again.
  Graph closed = g;
  close_open_dims(closed);
  EXPECT_EQ(format::version_for(closed), 1u);
}

// Sample i of a batched run equals the same sample run alone: batches are independent.
TEST(OpenDims, SessionReplansPerBatchAndCachesPlans) {
  const Graph g = open_net_for_dense();
  for (bool reference : {false, true}) {
    SCOPED_TRACE(reference ? "reference" : "optimized");
    runtime::PlanOptions options;
    options.reference = reference;
    options.threads = 1;
    auto session = runtime::Session::plan(g, default_registry(), options);
    ASSERT_TRUE(session.ok()) << session.status().message();
    EXPECT_EQ(session->open_dims()[0], (std::vector<std::string>{"batch", "x.d1", "x.d2", ""}));
    const Tensor batch = filled(Shape{3, 9, 11, 3}, 7);
    auto out3 = session->run(std::span<const Tensor>(&batch, 1));
    ASSERT_TRUE(out3.ok()) << out3.status().message();
    ASSERT_EQ((*out3)[0].shape(), (Shape{3, 4}));
    EXPECT_EQ(session->input_infos()[0].shape, (Shape{3, 9, 11, 3}));
    const std::size_t sample = 9 * 11 * 3;
    for (std::int64_t i = 0; i < 3; ++i) {
      const auto values = batch.data<float>().subspan(static_cast<std::size_t>(i) * sample, sample);
      const Tensor one = Tensor::from_floats(Shape{1, 9, 11, 3}, values);
      auto out1 = session->run(std::span<const Tensor>(&one, 1));
      ASSERT_TRUE(out1.ok()) << out1.status().message();
      for (std::size_t k = 0; k < 4; ++k) {
        // Same kernels, same sizes per sample; oneDNN may block a batch of 3 differently,
        // so the sums may differ in order: 2 gamma_45 of the terms' magnitude (< 45 * 2).
        EXPECT_NEAR((*out1)[0].data<float>()[k], (*out3)[0].data<float>()[static_cast<std::size_t>(i) * 4 + k], 1e-5);
      }
    }
    // Errors leave the session usable with its last plan.
    const Tensor wrong = filled(Shape{1, 14, 11, 3}, 8);
    auto bad = session->run(std::span<const Tensor>(&wrong, 1));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find("'dense' (Dense)"), std::string::npos) << bad.status().message();
    auto again = session->run(std::span<const Tensor>(&batch, 1));
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_TRUE((*again)[0].bit_equal((*out3)[0]));
    // More shapes than the cache holds: the oldest plans go, and come back when fed again.
    for (std::int64_t n : {2, 4, 5, 6, 7, 3, 1}) {
      const Tensor x = filled(Shape{n, 9, 11, 3}, 9);
      auto out = session->run(std::span<const Tensor>(&x, 1));
      ASSERT_TRUE(out.ok()) << out.status().message();
      EXPECT_EQ((*out)[0].shape(), (Shape{n, 4}));
      EXPECT_EQ(session->input_infos()[0].shape, x.shape());
    }
  }
}

TEST(OpenDims, FixedModelsKeepTheirShapes) {
  Graph g;
  g.add_input("x", Shape{1, 4});
  g.add_node("r", "ReLU", {"x"});
  g.add_output("r");
  ASSERT_TRUE(infer_shapes(g, default_registry()).ok());
  auto session = runtime::Session::plan(g, default_registry(), {});
  ASSERT_TRUE(session.ok()) << session.status().message();
  const Tensor two = filled(Shape{2, 4}, 1);
  auto out = session->run(std::span<const Tensor>(&two, 1));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("input 'x' dim 0 is fixed at 1 by the model [1, 4], got 2"), std::string::npos)
      << out.status().message();
}

}  // namespace unit_test_open_dims
}  // namespace ingot::ir
