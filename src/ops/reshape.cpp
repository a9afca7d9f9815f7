// Reshape: the same elements in row-major order under a new shape (Keras Reshape and Flatten,
// Caffe Reshape and Flatten). `shape` is the full output shape, batch included; one entry may
// be -1 and is then inferred from the element count; an entry 0 copies the input's dim at that
// index (a Keras batch left open: the same node serves every batch size). Any dtype; the kernel
// is a byte copy.
#include <cassert>
#include <cstring>

#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct ReshapeParams {
  std::vector<std::int64_t> shape;
};

Result<std::vector<TensorInfo>> infer_reshape(const ReshapeParams& p,
                                              std::span<const TensorInfo> in) {
  const Shape& x = in[0].shape;
  const std::int64_t count = x.num_elements();  // a valid input shape: <= 2^40
  const std::size_t none = p.shape.size();
  std::size_t unknown = none;  // index of the -1
  std::int64_t known = 1;      // product of the other entries, unless `huge`
  bool huge = false;           // that product is above 2^40
  std::vector<std::int64_t> out = p.shape;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] != 0) continue;
    if (i >= x.rank()) {
      return bad_input("parameter 'shape' " + attr_to_string(p.shape) + ": entry " + std::to_string(i) +
                       " is 0 (copy the input's dim), but the input " + x.to_string() + " has rank " +
                       std::to_string(x.rank()));
    }
    out[i] = x[i];
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t d = out[i];
    if (d == 0 || (d == -1 && unknown != none)) {
      return bad_input("parameter 'shape' entries must be >= 1, 0 (copy) or a single -1, got " +
                       attr_to_string(p.shape) + " for input " + x.to_string());
    }
    if (d == -1) {
      unknown = i;
    } else if (huge || known > kMaxElements / d) {
      huge = true;
    } else {
      known *= d;
    }
  }
  const std::string product = huge ? "above 2^40" : std::to_string(known);
  if (unknown == none && (huge || known != count)) {
    return bad_input("parameter 'shape' " + attr_to_string(p.shape) +
                     " must hold the input's element count " + std::to_string(count) +
                     " (input shape " + x.to_string() + "), got " + product + " elements");
  }
  if (unknown != none && (huge || count % known != 0)) {
    return bad_input("parameter 'shape' " + attr_to_string(p.shape) +
                     " must have entries other than -1 whose product divides the input's " +
                     "element count " + std::to_string(count) + " (input shape " + x.to_string() +
                     "), got " + product);
  }
  if (unknown != none) out[unknown] = count / known;
  Shape shape(std::move(out));
  INGOT_TRY(ops::check_output_shape(shape));
  return ops::single({shape, in[0].dtype});
}

void reshape_kernel(const ReshapeParams&, const KernelArgs& args) {
  const Tensor& in = *args.inputs[0];
  Tensor& out = *args.outputs[0];
  assert(in.byte_size() == out.byte_size());
  if (in.byte_size() > 0) std::memcpy(out.mutable_bytes(), in.bytes(), in.byte_size());
}

}  // namespace

OpDef make_Reshape_op() {
  static const auto params =
      ParamList<ReshapeParams>()
          .required("shape", &ReshapeParams::shape,
                    "output shape, batch included; entries >= 1, 0 copying the input's dim, or one -1 inferred")
          .range(-1, static_cast<double>(kMaxElements))
          .size(1, kMaxRank);
  return make_op<ReshapeParams>(
      {.name = "Reshape", .doc = "The same elements, row-major, under a new shape."}, params,
      infer_reshape, reshape_kernel);
}

}  // namespace ingot
