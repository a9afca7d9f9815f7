// L2Normalization: ParseNet-style L2 normalization over the channels with a learned per-channel
// scale, as the Keras layer of pierluigiferrari/ssd_keras computes it
// (keras_layers/keras_layer_L2Normalization.py, commit 3ac9adaf, 2018-05-10):
//   y[n, h, w, c] = x[n, h, w, c] / sqrt(max(sum over k of x[n, h, w, k]^2, 1e-12)) * gamma[c]
// on NHWC input (K.l2_normalize along axis 3, i.e. tf.nn.l2_normalize; ops/l2_normalize.h).
// Parameter names follow the original: `gamma_init` is its constructor argument, `gamma` its
// weight (saved as <layer>/<layer>_gamma:0).
#include "ops/l2_normalize.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct L2NormalizationParams {
  Tensor gamma;
  double gamma_init = 20.0;
};

}  // namespace

OpDef make_L2Normalization_op() {
  static const auto params =
      ParamList<L2NormalizationParams>()
          .required("gamma", &L2NormalizationParams::gamma,
                    "f32 [C] trained per-channel scale: the layer's weight <layer>_gamma")
          .optional("gamma_init", &L2NormalizationParams::gamma_init, 20.0,
                    "initial gamma only, never used at inference: the trained gamma is the weight");
  return make_op<L2NormalizationParams>(
      {.name = "L2Normalization",
       .doc = "L2 normalization over the channels of NHWC input times a per-channel gamma "
              "(pierluigiferrari/ssd_keras L2Normalization).",
       .python_class = PythonClass{"pierluigiferrari/ssd_keras keras_layers/keras_layer_L2Normalization.py L2Normalization", {}}},
      params,
      [](const L2NormalizationParams& p, std::span<const TensorInfo> in) {
        return ops::infer_l2_normalize(p.gamma, in);
      },
      [](const L2NormalizationParams& p, const KernelArgs& args) {
        ops::l2_normalize_kernel(p.gamma, args);
      });
}

}  // namespace ingot
