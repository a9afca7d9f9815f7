#include "kernels/xnnpack.h"

#include "kernels/cpu_level.h"
#include "kernels/onednn.h"

#include <pthreadpool.h>

#include <cstdio>
#include <mutex>
#include <thread>

namespace ingot::kernels {

ThreadPool::ThreadPool(int threads, ConvLibrary conv_library) : threads_(threads < 1 ? 1 : threads) {
  // One thread runs on the caller: XNNPACK treats a null pool as "inline".
  const bool xnnpack_convolutions = conv_library == ConvLibrary::xnnpack || !onednn::available();
  if (threads_ > 1 && xnnpack_convolutions) {
    pool_ = pthreadpool_create(static_cast<std::size_t>(threads_));
    if (pool_ == nullptr) threads_ = 1;
  }
}

ThreadPool::~ThreadPool() {
  if (pool_ != nullptr) pthreadpool_destroy(pool_);
}

int default_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::string describe(const Clamp& clamp) {
  char text[96];
  std::snprintf(text, sizeof text, "clamp [%g, %g]", static_cast<double>(clamp.min), static_cast<double>(clamp.max));
  return text;
}

const char* conv_library_name(ConvLibrary library) {
  return library == ConvLibrary::onednn ? "onednn" : "xnnpack";
}

namespace xnn {

bool available() {
  static const bool ok = (apply_cpu_level(), xnn_initialize(nullptr) == xnn_status_success);
  return ok;
}

Result<std::unique_ptr<Kernel>> finish(xnn_status create, xnn_operator_t op, const ThreadPool& pool,
                                       const std::function<xnn_status(xnn_operator_t)>& setup,
                                       std::string name) {
  Operator owned(create == xnn_status_success ? op : nullptr);
  auto rejected = [](xnn_status s) {
    return s == xnn_status_invalid_parameter || s == xnn_status_unsupported_parameter ||
           s == xnn_status_unsupported_hardware;
  };
  if (create != xnn_status_success) {
    if (rejected(create)) return std::unique_ptr<Kernel>();
    return internal_error("prepare " + name + ": XNNPACK failed to create the operator (status " +
                          std::to_string(static_cast<int>(create)) + ")");
  }
  const xnn_status s = setup(owned.get());
  if (s != xnn_status_success) {
    if (rejected(s)) return std::unique_ptr<Kernel>();
    return internal_error("prepare " + name + ": XNNPACK failed to set the operator up (status " +
                          std::to_string(static_cast<int>(s)) + ")");
  }
  return std::unique_ptr<Kernel>(std::make_unique<OperatorKernel>(std::move(owned), pool.get(), "xnnpack " + name));
}

}  // namespace xnn
}  // namespace ingot::kernels
