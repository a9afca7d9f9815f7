// oneDNN 2.6 (Debian libdnnl2) through the C++ API: one primitive per layer with src/dst in NHWC
// on the harness buffers, weights in the layout the primitive asked for (format_tag::any),
// reordered once here, and bias + activation fused as post-ops.
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend.hpp"

namespace ks {

dnnl::algorithm onednn_algorithm();
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::primitive_attr activation_attr(Activation act) {
  dnnl::post_ops ops;
  if (act == Activation::kRelu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  if (act == Activation::kRelu6)
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  return attr;
}

struct Step {
  dnnl::primitive prim;
  std::unordered_map<int, memory> args;
  std::string impl;
};

class OnednnBackend final : public Backend {
 public:
  explicit OnednnBackend(const BackendSetup& s)
      : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    // oneDNN sizes its blocking from the OpenMP thread count at primitive creation, so set it
    // before creating anything. This is a process-wide setting of the libgomp runtime.
    omp_set_num_threads(s.threads);
    for (size_t i = 0; i < s.net.layers.size(); ++i) {
      const Layer& l = s.net.layers[i];
      steps_.push_back(l.kind == LayerKind::kDense ? dense_step(l, s.weights[i], s.io[i])
                                                   : conv_step(l, s.weights[i], s.io[i]));
    }
  }

  void run_layer(size_t index) override {
    Step& step = steps_[index];
    step.prim.execute(stream_, step.args);
    stream_.wait();
  }
  std::string describe_layer(size_t index) const override { return steps_[index].impl; }

 private:
  // Copies the canonical weights into the primitive's preferred layout; runs once.
  memory packed_weights(const memory::desc& user_md, const memory::desc& want,
                        const LayerWeights& w) {
    memory user(user_md, engine_, const_cast<float*>(w.weights.data()));
    memory packed(want, engine_);
    try {
      dnnl::reorder(user, packed).execute(stream_, user, packed);
    } catch (const dnnl::error&) {  // winograd weights: no reorder from ohwi; timing only
      std::memset(packed.get_data_handle(), 0, want.get_size());
    }
    stream_.wait();
    return packed;
  }

  Step conv_step(const Layer& l, const LayerWeights& w, const LayerIo& io) {
    const bool dw = l.kind == LayerKind::kDepthwise;
    memory::desc src({1, l.in_c, l.in_h, l.in_w}, dt::f32, tag::nhwc);
    memory::desc dst({1, l.out_c, l.out_h(), l.out_w()}, dt::f32, tag::nhwc);
    memory::desc bias({l.out_c}, dt::f32, tag::x);
    // Depthwise = groups of one in/one out channel; hwigo over (g=C, o=1, i=1) is exactly
    // the canonical [k][k][C] depthwise layout, and ohwi is the canonical conv layout.
    memory::dims wdims = dw ? memory::dims{l.in_c, 1, 1, l.kernel, l.kernel}
                            : memory::dims{l.out_c, l.in_c, l.kernel, l.kernel};
    memory::desc user_w(wdims, dt::f32, dw ? tag::hwigo : tag::ohwi);
    memory::desc any_w(wdims, dt::f32, tag::any);
    // KS_ONEDNN_BLOCKED=1: activations in the layout oneDNN prefers (nChw16c on AVX-512) on
    // its own buffers, to measure what a layout pass keeping them blocked would gain. The
    // outputs are then not comparable, so main() skips the agreement check.
    const bool blocked = onednn_blocked();
    memory::desc src_any({1, l.in_c, l.in_h, l.in_w}, dt::f32, blocked ? tag::any : tag::nhwc);
    memory::desc dst_any({1, l.out_c, l.out_h(), l.out_w()}, dt::f32,
                         blocked ? tag::any : tag::nhwc);
    const auto make_pd = [&](dnnl::algorithm algo) {
      dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, algo, src_any, any_w, bias,
          dst_any, {l.stride, l.stride}, {l.pad.top, l.pad.left}, {l.pad.bottom, l.pad.right});
      return dnnl::convolution_forward::primitive_desc(desc, activation_attr(l.act), engine_);
    };
    // KS_ONEDNN_ALGO=winograd|auto: try that algorithm first, fall back to direct where oneDNN
    // has no implementation for the layer.
    dnnl::convolution_forward::primitive_desc pd;
    try {
      pd = make_pd(onednn_algorithm());
    } catch (const dnnl::error&) {
      pd = make_pd(dnnl::algorithm::convolution_direct);
    }
    Step step = make_step(dnnl::convolution_forward(pd), pd.impl_info_str(), src, dst, bias,
                     packed_weights(user_w, pd.weights_desc(), w), w, io);
    if (blocked) {
      step.args[DNNL_ARG_SRC] = memory(pd.src_desc(), engine_);
      step.args[DNNL_ARG_DST] = memory(pd.dst_desc(), engine_);
    }
    return step;
  }

  Step dense_step(const Layer& l, const LayerWeights& w, const LayerIo& io) {
    memory::desc src({1, l.in_c}, dt::f32, tag::nc);
    memory::desc dst({1, l.out_c}, dt::f32, tag::nc);
    memory::desc bias({l.out_c}, dt::f32, tag::x);
    memory::desc user_w({l.out_c, l.in_c}, dt::f32, tag::oi);
    memory::desc any_w({l.out_c, l.in_c}, dt::f32, tag::any);
    dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, src, any_w, bias,
                                           dst);
    dnnl::inner_product_forward::primitive_desc pd(desc, activation_attr(l.act), engine_);
    return make_step(dnnl::inner_product_forward(pd), pd.impl_info_str(), src, dst, bias,
                     packed_weights(user_w, pd.weights_desc(), w), w, io);
  }

  Step make_step(dnnl::primitive prim, const char* impl, const memory::desc& src,
                 const memory::desc& dst, const memory::desc& bias, memory weights,
                 const LayerWeights& w, const LayerIo& io) {
    Step step{std::move(prim), {}, impl};
    step.args[DNNL_ARG_SRC] = memory(src, engine_, io.input);
    step.args[DNNL_ARG_DST] = memory(dst, engine_, io.output);
    step.args[DNNL_ARG_WEIGHTS] = std::move(weights);
    step.args[DNNL_ARG_BIAS] = memory(bias, engine_, const_cast<float*>(w.bias.data()));
    return step;
  }

  dnnl::engine engine_;
  dnnl::stream stream_;
  std::vector<Step> steps_;
};

}  // namespace

dnnl::algorithm onednn_algorithm() {
  const char* a = std::getenv("KS_ONEDNN_ALGO");
  if (a == nullptr) return dnnl::algorithm::convolution_direct;
  if (std::string(a) == "winograd") return dnnl::algorithm::convolution_winograd;
  if (std::string(a) == "auto") return dnnl::algorithm::convolution_auto;
  return dnnl::algorithm::convolution_direct;
}

bool onednn_blocked() { return std::getenv("KS_ONEDNN_BLOCKED") != nullptr; }

std::unique_ptr<Backend> make_onednn_backend(const BackendSetup& setup) {
  return std::make_unique<OnednnBackend>(setup);
}

std::string onednn_info() {
  const dnnl_version_t* v = dnnl::version();
  // Debian builds libdnnl2 with DNNL_CPU_RUNTIME=OMP, linked against GCC's libgomp.
  const char* runtime =
      DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP ? "OpenMP (libgomp)" : "not OpenMP";
  return "oneDNN: " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
         std::to_string(v->patch) + ", CPU runtime " + runtime +
         ", threads via omp_set_num_threads, post-ops eltwise_relu / eltwise_clip(0, 6)";
}

}  // namespace ks
