// Transpose of a rank-4 f32 tensor between NCHW and NHWC (perm [0, 2, 3, 1] or [0, 3, 1, 2]):
// the transposes the nhwc_layout pass adds at the borders of an NHWC region, and Caffe's and
// Keras' Permute layers of that form. Tiled, so both sides stay in cache; bit-identical to the
// reference (a copy). Other permutations run on the reference kernel.
#include "kernels/nchw.h"
#include "kernels/ops.h"

namespace ingot::kernels {
namespace {

class LayoutTransposeKernel final : public Kernel {
 public:
  LayoutTransposeKernel(bool to_nhwc, const Tensor& in, Tensor& out) : to_nhwc_(to_nhwc), in_(&in), out_(&out) {}
  void run() override {
    const Shape& s = in_->shape();  // NCHW for to_nhwc, NHWC otherwise
    const std::int64_t n = s[0], c = to_nhwc_ ? s[1] : s[3], p = to_nhwc_ ? s[2] * s[3] : s[1] * s[2];
    const float* x = in_->data<float>().data();
    float* y = out_->mutable_data<float>().data();
    if (to_nhwc_)
      nchw_to_nhwc(x, y, n, c, p);
    else
      nhwc_to_nchw(x, y, n, c, p);
  }
  std::string name() const override { return to_nhwc_ ? "transpose NCHW to NHWC" : "transpose NHWC to NCHW"; }

 private:
  bool to_nhwc_;
  const Tensor* in_;
  Tensor* out_;
};

}  // namespace

Result<std::unique_ptr<Kernel>> prepare_transpose(const ops::TransposeParams& p, const KernelRequest& r) {
  const bool to_nhwc = p.perm == std::vector<std::int64_t>{0, 2, 3, 1};
  const bool to_nchw = p.perm == std::vector<std::int64_t>{0, 3, 1, 2};
  if ((!to_nhwc && !to_nchw) || r.inputs[0]->shape().rank() != 4 || r.outputs[0]->num_elements() == 0)
    return std::unique_ptr<Kernel>();
  return std::unique_ptr<Kernel>(std::make_unique<LayoutTransposeKernel>(to_nhwc, *r.inputs[0], *r.outputs[0]));
}

}  // namespace ingot::kernels
