// BatchNorm and Scale that the plan could not fold into a convolution (after a Concat, on a
// graph input, ...): y = x * mul[c] + add[c] along the channel axis. The reference kernels
// recompute mul and add from the moving statistics on every run, allocating as they go; here
// they are computed once at plan time, with the reference's formulas in the same order, so
// the results are bit-identical to it.
#include <cmath>

#include "kernels/ops.h"
#include "ops/common.h"

namespace ingot::kernels {
namespace {

class ChannelAffineKernel final : public Kernel {
 public:
  // `add` empty: y = x * mul (Scale without bias; adding 0 would turn -0 into +0).
  ChannelAffineKernel(std::vector<float> mul, std::vector<float> add, ops::AxisSplit split, const Tensor& in,
                      Tensor& out, std::string name)
      : mul_(std::move(mul)),
        add_(std::move(add)),
        split_(split),
        x_(in.data<float>().data()),
        y_(out.mutable_data<float>().data()),
        name_(std::move(name)) {}

  void run() override {
    const float* x = x_;
    float* y = y_;
    const float* m = mul_.data();
    const float* a = add_.empty() ? nullptr : add_.data();
    const auto n = static_cast<std::size_t>(split_.n), inner = static_cast<std::size_t>(split_.inner);
    for (std::int64_t o = 0; o < split_.outer; ++o) {
      if (inner == 1) {  // channels last: one vectorizable pass over the channel row
        if (a != nullptr)
          for (std::size_t c = 0; c < n; ++c) y[c] = x[c] * m[c] + a[c];
        else
          for (std::size_t c = 0; c < n; ++c) y[c] = x[c] * m[c];
        x += n, y += n;
        continue;
      }
      for (std::size_t c = 0; c < n; ++c, x += inner, y += inner) {
        const float mc = m[c], ac = a != nullptr ? a[c] : 0.0f;
        if (a != nullptr)
          for (std::size_t k = 0; k < inner; ++k) y[k] = x[k] * mc + ac;
        else
          for (std::size_t k = 0; k < inner; ++k) y[k] = x[k] * mc;
      }
    }
  }
  std::string name() const override { return name_; }

 private:
  std::vector<float> mul_, add_;
  ops::AxisSplit split_;
  const float* x_;
  float* y_;
  std::string name_;
};

Result<std::unique_ptr<Kernel>> make(std::vector<float> mul, std::vector<float> add, std::int64_t axis,
                                     const KernelRequest& r, std::string name) {
  const Shape& shape = r.inputs[0]->shape();
  INGOT_ASSIGN_OR_RETURN(const std::size_t resolved, ops::resolve_axis("axis", axis, shape.rank()));
  const ops::AxisSplit split = ops::split_at_axis(shape, resolved);
  if (static_cast<std::size_t>(split.n) != mul.size()) return std::unique_ptr<Kernel>();  // the shape rule's job
  return std::unique_ptr<Kernel>(
      std::make_unique<ChannelAffineKernel>(std::move(mul), std::move(add), split, *r.inputs[0], *r.outputs[0], name));
}

}  // namespace

Result<std::unique_ptr<Kernel>> prepare_batch_norm(const ops::BatchNormParams& p, const KernelRequest& r) {
  const std::size_t channels = p.mean.data<float>().size();
  const auto mean = p.mean.data<float>(), variance = p.variance.data<float>();
  const auto eps = static_cast<float>(p.epsilon);
  std::vector<float> mul(channels), add(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const float scale = p.scale ? p.scale->data<float>()[c] : 1.0f;
    const float offset = p.offset ? p.offset->data<float>()[c] : 0.0f;
    mul[c] = scale / std::sqrt(variance[c] + eps);
    add[c] = offset - mean[c] * mul[c];
  }
  return make(std::move(mul), std::move(add), p.axis, r, "channel affine (batch norm)");
}

Result<std::unique_ptr<Kernel>> prepare_scale(const ops::ScaleParams& p, const KernelRequest& r) {
  const auto scale = p.scale.data<float>();
  std::vector<float> add;
  if (p.bias) add.assign(p.bias->data<float>().begin(), p.bias->data<float>().end());
  return make({scale.begin(), scale.end()}, std::move(add), p.axis, r, "channel affine (scale)");
}

}  // namespace ingot::kernels
