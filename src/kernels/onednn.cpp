#include "kernels/onednn.h"

#include <omp.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "kernels/cpu_level.h"

namespace ingot::kernels::onednn {

bool available() {
  static const bool ok = [] {
    apply_cpu_level();  // before oneDNN's first primitive fixes its ISA
    if (!onednn_allowed()) return false;
    try {
      engine();
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return ok;
}

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

namespace {
dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}
}  // namespace

void use_threads(int threads) {
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
}

dnnl::memory wrap(const dnnl::memory::desc& desc, const Tensor& t) {
  return dnnl::memory(desc, engine(), const_cast<std::byte*>(t.bytes()));
}

namespace {

// Output channels are axis 0 of oihw / io, axes 0 and 1 (group, channel in group) of goihw.
int output_channel_mask(const dnnl::memory::desc& have) { return have.data.ndims == 5 ? 0b11 : 0b1; }

// The reorder's temporary memory (Winograd's weight transform needs tens of MiB) comes from
// one buffer kept for every plan: fresh memory per reorder costs a page fault per 4 KiB.
void run_reorder(const dnnl::reorder::primitive_desc& pd, const dnnl::memory& from, const dnnl::memory& to) {
  static std::vector<std::byte> scratch;
  static std::mutex scratch_mutex;
  const std::lock_guard lock(scratch_mutex);
  if (scratch.size() < pd.scratchpad_desc().get_size()) scratch.resize(pd.scratchpad_desc().get_size());
  dnnl::memory pad(pd.scratchpad_desc(), engine(), scratch.data());
  dnnl::reorder(pd).execute(stream(), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}, {DNNL_ARG_SCRATCHPAD, pad}});
  stream().wait();
}

dnnl::primitive_attr reorder_attr(const dnnl::memory::desc& have, const Tensor* scale) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (scale != nullptr) {
    const auto s = scale->data<float>();
    attr.set_output_scales(output_channel_mask(have), std::vector<float>(s.begin(), s.end()));
  }
  return attr;
}

}  // namespace

Result<dnnl::memory> reorder_weights(const dnnl::memory::desc& have, const dnnl::memory::desc& want, const Tensor& w,
                                     const Tensor* scale, TensorArena* arena, std::vector<Tensor>& buffers) {
  if (arena == nullptr) {
    INGOT_ASSIGN_OR_RETURN(Tensor own, Tensor::allocate(DType::u8, Shape{static_cast<std::int64_t>(want.get_size())}));
    buffers.push_back(std::move(own));
  } else {
    INGOT_ASSIGN_OR_RETURN(Tensor carved, arena->allocate_bytes(want.get_size()));
    buffers.push_back(std::move(carved));
  }
  dnnl::memory to(want, engine(), buffers.back().mutable_bytes());
  if (have == want) {
    // Same layout: a copy all the same, so the kernel does not depend on the constant's storage.
    if (scale != nullptr) {
      scale_rows(w, *scale, static_cast<float*>(to.get_data_handle()));
    } else {
      std::memcpy(to.get_data_handle(), w.bytes(), want.get_size());
    }
    return to;
  }
  dnnl::memory from = wrap(have, w);
  // Into a blocked layout the scale rides on the reorder: one pass over the weights, no scaled
  // copy to page in. Not into the Winograd layout: oneDNN 2.6's transform accepts per-channel
  // output scales but applies them to the wrong channels (the kernel tests catch it), so the
  // scaled copy comes first there.
  if (scale == nullptr || want.data.format_kind == dnnl_blocked) {
    const dnnl::reorder::primitive_desc pd(from, to, reorder_attr(have, scale));
    run_reorder(pd, from, to);
    return to;
  }
  INGOT_ASSIGN_OR_RETURN(Tensor scaled, Tensor::allocate(DType::f32, w.shape()));
  scale_rows(w, *scale, scaled.mutable_data<float>().data());
  from = wrap(have, scaled);
  const dnnl::reorder::primitive_desc pd(from, to, reorder_attr(have, nullptr));
  run_reorder(pd, from, to);
  return to;
}

Step reorder_step(const dnnl::memory& from, const dnnl::memory& to) {
  return {dnnl::reorder(from, to), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}};
}

Result<std::unique_ptr<Kernel>> make_kernel(dnnl::primitive primitive, const dnnl::memory::desc& want_weights,
                                            Binding binding, int threads, std::string name) {
  std::vector<std::pair<int, dnnl::memory>> args = std::move(binding.io);
  std::vector<Tensor> buffers;
  INGOT_ASSIGN_OR_RETURN(dnnl::memory weights, reorder_weights(binding.have_weights, want_weights, binding.weights,
                                                               binding.weights_scale, binding.arena, buffers));
  args.emplace_back(DNNL_ARG_WEIGHTS, std::move(weights));
  if (binding.bias) {
    INGOT_ASSIGN_OR_RETURN(dnnl::memory bias, reorder_weights(binding.bias_desc, binding.bias_desc, *binding.bias, nullptr,
                                                              binding.arena, buffers));
    args.emplace_back(DNNL_ARG_BIAS, std::move(bias));
  }
  std::vector<Step> steps = std::move(binding.before);
  steps.push_back({std::move(primitive), std::move(args)});
  for (Step& s : binding.after) steps.push_back(std::move(s));
  return std::unique_ptr<Kernel>(
      std::make_unique<PrimitiveKernel>(std::move(steps), std::move(buffers), threads, std::move(name)));
}

dnnl::primitive_attr post_ops(const Clamp& clamp, Residual how, const dnnl::memory::desc* residual) {
  dnnl::post_ops ops;
  if (how == Residual::binary) ops.append_binary(dnnl::algorithm::binary_add, *residual);
  if (how == Residual::sum) ops.append_sum(1.0f);
  if (clamp.active()) {
    if (clamp.min == 0.0f && clamp.max == std::numeric_limits<float>::infinity())
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    else
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, clamp.min, clamp.max);
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  return attr;
}

PrimitiveKernel::PrimitiveKernel(std::vector<Step> steps, std::vector<Tensor> buffers, int threads, std::string name)
    : steps_(std::move(steps)), buffers_(std::move(buffers)), threads_(threads), name_(std::move(name)) {
  for (const Step& step : steps_) {
    args_.emplace_back();
    for (const auto& [arg, mem] : step.args) args_.back().push_back({arg, mem.get()});
  }
}

void PrimitiveKernel::run() {
  use_threads(threads_);
  // The C call takes the prepared argument array: the C++ overload builds a vector per call.
  for (std::size_t i = 0; i < steps_.size(); ++i)
    dnnl_primitive_execute(steps_[i].primitive.get(), stream().get(), static_cast<int>(args_[i].size()),
                           args_[i].data());
  dnnl_stream_wait(stream().get());
}

Result<std::unique_ptr<Kernel>> declined(const dnnl::error& e, const std::string& what) {
  if (e.status == dnnl_unimplemented) return std::unique_ptr<Kernel>();
  if (e.status == dnnl_out_of_memory) return internal_error("prepare " + what + ": oneDNN ran out of memory");
  return internal_error("prepare " + what + ": oneDNN failed (" + e.what() + ")");
}

}  // namespace ingot::kernels::onednn
