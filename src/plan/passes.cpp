#include "ir/passes.h"
#include "plan/plan_graph.h"

namespace ingot::plan {

const std::vector<Pass>& passes() {
  static const std::vector<Pass> list{
      {"nhwc_layout", "run NCHW convolutions and pooling (Caffe) in NHWC, transposing only where a reader needs NCHW",
       nhwc_layout},
      {"drop_identity", "remove nodes that return their input (unit Affine, same-shape Reshape)", drop_identity},
      {"fold_batch_norm", "fold BatchNorm / Scale / Affine into the preceding Conv2D or Dense", fold_batch_norm},
      {"fold_pad", "fold a zero spatial Pad into the padding of the Conv2Ds reading it", fold_pad},
      {"fuse_residual_add", "add a residual Add's other operand inside the Conv2D producing its first",
       fuse_residual_add},
      {"fuse_activation", "run a clamp-form ReLU (ReLU, ReLU6) inside the kernel producing its input",
       fuse_activation},
  };
  return list;
}

Status optimize(PlanGraph& plan, const OpRegistry& registry, const PassOptions& options) {
  if (options.keep_all_values) return {};
  for (const Pass& pass : passes()) INGOT_TRY_CTX(pass.run(plan, registry), std::string("plan pass ") + pass.name);
  // Once, not after every pass: verification re-infers every shape and costs as much as a
  // pass; a failure still names the graph the passes produced.
  return ir::verify(plan.graph, registry).with_context("verify the graph the plan passes produced");
}

}  // namespace ingot::plan
