// PReLU: y = x > 0 ? x : alpha * x, with a learned alpha that broadcasts onto the input (numpy
// rules, aligned on the last axis) without growing it: Keras' PReLU keeps alpha as the input
// shape minus the batch axis, with 1 on its shared_axes ([1, 1, C] on NHWC); Caffe's is [C] per
// channel, which the importer reshapes to [C, 1, 1] on NCHW.
#include "ops/broadcast.h"
#include "ops/common.h"
#include "ops/registry.h"

namespace ingot {
namespace {

struct PReLUParams {
  Tensor alpha;
};

Result<std::vector<TensorInfo>> infer_prelu(const PReLUParams& p, std::span<const TensorInfo> in) {
  INGOT_TRY(ops::expect_f32(in, 0));
  const Shape& x = in[0].shape;
  const Shape& a = p.alpha.shape();
  bool fits = p.alpha.dtype() == DType::f32 && a.rank() <= x.rank();
  for (std::size_t k = 0; fits && k < a.rank(); ++k) {
    const std::int64_t d = a[k];
    fits = d == 1 || d == x[x.rank() - a.rank() + k];
  }
  if (!fits) {
    return bad_input("parameter 'alpha' must be f32 and broadcast to input 0 shape " +
                     x.to_string() + " without growing it (rank <= " + std::to_string(x.rank()) +
                     "; dims equal to the input's or 1, aligned on the last axis), got " +
                     dtype_name(p.alpha.dtype()) + " " + a.to_string());
  }
  return ops::single(in[0]);
}

void prelu_kernel(const PReLUParams& p, const KernelArgs& args) {
  const auto x = args.inputs[0]->data<float>();
  const float* alpha = p.alpha.data<float>().data();
  auto y = args.outputs[0]->mutable_data<float>();
  const Shape* alpha_shape[] = {&p.alpha.shape()};
  ops::BroadcastWalk walk(alpha_shape, args.inputs[0]->shape());
  for (std::size_t i = 0; i < x.size(); ++i, walk.next()) {
    y[i] = x[i] > 0.0f ? x[i] : alpha[walk.offset(0)] * x[i];
  }
}

}  // namespace

OpDef make_PReLU_op() {
  static const auto params = ParamList<PReLUParams>().required(
      "alpha", &PReLUParams::alpha,
      "f32 slope below 0; broadcasts to the input shape (e.g. [1, 1, C] NHWC, [C, 1, 1] NCHW)");
  return make_op<PReLUParams>(
      {.name = "PReLU", .doc = "Parametric ReLU: y = x > 0 ? x : alpha * x."}, params, infer_prelu,
      prelu_kernel);
}

}  // namespace ingot
