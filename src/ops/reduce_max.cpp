// ReduceMax: the maximum over `axes`; a NaN anywhere in a reduced block wins, as in numpy.
#include <limits>

#include "ops/reduce.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::ReduceParams;

void reduce_max_kernel(const ReduceParams& p, const KernelArgs& args) {
  const Tensor& input = *args.inputs[0];
  const auto x = input.data<float>();
  auto y = args.outputs[0]->mutable_data<float>();
  // Every reduced dim is >= 1 (infer), so each output sees at least one input.
  for (float& v : y) v = -std::numeric_limits<float>::infinity();
  ops::walk_reduction(input.shape(), p.axes, [&](std::size_t i, std::size_t o) {
    if (x[i] > y[o] || x[i] != x[i]) y[o] = x[i];
  });
}

}  // namespace

OpDef make_ReduceMax_op() {
  return make_op<ReduceParams>({.name = "ReduceMax", .doc = "Maximum over the given axes."},
                               ops::reduce_params(), ops::infer_reduce, reduce_max_kernel);
}

}  // namespace ingot
