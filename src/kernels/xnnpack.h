// Shared plumbing of the XNNPACK-backed kernels: library initialisation, an owning operator
// handle, and the one Kernel class they all are (an operator set up once, run many times).
#pragma once

#include <xnnpack.h>

#include <memory>
#include <string>

#include "kernels/kernel.h"

namespace ingot::kernels::xnn {

// Initialises XNNPACK once per process; false if the CPU is not supported.
bool available();

struct OperatorDeleter {
  void operator()(xnn_operator_t op) const { xnn_delete_operator(op); }
};
using Operator = std::unique_ptr<xnn_operator, OperatorDeleter>;

class OperatorKernel final : public Kernel {
 public:
  OperatorKernel(Operator op, pthreadpool* pool, std::string name)
      : op_(std::move(op)), pool_(pool), name_(std::move(name)) {}
  void run() override { xnn_run_operator(op_.get(), pool_); }
  std::string name() const override { return name_; }

 private:
  Operator op_;
  pthreadpool* pool_;
  std::string name_;
};

// A created-and-set-up operator as a Kernel; nullptr (fall back to the reference kernel) when
// XNNPACK rejected the parameters (xnn_status_invalid_parameter / unsupported_parameter), an
// error when it failed otherwise (out of memory).
Result<std::unique_ptr<Kernel>> finish(xnn_status create, xnn_operator_t op, const ThreadPool& pool,
                                       const std::function<xnn_status(xnn_operator_t)>& setup,
                                       std::string name);

}  // namespace ingot::kernels::xnn
