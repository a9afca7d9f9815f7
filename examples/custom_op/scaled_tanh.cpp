// A user op in a plugin: ScaledTanh, y = alpha * tanh(beta * x), the custom Keras layer of
// model.h5. Build it as a shared library and hand it to ingot:
//
//   ingot check   model.h5 --plugin build/examples/libscaled_tanh.so
//   ingot convert model.h5 --plugin build/examples/libscaled_tanh.so -o model.ingot
//   ingot run     model.ingot --plugin build/examples/libscaled_tanh.so -i input.npy -o out
//
// The op's parameter names are the Keras config keys of the layer, so the importer checks the
// saved config against this schema (types, defaults, ranges) exactly as for built-in ops.
#include <cmath>
#include <cstdio>

#include "ingot/op.h"

namespace {

struct ScaledTanhParams {
  double alpha = 1.0;
  double beta = 1.0;
};

ingot::OpDef make_scaled_tanh_op() {
  static const auto params = ingot::ParamList<ScaledTanhParams>()
      .required("alpha", &ScaledTanhParams::alpha, "output scale").range(-1e6, 1e6)
      .optional("beta", &ScaledTanhParams::beta, 1.0, "input scale").range(-1e6, 1e6);
  return ingot::make_op<ScaledTanhParams>(
      {.name = "ScaledTanh", .doc = "alpha * tanh(beta * x), elementwise (a user op from a plugin)."}, params,
      [](const ScaledTanhParams&, std::span<const ingot::TensorInfo> in) -> ingot::Result<std::vector<ingot::TensorInfo>> {
        if (in[0].dtype != ingot::DType::f32) return ingot::bad_input("input 0 must be f32");
        return std::vector<ingot::TensorInfo>{in[0]};
      },
      [](const ScaledTanhParams& p, const ingot::KernelArgs& args) {
        const auto x = args.inputs[0]->data<float>();
        auto y = args.outputs[0]->mutable_data<float>();
        const auto alpha = static_cast<float>(p.alpha), beta = static_cast<float>(p.beta);
        for (std::size_t i = 0; i < x.size(); ++i) y[i] = alpha * std::tanh(beta * x[i]);
      });
}

}  // namespace

extern "C" int ingot_register_ops(ingot::OpRegistry* registry, char* error, std::size_t size) {
  const ingot::Status st = registry->add(make_scaled_tanh_op());
  if (!st.ok()) {
    std::snprintf(error, size, "%s", st.message().c_str());
    return 1;
  }
  return 0;
}
