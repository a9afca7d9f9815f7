#include "ir/passes.h"
#include "plan/plan_graph.h"

namespace ingot::plan {

const std::vector<Pass>& passes() {
  static const std::vector<Pass> list{
      {"drop_identity", "remove nodes that return their input (unit Affine, same-shape Reshape)", drop_identity},
      {"fold_batch_norm", "fold BatchNorm / Scale / Affine into the preceding Conv2D or Dense", fold_batch_norm},
      {"fold_pad", "fold a zero spatial Pad into the padding of the Conv2Ds reading it", fold_pad},
      {"fuse_activation", "run a clamp-form ReLU (ReLU, ReLU6) inside the kernel producing its input",
       fuse_activation},
  };
  return list;
}

Status optimize(PlanGraph& plan, const OpRegistry& registry, const PassOptions& options) {
  if (options.keep_all_values) return {};
  for (const Pass& pass : passes()) {
    INGOT_TRY_CTX(pass.run(plan, registry), std::string("plan pass ") + pass.name);
    INGOT_TRY_CTX(ir::verify(plan.graph, registry), std::string("verify the graph after plan pass ") + pass.name);
  }
  return {};
}

}  // namespace ingot::plan
