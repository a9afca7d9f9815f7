// Normalize: ParseNet-style L2 normalization over the channels with a learned per-channel scale,
// as the Keras layer of rykov8/ssd_keras computes it (ssd_layers.py, commit a560b91e,
// 2017-03-07):
//   y[n, h, w, c] = x[n, h, w, c] / sqrt(max(sum over k of x[n, h, w, k]^2, 1e-12)) * gamma[c]
// on NHWC input (K.l2_normalize along axis 3, i.e. tf.nn.l2_normalize; ops/l2_normalize.h).
// Parameter names follow the original: `scale` is its constructor argument, `gamma` its weight
// (saved as <layer>/<layer>_gamma:0).
#include "ops/l2_normalize.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct NormalizeParams {
  Tensor gamma;
  std::optional<double> scale;
};

}  // namespace

OpDef make_Normalize_op() {
  static const auto params =
      ParamList<NormalizeParams>()
          .required("gamma", &NormalizeParams::gamma,
                    "f32 [C] trained per-channel scale: the layer's weight <layer>_gamma")
          .optional("scale", &NormalizeParams::scale,
                    "initial gamma only, never used at inference: the trained gamma is the weight "
                    "(the original saves no config, so this is usually unset)");
  return make_op<NormalizeParams>(
      {.name = "Normalize",
       .doc = "L2 normalization over the channels of NHWC input times a per-channel gamma "
              "(rykov8/ssd_keras Normalize).",
       .python_class = PythonClass{"rykov8/ssd_keras ssd_layers.py Normalize", {}}},
      params,
      [](const NormalizeParams& p, std::span<const TensorInfo> in) {
        return ops::infer_l2_normalize(p.gamma, in);
      },
      [](const NormalizeParams& p, const KernelArgs& args) {
        ops::l2_normalize_kernel(p.gamma, args);
      });
}

}  // namespace ingot
