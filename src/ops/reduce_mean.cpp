// ReduceMean: the mean over `axes` in float32, the way TF's reduce_mean computes it: a sum (here in
// input order), then one division by the number of reduced elements.
#include <algorithm>

#include "ops/reduce.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::ReduceParams;

void reduce_mean_kernel(const ReduceParams& p, const KernelArgs& args) {
  const Tensor& input = *args.inputs[0];
  const auto x = input.data<float>();
  auto y = args.outputs[0]->mutable_data<float>();  // arena memory: holds stale values
  std::fill(y.begin(), y.end(), 0.0f);
  ops::walk_reduction(input.shape(), p.axes, [&](std::size_t i, std::size_t o) { y[o] += x[i]; });
  if (y.empty()) return;
  const auto count = static_cast<float>(x.size() / y.size());
  for (float& v : y) v /= count;
}

}  // namespace

OpDef make_ReduceMean_op() {
  return make_op<ReduceParams>(
      {.name = "ReduceMean", .doc = "Mean over the given axes (float32 sum, then divide)."},
      ops::reduce_params(), ops::infer_reduce, reduce_mean_kernel);
}

}  // namespace ingot
