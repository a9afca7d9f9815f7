// Graph IR: builders, topological order, shape inference, and the verifier's rejections.
#include <gtest/gtest.h>

#include "ir/graph.h"
#include "ir/passes.h"
#include "ops/registry.h"

namespace ingot::ir {
namespace unit_test_ir {

// x -> relu_a -> relu_b -> out, plus a second chain, built out of order on purpose.
Graph chain() {
  Graph g;
  g.add_input("x", Shape{1, 4});
  g.add_node("relu_b", "ReLU", {"relu_a"});
  g.add_node("relu_a", "ReLU", {"x"}, {{"max_value", 6.0}});
  g.add_output("relu_b");
  return g;
}

std::string verify_message(const Graph& g) {
  Status st = verify(g, default_registry());
  EXPECT_FALSE(st.ok());
  return st.message();
}

TEST(Ir, TopologicalOrderRespectsEdgesAndIsDeterministic) {
  Graph g = chain();
  g.add_node("relu_c", "ReLU", {"x"});
  auto order = topological_order(g);
  ASSERT_TRUE(order.ok()) << order.status().message();
  // x(0) first; then ready nodes by listing order: relu_a(2) before relu_c(3); relu_b(1) after relu_a.
  EXPECT_EQ(*order, (std::vector<std::size_t>{0, 2, 1, 3}));
  EXPECT_EQ(*topological_order(g), *order);
}

TEST(Ir, InferShapesFillsEveryValue) {
  Graph g = chain();
  ASSERT_TRUE(infer_shapes(g, default_registry()).ok());
  EXPECT_EQ(g.find_value("relu_b")->info, (TensorInfo{Shape{1, 4}, DType::f32}));
  EXPECT_TRUE(verify(g, default_registry()).ok());
  EXPECT_EQ(g.producer_of("relu_a"), 2u);
  EXPECT_FALSE(g.producer_of("nothing"));
}

TEST(Ir, ConstantsEncodeAndDecode) {
  Graph g;
  Tensor w = Tensor::from_floats(Shape{3}, std::vector<float>{1.0f, 0.1f, -65504.0f});
  ASSERT_TRUE(g.add_constant("w16", w, Storage::f16).ok());
  ASSERT_TRUE(g.add_constant("w32", w).ok());
  const Constant* c16 = g.find_constant("w16");
  EXPECT_EQ(c16->payload.dtype(), DType::f16);
  EXPECT_EQ(c16->dtype, DType::f32);
  auto d = decode_constant(*c16);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->data<float>()[0], 1.0f);
  EXPECT_EQ(d->data<float>()[1], 0.0999755859375f);  // 0.1 rounded to half
  EXPECT_EQ(d->data<float>()[2], -65504.0f);
  auto d32 = decode_constant(*g.find_constant("w32"));
  EXPECT_EQ(d32->bytes(), w.bytes());  // raw storage: no copy
  Tensor ints = Tensor::allocate(DType::i64, Shape{2}).value();
  EXPECT_NE(g.add_constant("bad", ints, Storage::f16).message().find("f16 storage needs f32 values, got i64"),
            std::string::npos);
}

TEST(IrVerify, RejectsCycles) {
  Graph g;
  g.add_input("x", Shape{2});
  g.add_node("a", "Add", {"x", "b"});
  g.add_node("b", "ReLU", {"a"});
  g.add_output("b");
  EXPECT_NE(verify_message(g).find("the graph must be acyclic, got a cycle"), std::string::npos);
}

TEST(IrVerify, RejectsDanglingInputs) {
  Graph g = chain();
  g.nodes[1].inputs = {"ghost"};
  EXPECT_NE(verify_message(g).find("node 'relu_b' (ReLU): input 'ghost' must be produced by a node, got no producer"),
            std::string::npos);
}

TEST(IrVerify, RejectsDuplicateNames) {
  Graph g = chain();
  ASSERT_TRUE(infer_shapes(g, default_registry()).ok());
  g.nodes[2].name = "relu_b";
  EXPECT_NE(verify_message(g).find("node names must be unique, got 'relu_b' twice"), std::string::npos);
  Graph h = chain();
  h.nodes[2].outputs = {"relu_b"};
  EXPECT_NE(verify_message(h).find("value 'relu_b' must have one producer"), std::string::npos);
}

TEST(IrVerify, RejectsUnknownOpsVersionsAndCounts) {
  Graph g = chain();
  ASSERT_TRUE(infer_shapes(g, default_registry()).ok());
  g.nodes[2].op = "Frobnicate";
  EXPECT_NE(verify_message(g).find("op 'Frobnicate' must be registered, got an unknown op"), std::string::npos);
  g.nodes[2].op = "ReLU";
  g.nodes[2].version = 9;
  Status st = verify(g, default_registry());
  EXPECT_EQ(st.kind(), ErrorKind::unsupported);
  EXPECT_NE(st.message().find("op version must be in [1, 1], got 9"), std::string::npos);
  g.nodes[2].version = 1;
  g.nodes[2].inputs = {"x", "x"};
  EXPECT_NE(verify_message(g).find("it must have 1 inputs, got 2"), std::string::npos);
}

TEST(IrVerify, RejectsInvalidAttributesNamingNodeAndParameter) {
  Graph g = chain();
  ASSERT_TRUE(infer_shapes(g, default_registry()).ok());
  g.nodes[2].attrs["max_value"] = std::string("six");
  EXPECT_NE(verify_message(g).find("check node 'relu_a' (ReLU): parameter 'max_value' must be float, got string \"six\""),
            std::string::npos);
  g.nodes[2].attrs.erase("max_value");
  g.nodes[2].attrs["weights"] = TensorRef{"missing"};
  EXPECT_NE(verify_message(g).find("parameter 'weights' must name a constant, got 'missing'"), std::string::npos);
}

TEST(IrVerify, RejectsStoredShapesThatDisagreeWithTheShapeRule) {
  Graph g = chain();
  ASSERT_TRUE(infer_shapes(g, default_registry()).ok());
  g.find_value("relu_b")->info.shape = Shape{1, 5};
  EXPECT_NE(verify_message(g).find("output 'relu_b' must be f32 [1, 4] by the shape rule, got f32 [1, 5]"),
            std::string::npos);
}

TEST(IrVerify, RejectsBadInputAndOutputLists) {
  Graph g = chain();
  ASSERT_TRUE(infer_shapes(g, default_registry()).ok());
  g.outputs.clear();
  EXPECT_NE(verify_message(g).find("graph outputs must not be empty"), std::string::npos);
  g.outputs = {"nowhere"};
  EXPECT_NE(verify_message(g).find("graph output 'nowhere' must be a produced value"), std::string::npos);
  g.outputs = {"relu_b"};
  g.inputs = {"relu_a"};
  EXPECT_NE(verify_message(g).find("graph input 'relu_a' must be produced by an Input node"), std::string::npos);
  g.inputs.clear();
  EXPECT_NE(verify_message(g).find("node 'x' (Input): its value must be listed in the graph inputs"), std::string::npos);
}

TEST(IrVerify, RejectsTensorMetadata) {
  Graph g = chain();
  ASSERT_TRUE(infer_shapes(g, default_registry()).ok());
  g.metadata["weights"] = TensorRef{"w"};
  EXPECT_NE(verify_message(g).find("metadata 'weights' must not be a tensor"), std::string::npos);
}

TEST(IrVerify, RejectsInputOpWithHostileShape) {
  Graph g;
  g.add_input("x", Shape{1, 4});
  g.nodes[0].attrs["shape"] = std::vector<std::int64_t>{1 << 30, 1 << 30};
  g.add_output("x");
  EXPECT_NE(verify_message(g).find("element count must be at most 2^40"), std::string::npos);
}


TEST(IrVerify, ChecksTheCompilationRecordAgainstTheGraph) {
  Graph g = chain();
  ASSERT_TRUE(infer_shapes(g, default_registry()).ok());
  const auto with_runs = [&](std::vector<CompiledRun> runs, DType activations = DType::f16) {
    Graph c = g;
    c.compilation = Compilation{"dev", "{}", activations, DType::f32, Storage::f16, std::move(runs)};
    return c;
  };
  EXPECT_TRUE(verify(with_runs({{true, "", {"relu_a", "relu_b"}, {"relu_a", "relu_b"}, 1}}), default_registry()).ok());
  EXPECT_TRUE(verify(with_runs({{true, "", {"relu_a"}, {}, 0}, {false, "", {"relu_b"}, {}, 0}}), default_registry()).ok());
  EXPECT_NE(verify_message(with_runs({{true, "", {"relu_a"}, {}, 0}})).find("node 'relu_b' is in no run"), std::string::npos);
  EXPECT_NE(verify_message(with_runs({{true, "", {"relu_b"}, {}, 0}, {true, "", {"relu_a"}, {}, 0}}))
                .find("run 0 node 'relu_b' reads 'relu_a' before any run computes it"),
            std::string::npos);
  EXPECT_NE(verify_message(with_runs({{true, "", {"relu_a", "relu_b", "relu_a"}, {}, 0}})).find("'relu_a' is in runs 0 and 0"),
            std::string::npos);
  EXPECT_NE(verify_message(with_runs({{true, "", {"x", "relu_a", "relu_b"}, {}, 0}})).find("holds Input node 'x'"),
            std::string::npos);
  EXPECT_NE(verify_message(with_runs({{true, "", {}, {}, 0}, {true, "", {"relu_a", "relu_b"}, {}, 0}})).find("run 0 has no nodes"),
            std::string::npos);
  EXPECT_NE(verify_message(with_runs({{true, "", {"relu_a", "relu_b"}, {}, 0}}, DType::i64)).find("must be f32 or f16"),
            std::string::npos);
}

}  // namespace unit_test_ir
}  // namespace ingot::ir
