// Numpy broadcasting for the elementwise ops (Add, Sub, Mul, Maximum, Minimum, Mean) and for
// parameters that broadcast onto an input (PReLU's alpha): shapes are aligned on their last
// axis, and each dim must equal the others or be 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ingot/op.h"

namespace ingot::ops {

// The broadcast of all input shapes. Names the first input that does not fit the broadcast of
// the ones before it:
//   input 2 shape [5, 4] must broadcast with [2, 3, 4] (inputs 0..1; ...), got 5 against 3
Result<Shape> broadcast_shapes(std::span<const TensorInfo> in);

// The whole shape rule of an elementwise op: input count in [min_inputs, max_inputs] (nullopt:
// no upper bound), every input f32, shapes broadcast, and a sane output size.
Result<std::vector<TensorInfo>> infer_broadcast(std::string_view op, std::span<const TensorInfo> in,
                                                std::size_t min_inputs,
                                                std::optional<std::size_t> max_inputs);

// Walks an output shape in row-major order, tracking the flat offset of the matching element of
// each operand; an operand's shape must broadcast to the output (infer checked that).
class BroadcastWalk {
 public:
  BroadcastWalk(std::span<const Shape* const> operands, const Shape& out);

  std::size_t offset(std::size_t operand) const {
    return static_cast<std::size_t>(offsets_[operand]);
  }
  void next();  // to the next output element, last axis fastest

 private:
  std::vector<std::int64_t> dims_;                  // of the output
  std::vector<std::vector<std::int64_t>> strides_;  // per operand and output axis; 0 broadcasts
  std::vector<std::int64_t> index_;
  std::vector<std::int64_t> offsets_;
};

// y = f(...f(f(x0, x1), x2)..., x_{n-1}) with broadcasting: folds in input order, starting from
// x0 itself (so Add keeps -0 + -0 = -0 and a one-input fold is a copy).
template <class F>
void broadcast_fold(const KernelArgs& args, F f) {
  std::vector<const Shape*> shapes;
  std::vector<const float*> x;
  for (const Tensor* t : args.inputs) {
    shapes.push_back(&t->shape());
    x.push_back(t->data<float>().data());
  }
  Tensor& out = *args.outputs[0];
  BroadcastWalk walk(shapes, out.shape());
  for (float& y : out.mutable_data<float>()) {
    float acc = x[0][walk.offset(0)];
    for (std::size_t i = 1; i < x.size(); ++i) acc = f(acc, x[i][walk.offset(i)]);
    y = acc;
    walk.next();
  }
}

}  // namespace ingot::ops
