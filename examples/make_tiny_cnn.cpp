// Builds a small residual CNN in code, writes it as an .ingot file together with an input .npy.
// It is ingot's bundled example until the importers exist: write it, inspect it, run it.
//
//   x [1, 8, 8, 3] -> conv3x3 (pad 1) --+--> add -> relu -> maxpool 2x2/2 -> dense -> scores [1, 4, 4, 4]
//                  -> conv1x1 ----------+
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "format/format.h"
#include "ir/passes.h"
#include "runtime/npy.h"

namespace {

using ingot::AttrMap;
using ingot::Shape;
using ingot::Tensor;

// Deterministic weights in [-scale, scale): the example must give the same file on every machine.
Tensor pseudo_random(const Shape& shape, std::uint32_t seed, float scale) {
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  std::uint32_t state = seed;
  for (float& x : v) {
    state = state * 1664525u + 1013904223u;
    x = scale * (static_cast<float>(state >> 8) / 8388608.0f - 1.0f);
  }
  return Tensor::from_floats(shape, v);
}

ingot::Result<ingot::ir::Graph> build(ingot::ir::Storage storage) {
  ingot::ir::Graph g;
  g.metadata["producer"] = std::string("ingot make_tiny_cnn");
  g.metadata["description"] = std::string("tiny residual CNN built in code");
  g.add_input("image", Shape{1, 8, 8, 3});
  INGOT_TRY(g.add_constant("conv3x3/weights", pseudo_random({8, 3, 3, 3}, 1, 0.4f), storage));
  INGOT_TRY(g.add_constant("conv3x3/bias", pseudo_random({8}, 2, 0.1f), storage));
  INGOT_TRY(g.add_constant("conv1x1/weights", pseudo_random({8, 3, 1, 1}, 3, 0.6f), storage));
  INGOT_TRY(g.add_constant("dense/weights", pseudo_random({4, 8}, 4, 0.5f), storage));
  INGOT_TRY(g.add_constant("dense/bias", pseudo_random({4}, 5, 0.1f), storage));
  using ingot::TensorRef;
  g.add_node("conv3x3", "Conv2D", {"image"},
             AttrMap{{"weights", TensorRef{"conv3x3/weights"}}, {"bias", TensorRef{"conv3x3/bias"}},
                     {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
  g.add_node("conv1x1", "Conv2D", {"image"}, AttrMap{{"weights", TensorRef{"conv1x1/weights"}}});
  g.add_node("residual", "Add", {"conv3x3", "conv1x1"});
  g.add_node("relu", "ReLU", {"residual"});
  g.add_node("pool", "MaxPool2D", {"relu"},
             AttrMap{{"kernel", std::vector<std::int64_t>{2, 2}}, {"strides", std::vector<std::int64_t>{2, 2}}});
  g.add_node("scores", "Dense", {"pool"},
             AttrMap{{"weights", TensorRef{"dense/weights"}}, {"bias", TensorRef{"dense/bias"}}});
  g.add_output("scores");
  INGOT_TRY(ingot::ir::infer_shapes(g, ingot::default_registry()));
  return g;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4 || (argc == 4 && std::string(argv[3]) != "--f16")) {
    std::cerr << "usage: make_tiny_cnn MODEL.ingot INPUT.npy [--f16]\n";
    return 1;
  }
  const auto storage = argc == 4 ? ingot::ir::Storage::f16 : ingot::ir::Storage::raw;
  auto graph = build(storage);
  ingot::Status st = graph.ok() ? ingot::format::write_model(argv[1], *graph, ingot::default_registry())
                                : graph.status();
  if (st.ok()) st = ingot::npy::write(argv[2], pseudo_random({1, 8, 8, 3}, 6, 1.0f));
  if (!st.ok()) {
    std::cerr << "make_tiny_cnn: " << st.message() << "\n";
    return static_cast<int>(st.kind());
  }
  std::cout << "wrote " << argv[1] << " and " << argv[2] << "\n";
  return 0;
}
