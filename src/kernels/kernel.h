// Optimized kernels: what the runtime runs instead of the reference kernels of src/ops.
//
// A kernel is prepared once, in the plan phase, for one node with its final tensors (their
// shapes and arena addresses fixed): it packs the weights into the layout it wants and sets up
// everything it needs. The run phase only calls run(): no allocation, no validation.
//
// Every optimized kernel computes what its op's reference kernel computes, within the
// tolerances tests/kernels states; the reference kernels stay the oracle (`ingot run
// --reference` runs on them alone).
#pragma once

#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/tensor_arena.h"
#include "ingot/op.h"

struct pthreadpool;

namespace ingot::kernels {

// A clamp applied to a kernel's outputs: how a ReLU / ReLU6 / clipped ReLU that follows a
// convolution, dense, pooling or add is fused into it (see src/plan/fuse_activation.cpp).
struct Clamp {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  bool active() const { return min != -std::numeric_limits<float>::infinity() || max != std::numeric_limits<float>::infinity(); }
  friend bool operator==(const Clamp&, const Clamp&) = default;
};
std::string describe(const Clamp& clamp);  // "clamp [0, 6]"

// Which library runs Conv2D and Dense. oneDNN is the default, chosen by measurement
// (docs/runtime.md); XNNPACK stays selectable to compare and to bisect (--conv-kernels).
enum class ConvLibrary { onednn, xnnpack };
const char* conv_library_name(ConvLibrary library);

// The session's threads, created at plan time; threads == 1 runs inline.
//
// oneDNN (the convolutions and dense layers) runs on OpenMP's workers, XNNPACK (the other
// kernels) on pthreadpool's; both spin between jobs, and two spinning pools on the same cores
// more than doubled the convolutions' time at 2 threads (ResNet-18: 25.8 ms against 10.8 ms
// with XNNPACK inline). So when oneDNN runs the convolutions, XNNPACK's kernels (pooling,
// elementwise, padding, softmax: memory-bound, a few % of the time) run on the calling thread,
// and pthreadpool workers exist only when XNNPACK runs the convolutions too.
class ThreadPool {
 public:
  ThreadPool(int threads, ConvLibrary conv_library);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  int threads() const { return threads_; }
  // XNNPACK's pool: nullptr runs its kernels on the calling thread.
  pthreadpool* get() const { return pool_; }

 private:
  int threads_ = 1;
  pthreadpool* pool_ = nullptr;
};

// The machine's cores, as the default of --threads.
int default_threads();

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void run() = 0;
  // What runs, for `ingot inspect --plan` and the profile: "xnnpack conv2d igemm", ...
  virtual std::string name() const = 0;
};

struct KernelRequest {
  std::string_view op;
  const void* params = nullptr;  // the op's bound parameters (ops/params.h)
  std::span<const Tensor* const> inputs;
  std::span<Tensor* const> outputs;
  Clamp clamp;                   // fused activation; only where accepts_clamp() said yes
  const ThreadPool* pool = nullptr;
  ConvLibrary conv_library = ConvLibrary::onednn;
  bool winograd = true;  // Conv2D may run on oneDNN's Winograd kernel
  // Memory the kernel may use while it runs, shared with the session's other steps: at
  // least scratch_bytes(request) bytes, 64-byte aligned (empty when that is 0).
  std::span<std::byte> scratch;
  // Where packed weights go (one session's weights share a few large buffers); nullptr: each
  // kernel allocates its own.
  TensorArena* weights_arena = nullptr;
  // Memory a prepare may use while it packs (scaled weights, below), reused by the next
  // prepare; nullptr: such copies get their own memory.
  std::vector<std::byte>* pack_scratch = nullptr;
};

// The weights a kernel packs: `weights` itself without a scale, else weights[o] * scale[o]
// (o the leading axis, each product rounded to f32 once, as a folded copy would hold) in the
// request's pack scratch. Valid until the next prepare: the packed copy is what a kernel keeps,
// so a scaled copy per layer would only cost memory and page faults.
Result<Tensor> packing_weights(const Tensor& weights, const std::optional<Tensor>& scale, const KernelRequest& r);

// dst[o * per + i] = weights[o * per + i] * scale[o], o the leading axis: the scaled weights in
// ingot's own layout, written to `dst` (room for weights.num_elements() floats).
void scale_rows(const Tensor& weights, const Tensor& scale, float* dst);

// Scratch memory prepare() needs for this request (its tensors' shapes are what counts).
std::size_t scratch_bytes(const KernelRequest& request);

// The optimized kernel for a node, or nullptr when none handles it (its op, layout or
// parameters): the runtime then runs the reference kernel. Errors are real failures (out of
// memory while packing weights).
Result<std::unique_ptr<Kernel>> prepare(const KernelRequest& request);

// Whether prepare() takes a fused clamp for a node of `op` with these parameters and input
// infos: the activation-fusion pass asks before it fuses.
bool accepts_clamp(std::string_view op, const void* params, std::span<const TensorInfo> inputs);

// Whether prepare() takes a residual summand as a second input of a node of `op` (a Conv2D
// whose kernel adds it inside, oneDNN's binary post-op): the residual-fusion pass asks.
bool accepts_residual(std::string_view op, const void* params, ConvLibrary library);

// Extra bytes the optimized kernels may read (never write) past the end of an activation:
// vector loads of the last elements. The runtime leaves this much slack after its arena.
inline constexpr std::size_t kReadSlack = 64;

}  // namespace ingot::kernels
