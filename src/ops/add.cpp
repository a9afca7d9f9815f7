// Add: elementwise sum of two or more f32 tensors with numpy-style broadcasting (shapes are
// aligned on their last axis; each dim must equal the others or be 1). The sum runs in input
// order, ((x0 + x1) + x2) + ..., so results match a framework that chains binary adds.
#include <algorithm>
#include <cassert>

#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct AddParams {};

Result<std::vector<TensorInfo>> infer_add(const AddParams&, std::span<const TensorInfo> in) {
  if (in.size() < 2)
    return bad_input("op 'Add' must have at least 2 inputs, got " + std::to_string(in.size()));
  std::size_t rank = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    INGOT_TRY(ops::expect_f32(in, i));
    rank = std::max(rank, in[i].shape.rank());
  }
  std::vector<std::int64_t> out(rank, 1);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const Shape& s = in[i].shape;
    const Shape so_far = i == 1 ? in[0].shape : Shape(out);  // what input i must agree with
    for (std::size_t k = 0; k < s.rank(); ++k) {
      std::int64_t& o = out[rank - s.rank() + k];
      const std::int64_t d = s[k];
      if (d == o || d == 1) continue;
      if (o != 1) {
        const std::string others = i == 1 ? "input 0" : "inputs 0.." + std::to_string(i - 1);
        return bad_input("input " + std::to_string(i) + " shape " + s.to_string() +
                         " must broadcast with " + so_far.to_string() + " (" + others +
                         "; dims equal or 1, aligned on the last axis), got " + std::to_string(d) +
                         " against " + std::to_string(o));
      }
      o = d;
    }
  }
  Shape shape(std::move(out));
  INGOT_TRY(ops::check_output_shape(shape));
  return ops::single({shape, DType::f32});
}

void add_kernel(const AddParams&, const KernelArgs& args) {
  auto y = args.outputs[0]->mutable_data<float>();
  const std::vector<std::int64_t>& out = args.outputs[0]->shape().dims();
  const std::size_t rank = out.size();

  // Element strides of each input over the output's axes; 0 where the input broadcasts.
  std::vector<std::vector<std::int64_t>> strides;
  for (const Tensor* t : args.inputs) {
    const std::vector<std::int64_t>& dims = t->shape().dims();
    assert(dims.size() <= rank);
    std::vector<std::int64_t> s(rank, 0);
    std::int64_t step = 1;
    for (std::size_t k = dims.size(); k-- > 0;) {
      const std::size_t axis = rank - dims.size() + k;
      s[axis] = dims[k] == 1 ? 0 : step;
      assert(dims[k] == 1 || dims[k] == out[axis]);
      step *= dims[k];
    }
    strides.push_back(std::move(s));
  }

  std::vector<std::int64_t> index(rank, 0);
  for (float& result : y) {
    float acc = 0.0f;
    for (std::size_t i = 0; i < args.inputs.size(); ++i) {
      std::int64_t offset = 0;
      for (std::size_t axis = 0; axis < rank; ++axis) offset += index[axis] * strides[i][axis];
      const float v = args.inputs[i]->data<float>()[static_cast<std::size_t>(offset)];
      acc = i == 0 ? v : acc + v;  // start from x0 itself so that -0 stays -0
    }
    result = acc;
    for (std::size_t axis = rank; axis-- > 0;) {  // advance the output index, last axis fastest
      if (++index[axis] < out[axis]) break;
      index[axis] = 0;
    }
  }
}

}  // namespace

OpDef make_Add_op() {
  static const auto params = ParamList<AddParams>();
  return make_op<AddParams>(
      {.name = "Add",
       .doc = "Elementwise sum of 2 or more f32 tensors with numpy broadcasting.",
       .min_inputs = 2,
       .max_inputs = kVariadic},
      params, infer_add, add_kernel);
}

}  // namespace ingot
