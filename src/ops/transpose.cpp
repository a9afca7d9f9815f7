// Transpose: permutes the axes of a tensor of any rank and dtype (Keras Permute, Caffe
// Permute):
//   out.shape[i] = in.shape[perm[i]],  out[j_0, ..., j_{r-1}] = in[k] with k[perm[i]] = j_i
// `perm` must list every axis 0..rank-1 exactly once.
#include <cassert>
#include <cstring>

#include "ops/common.h"
#include "ops/params.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::TransposeParams;  // declared in ops/params.h

Result<std::vector<TensorInfo>> infer_transpose(const TransposeParams& p,
                                                std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_dims_bounded(in, 0));
  const Shape& x = in[0].shape;
  const std::size_t rank = x.rank();
  std::vector<bool> seen(rank, false);
  bool ok = p.perm.size() == rank;
  for (std::size_t i = 0; ok && i < rank; ++i) {
    const std::int64_t a = p.perm[i];
    ok = a >= 0 && static_cast<std::size_t>(a) < rank && !seen[a];
    if (ok) seen[a] = true;
  }
  if (!ok) {
    std::vector<std::int64_t> axes(rank);
    for (std::size_t i = 0; i < rank; ++i) axes[i] = static_cast<std::int64_t>(i);
    return bad_input("parameter 'perm' must be a permutation of " + attr_to_string(axes) +
                     " (input shape " + x.to_string() + "), got " + attr_to_string(p.perm));
  }
  std::vector<std::int64_t> out(rank);
  for (std::size_t i = 0; i < rank; ++i) out[i] = x[p.perm[i]];
  Shape shape(std::move(out));
  INGOT_TRY(ops::check_output_shape(shape));
  return ops::single({shape, in[0].dtype});
}

void transpose_kernel(const TransposeParams& p, const KernelArgs& args) {
  // Nothing to write; returning also keeps stride products finite for shapes like [0, 2^30, 2^30].
  if (args.outputs[0]->num_elements() == 0) return;
  const Tensor& in = *args.inputs[0];
  Tensor& out = *args.outputs[0];
  const std::size_t rank = in.shape().rank();
  const std::size_t elem = dtype_size(in.dtype());
  assert(p.perm.size() == rank);

  std::vector<std::int64_t> in_stride(rank, 1);
  for (std::size_t i = rank; i-- > 1;) in_stride[i - 1] = in_stride[i] * in.shape()[i];
  std::vector<std::int64_t> stride(rank);  // input element step per output axis
  for (std::size_t i = 0; i < rank; ++i) stride[i] = in_stride[p.perm[i]];

  const std::byte* x = in.bytes();
  std::byte* y = out.mutable_bytes();
  const std::int64_t count = out.num_elements();
  std::vector<std::int64_t> index(rank, 0);  // over the output
  for (std::int64_t k = 0; k < count; ++k) {
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < rank; ++i) offset += index[i] * stride[i];
    std::memcpy(y + k * elem, x + offset * elem, elem);
    for (std::size_t i = rank; i-- > 0;) {
      if (++index[i] < out.shape()[i]) break;
      index[i] = 0;
    }
  }
}

}  // namespace

OpDef make_Transpose_op() {
  static const auto params =
      ParamList<TransposeParams>()
          .required("perm", &TransposeParams::perm, "output axis i is input axis perm[i]")
          .range(0, kMaxRank - 1)
          .size(1, kMaxRank);
  return make_op<TransposeParams>({.name = "Transpose", .doc = "Permutes the axes of a tensor."},
                                  params, infer_transpose, transpose_kernel);
}

}  // namespace ingot
