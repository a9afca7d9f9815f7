// Helpers for tests/target: a small valid target file to mutate, and graphs to partition.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "ir/graph.h"
#include "ir/passes.h"
#include "target/partition.h"
#include <cmath>
#include "ops/registry.h"
#include "target/target.h"

namespace ingot::targettest {

// A user-written target: a small fp16 NPU with a conv run pattern and a few limits.
inline nlohmann::json user_target_json() {
  return nlohmann::json::parse(R"({
    "format": "ingot-target",
    "format_version": 1,
    "name": "my-npu",
    "description": "a test NPU",
    "sources": {"datasheet": "my-npu datasheet rev 2"},
    "numerics": {"activations": "f16", "accumulation": "f32", "weights": ["f32", "f16", "codebook8"],
                 "default_weights": "f16", "source": "datasheet"},
    "buffer": {"bytes": 65536, "tiling": "width-strips", "channel_block": 8, "element_bytes": 2},
    "device_ops": {
      "Conv2D": {"limits": {"kernel": {"max": 5, "source": "datasheet table 3"}, "input_channels": {"max": 256}},
                 "tiled": true},
      "BatchNorm": {}, "Scale": {}, "ReLU": {}, "MaxPool2D": {}, "Add": {},
      "Pad": {"fused_only": true}
    },
    "fusions": [
      {"name": "conv", "steps": [{"ops": ["Conv2D"]}, {"ops": ["BatchNorm"], "optional": true},
                                  {"ops": ["Scale"], "optional": true}, {"ops": ["Add"], "optional": true},
                                  {"ops": ["ReLU"], "optional": true}, {"ops": ["MaxPool2D"], "optional": true}]},
      {"name": "padded conv", "steps": [{"ops": ["Pad"]}, {"ops": ["Conv2D"]}, {"ops": ["BatchNorm"], "optional": true},
                                         {"ops": ["Scale"], "optional": true}, {"ops": ["ReLU"], "optional": true},
                                         {"ops": ["MaxPool2D"], "optional": true}]},
      {"name": "conv then pool", "steps": [{"ops": ["Conv2D"]}, {"ops": ["MaxPool2D"]}]}
    ],
    "host_ops": {"Softmax": "the NPU has no exp unit"}
  })");
}

inline Result<target::Target> parse_json(const nlohmann::json& j, const std::string& origin = "my-npu.json") {
  return target::parse_target(j.dump(), origin, default_registry());
}

inline target::Target user_target() {
  auto t = parse_json(user_target_json());
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : target::Target{};
}

inline target::Target shipped(const std::string& name) {
  auto t = target::find_target(name, default_registry());
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : target::Target{};
}

}  // namespace ingot::targettest

namespace ingot::targettest {

// Builds NHWC graphs of the ops targets fuse, with seeded weights.
class GraphBuilder {
 public:
  explicit GraphBuilder(Shape input) {
    g.add_input("x", input);
    last = "x";
    shape = input;
  }
  // Conv2D OIHW weights with values from a fixed sequence, "same"-style symmetric pads.
  GraphBuilder& conv(const std::string& name, std::int64_t out, std::int64_t k, std::int64_t stride = 1,
                     std::int64_t pad = 0, std::int64_t dilation = 1, std::int64_t groups = 1) {
    const std::int64_t in = shape[3] / groups;
    constant(name + "/w", Shape{out, in, k, k}, 0.05f);
    constant(name + "/b", Shape{out}, 0.1f);
    add(name, "Conv2D", {last},
        {{"weights", TensorRef{name + "/w"}}, {"bias", TensorRef{name + "/b"}},
         {"strides", std::vector<std::int64_t>{stride, stride}}, {"dilations", std::vector<std::int64_t>{dilation, dilation}},
         {"pads", std::vector<std::int64_t>{pad, pad, pad, pad}}, {"groups", groups}});
    return *this;
  }
  GraphBuilder& batch_norm(const std::string& name) {
    const std::int64_t c = shape[3];
    constant(name + "/mean", Shape{c}, 0.02f);
    constant(name + "/var", Shape{c}, 0.3f, 0.5f);
    constant(name + "/gamma", Shape{c}, 0.07f, 0.8f);
    constant(name + "/beta", Shape{c}, 0.01f);
    add(name, "BatchNorm", {last},
        {{"mean", TensorRef{name + "/mean"}}, {"variance", TensorRef{name + "/var"}},
         {"scale", TensorRef{name + "/gamma"}}, {"offset", TensorRef{name + "/beta"}}, {"epsilon", 1e-3}});
    return *this;
  }
  GraphBuilder& scale(const std::string& name) {
    constant(name + "/s", Shape{shape[3]}, 0.03f, 0.9f);
    add(name, "Scale", {last}, {{"scale", TensorRef{name + "/s"}}});
    return *this;
  }
  GraphBuilder& relu(const std::string& name) {
    add(name, "ReLU", {last}, {});
    return *this;
  }
  GraphBuilder& pool(const std::string& name, std::int64_t k = 2) {
    add(name, "MaxPool2D", {last}, {{"kernel", std::vector<std::int64_t>{k, k}}, {"strides", std::vector<std::int64_t>{k, k}}});
    return *this;
  }
  GraphBuilder& pad(const std::string& name, std::int64_t p, double value = 0.0) {
    add(name, "Pad", {last}, {{"pads", std::vector<std::int64_t>{0, p, p, 0, 0, p, p, 0}}, {"value", value}});
    return *this;
  }
  GraphBuilder& add_from(const std::string& name, const std::string& other) {
    add(name, "Add", {last, other}, {});
    return *this;
  }
  GraphBuilder& softmax(const std::string& name) {
    add(name, "Softmax", {last}, {});
    return *this;
  }
  GraphBuilder& dense(const std::string& name, std::int64_t out) {
    constant(name + "/w", Shape{out, shape[shape.rank() - 1]}, 0.04f);
    add(name, "Dense", {last}, {{"weights", TensorRef{name + "/w"}}});
    return *this;
  }
  GraphBuilder& reshape(const std::string& name, Shape to) {
    add(name, "Reshape", {last}, {{"shape", std::vector<std::int64_t>(to.dims().begin(), to.dims().end())}});
    return *this;
  }
  // Any op on the last value (or the given inputs).
  GraphBuilder& node(const std::string& name, const std::string& op, AttrMap attrs, std::vector<std::string> inputs = {}) {
    if (inputs.empty()) inputs = {last};
    add(name, op, std::move(inputs), std::move(attrs));
    return *this;
  }
  // Continue from an earlier value (a branch).
  GraphBuilder& from(const std::string& value) {
    last = value;
    shape = g.find_value(value)->info.shape;
    return *this;
  }
  ir::Graph done(std::vector<std::string> outputs = {}) {
    if (outputs.empty()) outputs = {last};
    for (auto& o : outputs) g.add_output(o);
    const Status st = ir::verify(g, default_registry());
    EXPECT_TRUE(st.ok()) << st.message();
    return g;
  }

  ir::Graph g;
  std::string last;
  Shape shape;

 private:
  void constant(const std::string& name, Shape s, float step, float base = 0.0f) {
    std::vector<float> v(static_cast<std::size_t>(s.num_elements()));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = base + step * static_cast<float>(static_cast<int>((i * 7919) % 23) - 11) / 11.0f;
    if (base != 0.0f) {
      for (float& x : v) x = std::abs(x) + 0.1f;  // variances and scales stay positive
    }
    EXPECT_TRUE(g.add_constant(name, Tensor::from_floats(s, v)).ok());
  }
  void add(const std::string& name, const std::string& op, std::vector<std::string> inputs, AttrMap attrs) {
    g.add_node(name, op, std::move(inputs), std::move(attrs));
    const Status st = ir::infer_shapes(g, default_registry());
    EXPECT_TRUE(st.ok()) << name << ": " << st.message();
    last = name;
    shape = g.find_value(name)->info.shape;
  }
};

// The runs as node-name chains: {"conv1>bn1>relu1", ...}, host runs prefixed "host:".
inline std::vector<std::string> run_names(const ir::Graph& g, const target::Partition& p) {
  std::vector<std::string> out;
  for (const auto& run : p.runs) {
    std::string s = run.on_device ? "" : "host:";
    for (std::size_t i = 0; i < run.nodes.size(); ++i) s += (i ? ">" : "") + g.nodes[run.nodes[i]].name;
    out.push_back(s);
  }
  return out;
}

}  // namespace ingot::targettest
