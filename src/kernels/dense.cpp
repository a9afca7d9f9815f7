// Dense, leading axes as rows, through oneDNN's inner product (the default: weights reordered
// once into its layout, the clamp as a post-op) or XNNPACK's fully-connected GEMM (ingot's
// [out, in] weights are what its packer reads, so the only plan-time work is its own packing).
#include "kernels/onednn.h"
#include "kernels/ops.h"
#include "kernels/xnnpack.h"

namespace ingot::kernels {
namespace {

Result<std::unique_ptr<Kernel>> prepare_onednn(const ops::DenseParams& p, const KernelRequest& r) {
  using dnnl::memory;
  using tag = memory::format_tag;
  const std::int64_t out_features = p.weights.shape()[0], in_features = p.weights.shape()[1];
  const std::int64_t rows = r.inputs[0]->num_elements() / in_features;
  try {
    const memory::desc src({rows, in_features}, memory::data_type::f32, tag::nc);
    const memory::desc dst({rows, out_features}, memory::data_type::f32, tag::nc);
    const memory::desc have_w({out_features, in_features}, memory::data_type::f32, tag::oi);
    const memory::desc any_w({out_features, in_features}, memory::data_type::f32, tag::any);
    const memory::desc bias({out_features}, memory::data_type::f32, tag::x);
    const auto desc = p.bias ? dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src, any_w, bias, dst)
                             : dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, src, any_w, dst);
    onednn::use_threads(r.pool->threads());
    const dnnl::inner_product_forward::primitive_desc pd(desc, onednn::post_ops(r.clamp, onednn::Residual::none), onednn::engine());
    return onednn::make_kernel(
        dnnl::inner_product_forward(pd), pd.weights_desc(),
        {have_w, p.weights, bias, p.bias,
         {{DNNL_ARG_SRC, onednn::wrap(src, *r.inputs[0])}, {DNNL_ARG_DST, onednn::wrap(dst, *r.outputs[0])}},
         r.weights_arena, onednn::scale_of(p.weights_scale)},
        r.pool->threads(), std::string("onednn dense ") + pd.impl_info_str());
  } catch (const dnnl::error& e) {
    return onednn::declined(e, "oneDNN dense");
  }
}

}  // namespace

Result<std::unique_ptr<Kernel>> prepare_dense(const ops::DenseParams& folded, const KernelRequest& r) {
  if (r.conv_library == ConvLibrary::onednn && onednn::available()) {
    // oneDNN applies weights_scale while it reorders the weights into its own layout.
    INGOT_ASSIGN_OR_RETURN(auto kernel, prepare_onednn(folded, r));
    if (kernel) return kernel;
  }
  ops::DenseParams p = folded;  // XNNPACK packs from the weights with weights_scale applied
  INGOT_ASSIGN_OR_RETURN(p.weights, packing_weights(folded.weights, folded.weights_scale, r));
  p.weights_scale.reset();
  if (!xnn::available()) return std::unique_ptr<Kernel>();
  const auto out_features = static_cast<std::size_t>(p.weights.shape()[0]);
  const auto in_features = static_cast<std::size_t>(p.weights.shape()[1]);
  const auto rows = static_cast<std::size_t>(r.inputs[0]->num_elements()) / in_features;
  xnn_operator_t op = nullptr;
  const xnn_status created = xnn_create_fully_connected_nc_f32(
      in_features, out_features, in_features, out_features, p.weights.data<float>().data(),
      p.bias ? p.bias->data<float>().data() : nullptr, r.clamp.min, r.clamp.max, 0, &op);
  const float* in = r.inputs[0]->data<float>().data();
  float* out = r.outputs[0]->mutable_data<float>().data();
  return xnn::finish(
      created, op, *r.pool,
      [&](xnn_operator_t o) { return xnn_setup_fully_connected_nc_f32(o, rows, in, out, r.pool->get()); },
      "dense gemm");
}

}  // namespace ingot::kernels
