// Weights as the kernels pack them: with fold_batch_norm's per-output-channel factor applied.
#include "kernels/kernel.h"

namespace ingot::kernels {

Result<Tensor> packing_weights(const Tensor& weights, const std::optional<Tensor>& scale, const KernelRequest& r) {
  if (!scale) return weights;
  Tensor out;
  if (r.pack_scratch != nullptr) {
    if (r.pack_scratch->size() < weights.byte_size()) {  // grow without copying what it held
      r.pack_scratch->clear();
      r.pack_scratch->shrink_to_fit();
      r.pack_scratch->resize(weights.byte_size());
    }
    out = Tensor::wrap(DType::f32, weights.shape(), r.pack_scratch->data(), nullptr);
  } else {
    INGOT_ASSIGN_OR_RETURN(out, Tensor::allocate(DType::f32, weights.shape()));
  }
  scale_rows(weights, *scale, out.mutable_data<float>().data());
  return out;
}

void scale_rows(const Tensor& weights, const Tensor& scale, float* dst) {
  const auto w = weights.data<float>();
  const auto s = scale.data<float>();
  const std::size_t rows = s.size(), per = rows == 0 ? 0 : w.size() / rows;
  for (std::size_t o = 0; o < rows; ++o)
    for (std::size_t i = 0; i < per; ++i) dst[o * per + i] = w[o * per + i] * s[o];
}

}  // namespace ingot::kernels
