// ConvTranspose2D on NHWC activations through oneDNN's deconvolution primitive (Keras
// Conv2DTranspose, Caffe Deconvolution; NCHW graphs reach it through the nhwc_layout pass).
//
// ingot's IOHW weights [in, out / groups, kh, kw] are oneDNN's iohw (giohw with groups) byte
// for byte; they are reordered once into the primitive's layout. The geometry maps directly:
// ingot crops `pads` from the full output and adds `output_padding` rows / columns at the
// bottom / right, which is oneDNN's right padding pads - output_padding; where that is
// negative (more output padding than cropping) oneDNN has no form and the reference runs.
#include "kernels/onednn.h"
#include "kernels/ops.h"
#include "ops/params.h"

namespace ingot::kernels {

Result<std::unique_ptr<Kernel>> prepare_conv_transpose2d(const ops::ConvTranspose2DParams& p, const KernelRequest& r) {
  using dnnl::memory;
  using tag = memory::format_tag;
  if (p.layout != "NHWC" || r.inputs.size() != 1 || r.conv_library != ConvLibrary::onednn || !onednn::available())
    return std::unique_ptr<Kernel>();
  const std::int64_t pad_b = p.pads[2] - p.output_padding[0], pad_r = p.pads[3] - p.output_padding[1];
  if (pad_b < 0 || pad_r < 0 || r.outputs[0]->num_elements() == 0) return std::unique_ptr<Kernel>();
  const Shape& x = r.inputs[0]->shape();  // N, H, W, C
  const Shape& y = r.outputs[0]->shape();
  const Shape& w = p.weights.shape();
  try {
    const memory::desc src({x[0], x[3], x[1], x[2]}, memory::data_type::f32, tag::nhwc);
    const memory::desc dst({y[0], y[3], y[1], y[2]}, memory::data_type::f32, tag::nhwc);
    const std::int64_t group_out = w[1], group_in = w[0] / p.groups;
    const memory::dims wdims = p.groups == 1 ? memory::dims{group_out, w[0], w[2], w[3]}
                                             : memory::dims{p.groups, group_out, group_in, w[2], w[3]};
    const memory::desc have_w(wdims, memory::data_type::f32, p.groups == 1 ? tag::iohw : tag::giohw);
    const memory::desc any_w(wdims, memory::data_type::f32, tag::any);
    const memory::desc bias({y[3]}, memory::data_type::f32, tag::x);
    const memory::dims strides{p.strides[0], p.strides[1]};
    const memory::dims dilations{p.dilations[0] - 1, p.dilations[1] - 1};  // oneDNN counts the gaps
    const memory::dims pad_l{p.pads[0], p.pads[1]}, pad_rb{pad_b, pad_r};
    using deconv = dnnl::deconvolution_forward;
    const auto desc = p.bias ? deconv::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                            src, any_w, bias, dst, strides, dilations, pad_l, pad_rb)
                             : deconv::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                            src, any_w, dst, strides, dilations, pad_l, pad_rb);
    onednn::use_threads(r.pool->threads());
    const deconv::primitive_desc pd(desc, onednn::post_ops(r.clamp, onednn::Residual::none), onednn::engine());
    std::vector<std::pair<int, dnnl::memory>> io{{DNNL_ARG_SRC, onednn::wrap(src, *r.inputs[0])},
                                                 {DNNL_ARG_DST, onednn::wrap(dst, *r.outputs[0])}};
    return onednn::make_kernel(deconv(pd), pd.weights_desc(),
                               {have_w, p.weights, bias, p.bias, std::move(io), r.weights_arena}, r.pool->threads(),
                               std::string("onednn conv_transpose2d ") + pd.impl_info_str());
  } catch (const dnnl::error& e) {
    return onednn::declined(e, "oneDNN conv_transpose2d");
  }
}

}  // namespace ingot::kernels
