#include "kernels/onednn.h"

#include <omp.h>

#include <cstring>

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

// Copies `w` into a new buffer laid out as `want`, carved from `arena` when there is one.
Result<dnnl::memory> reorder_weights(const dnnl::memory::desc& have, const dnnl::memory::desc& want, const Tensor& w,
                                     TensorArena* arena, std::vector<Tensor>& buffers) {
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
    std::memcpy(to.get_data_handle(), w.bytes(), want.get_size());
    return to;
  }
  dnnl::memory from = wrap(have, w);
  dnnl::reorder(from, to).execute(stream(), from, to);
  stream().wait();
  return to;
}

Result<std::unique_ptr<Kernel>> make_kernel(dnnl::primitive primitive, const dnnl::memory::desc& want_weights,
                                            Binding binding, int threads, std::string name) {
  std::vector<std::pair<int, dnnl::memory>> args = std::move(binding.io);
  std::vector<Tensor> buffers;
  INGOT_ASSIGN_OR_RETURN(dnnl::memory weights, reorder_weights(binding.have_weights, want_weights, binding.weights,
                                                               binding.arena, buffers));
  args.emplace_back(DNNL_ARG_WEIGHTS, std::move(weights));
  if (binding.bias) {
    INGOT_ASSIGN_OR_RETURN(dnnl::memory bias, reorder_weights(binding.bias_desc, binding.bias_desc, *binding.bias,
                                                              binding.arena, buffers));
    args.emplace_back(DNNL_ARG_BIAS, std::move(bias));
  }
  return std::unique_ptr<Kernel>(std::make_unique<PrimitiveKernel>(std::move(primitive), std::move(args),
                                                                   std::move(buffers), threads, std::move(name)));
}

dnnl::primitive_attr post_ops(const Clamp& clamp, const dnnl::memory::desc* residual) {
  dnnl::post_ops ops;
  if (residual != nullptr) ops.append_binary(dnnl::algorithm::binary_add, *residual);
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

PrimitiveKernel::PrimitiveKernel(dnnl::primitive primitive, std::vector<std::pair<int, dnnl::memory>> args,
                                 std::vector<Tensor> buffers, int threads, std::string name)
    : primitive_(std::move(primitive)),
      memories_(std::move(args)),
      buffers_(std::move(buffers)),
      threads_(threads),
      name_(std::move(name)) {
  for (const auto& [arg, mem] : memories_) args_.push_back({arg, mem.get()});
}

void PrimitiveKernel::run() {
  use_threads(threads_);
  // The C call takes the prepared argument array: the C++ overload builds a vector per call.
  dnnl_primitive_execute(primitive_.get(), stream().get(), static_cast<int>(args_.size()), args_.data());
  dnnl_stream_wait(stream().get());
}

Result<std::unique_ptr<Kernel>> declined(const dnnl::error& e, const std::string& what) {
  if (e.status == dnnl_unimplemented) return std::unique_ptr<Kernel>();
  if (e.status == dnnl_out_of_memory) return internal_error("prepare " + what + ": oneDNN ran out of memory");
  return internal_error("prepare " + what + ": oneDNN failed (" + e.what() + ")");
}

}  // namespace ingot::kernels::onednn
