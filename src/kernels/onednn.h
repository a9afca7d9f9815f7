// Shared plumbing of the oneDNN-backed kernels (Debian libdnnl-dev 2.6): the process's CPU
// engine and stream, and the one Kernel class they all are: a primitive created at plan time
// with its memory objects bound to the arena, executed as is in the run phase.
//
// Threads: Debian builds oneDNN on OpenMP (libgomp), so its workers are libgomp's, not the
// session's pthreadpool. The thread count is an OpenMP setting of the calling thread; each
// kernel sets its session's count before it runs (a field store in libgomp), so sessions with
// different --threads in one process each get theirs.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <optional>
#include <string>
#include <vector>

#include "kernels/kernel.h"

namespace ingot::kernels::onednn {

// False when oneDNN cannot run on this CPU (then XNNPACK or the reference kernels run).
bool available();
dnnl::engine& engine();

// Sets the OpenMP thread count oneDNN uses from this thread on.
void use_threads(int threads);

// Memory over a tensor the arena owns (no copy).
dnnl::memory wrap(const dnnl::memory::desc& desc, const Tensor& t);

// Weights copied once into the layout the primitive chose (`want`), from ingot's layout (`have`),
// into memory carved from `arena` (nullptr: a buffer of its own, kept in `buffers`). With a
// `scale`, output channel o (the leading axis of ingot's layout) is multiplied by scale[o] on the
// way, each product rounded to f32 once: the same values a folded copy would hold.
Result<dnnl::memory> reorder_weights(const dnnl::memory::desc& have, const dnnl::memory::desc& want, const Tensor& w,
                                     const Tensor* scale, TensorArena* arena, std::vector<Tensor>& buffers);

// One primitive with its arguments, as the run phase executes it.
struct Step {
  dnnl::primitive primitive;
  std::vector<std::pair<int, dnnl::memory>> args;
};

// A reorder of `from` into `to` (layouts differ, sizes agree), as a step.
Step reorder_step(const dnnl::memory& from, const dnnl::memory& to);

// What a convolution or inner product is bound to: its weights (in ingot's layout, reordered
// here into the primitive's), an optional bias, and the arena memory it reads and writes.
struct Binding {
  const dnnl::memory::desc& have_weights;
  const Tensor& weights;
  const dnnl::memory::desc& bias_desc;
  const std::optional<Tensor>& bias;
  std::vector<std::pair<int, dnnl::memory>> io;  // DNNL_ARG_SRC, DNNL_ARG_DST, post-op operands
  TensorArena* arena = nullptr;                   // where the copies go; nullptr: their own memory
  const Tensor* weights_scale = nullptr;          // per output channel, applied while reordering
  // Steps around the primitive: layout changes of its activations (Winograd's blocked ones).
  std::vector<Step> before, after;
};

// A Binding's weights_scale from an op's optional one.
inline const Tensor* scale_of(const std::optional<Tensor>& scale) { return scale ? &*scale : nullptr; }

// The kernel for a created primitive: weights reordered into `want_weights`, bias copied,
// arguments bound once.
Result<std::unique_ptr<Kernel>> make_kernel(dnnl::primitive primitive, const dnnl::memory::desc& want_weights,
                                            Binding binding, int threads, std::string name);

// How a residual summand enters the primitive: as a binary add of its own tensor, or as a sum
// into the destination, which then holds the summand before the primitive runs.
enum class Residual { none, binary, sum };

// A clamp and/or a residual summand as post-ops, in the order the op computes them:
// y = clamp(conv(x) + bias + residual). `residual` is the summand's layout (binary only).
dnnl::primitive_attr post_ops(const Clamp& clamp, Residual how, const dnnl::memory::desc* residual = nullptr);

class PrimitiveKernel final : public Kernel {
 public:
  PrimitiveKernel(std::vector<Step> steps, std::vector<Tensor> buffers, int threads, std::string name);
  void run() override;
  std::string name() const override { return name_; }

 private:
  std::vector<Step> steps_;                          // keeps primitives and memory handles alive
  std::vector<Tensor> buffers_;                      // the memory the weight handles point into
  std::vector<std::vector<dnnl_exec_arg_t>> args_;  // what execute reads, per step: built once
  int threads_;
  std::string name_;
};

// What a prepare function returns when oneDNN threw: nullptr (the caller falls back) when it
// has no implementation for the parameters, an error when it failed otherwise.
Result<std::unique_ptr<Kernel>> declined(const dnnl::error& e, const std::string& what);

}  // namespace ingot::kernels::onednn
