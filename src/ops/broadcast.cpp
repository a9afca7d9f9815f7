#include "ops/broadcast.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "ops/common.h"

namespace ingot::ops {

Result<Shape> broadcast_shapes(std::span<const TensorInfo> in) {
  std::size_t rank = 0;
  for (const TensorInfo& t : in) rank = std::max(rank, t.shape.rank());
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
  return Shape(std::move(out));
}

Result<std::vector<TensorInfo>> infer_broadcast(std::string_view op, std::span<const TensorInfo> in,
                                                std::size_t min_inputs,
                                                std::optional<std::size_t> max_inputs) {
  const std::size_t n = in.size();
  if (n < min_inputs || (max_inputs && n > *max_inputs)) {
    const std::string want = !max_inputs                 ? "at least " + std::to_string(min_inputs)
                             : *max_inputs == min_inputs ? "exactly " + std::to_string(min_inputs)
                                                         : std::to_string(min_inputs) + " to " +
                                                               std::to_string(*max_inputs);
    return bad_input("op " + quote(std::string(op)) + " must have " + want + " inputs, got " +
                     std::to_string(n));
  }
  for (std::size_t i = 0; i < n; ++i) INGOT_TRY(expect_f32(in, i));
  INGOT_ASSIGN_OR_RETURN(Shape shape, broadcast_shapes(in));
  INGOT_TRY(check_output_shape(shape));
  return single({shape, DType::f32});
}

BroadcastWalk::BroadcastWalk(std::span<const Shape* const> operands, const Shape& out)
    : dims_(out.dims()), index_(out.rank(), 0), offsets_(operands.size(), 0) {
  const std::size_t rank = out.rank();
  for (const Shape* shape : operands) {
    const std::vector<std::int64_t>& dims = shape->dims();
    assert(dims.size() <= rank);
    std::vector<std::int64_t> s(rank, 0);
    std::int64_t step = 1;
    for (std::size_t k = dims.size(); k-- > 0;) {
      const std::size_t axis = rank - dims.size() + k;
      assert(dims[k] == 1 || dims[k] == dims_[axis]);
      s[axis] = dims[k] == 1 ? 0 : step;
      step *= dims[k];
    }
    strides_.push_back(std::move(s));
  }
}

void BroadcastWalk::next() {
  for (std::size_t axis = dims_.size(); axis-- > 0;) {
    const bool carry = ++index_[axis] == dims_[axis];
    for (std::size_t i = 0; i < offsets_.size(); ++i) {
      const std::int64_t step = strides_[i][axis];
      // Moving along the axis adds a stride; wrapping back to 0 removes the whole row.
      offsets_[i] += carry ? -step * (dims_[axis] - 1) : step;
    }
    if (!carry) return;
    index_[axis] = 0;
  }
}

}  // namespace ingot::ops
