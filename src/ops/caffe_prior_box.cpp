// CaffePriorBox: the SSD prior boxes of Caffe's PriorBox layer (weiliu89/caffe, branch "ssd",
// src/caffe/layers/prior_box_layer.cpp). Parameter names are caffe.proto's PriorBoxParameter
// fields, so the Caffe importer maps them one to one. Only the input shapes are read.
//
// Inputs: the NCHW feature map [N, C, H, W] and, optionally, the network's image blob
// [N, C, img_h, img_w]. Output [1, 2, H * W * priors * 4]: channel 0 the corners (xmin, ymin,
// xmax, ymax) relative to the image, by feature row, column, then prior; channel 1 the variances.
//   image size: img_h/img_w when given, else img_size for both, else the image input's H and W;
//   step:       step_h/step_w when given, else step for both, else float(img) / float(layer);
//   centre:     ((w + offset) * step_w, (h + offset) * step_h), in float;
//   per cell, for each min_size s (truncated to int, as the original does: 35.84 -> 35):
//     the s x s square; with max_size m (also truncated), the sqrt(s * m) square; then one box
//     per expanded ratio ar other than 1: s * sqrt(ar) wide, s / sqrt(ar) high;
//   ratios:     1 first, then each aspect_ratio not within 1e-6 of one already listed, followed
//               by its inverse when flip (ops::caffe_aspect_ratios);
//   corners:    (centre -+ size / 2) / image size in double, stored as float; clip clamps them
//               to [0, 1];
//   variances:  none -> 0.1 for all four, one -> all four, four -> per coordinate.
//
// Decisions and differences:
//   - clip defaults to false as in caffe.proto (OpenCV's PriorBox defaults to true).
//   - Caffe rejects min_size <= 0, a max_size count other than min_size's, max <= min, and
//     variance counts of 2, 3 or more than 4 or values <= 0; so does the shape rule. It also
//     rejects non-positive aspect ratios (Caffe takes their sqrt and writes NaN).
//   - img_size with img_h/img_w, or step with step_h/step_w, is an error (as in Caffe), and so
//     is one of a pair without the other (Caffe's check of the missing one's default 0). 0 means
//     unset, so an explicit 0 reads as "not given" (Caffe rejects it).
//   - Where Caffe calls sqrt on a float (sqrt(ar)) the result depends on which overload its
//     build picked; this uses double (at most 1 float ulp of a box size apart).
//   - OpenCV 4.6 keeps min_size and max_size as floats (no truncation), computes box sizes in
//     float, takes only the first min_size/max_size, and needs the image input.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "ops/common.h"
#include "ops/priors.h"
#include "ops/registry.h"

namespace ingot {
namespace {

using ops::CaffePriorBoxParams;

// Float parameters (floats, as in Caffe) in their shortest form: 0.1, not 0.10000000149011612.
std::string float_text(float v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

std::string list_text(const std::vector<float>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s.append(i ? ", " : "").append(float_text(v[i]));
  return s + "]";
}

// Sizes are truncated to int and multiplied: bounded so that stays exact and defined.
constexpr float kMaxSize = 1 << 20;

Status check_positive_list(const char* name, const std::vector<float>& v, bool is_size = false) {
  for (float e : v) {
    if (!(std::isfinite(e) && e > 0 && (!is_size || e <= kMaxSize))) {
      return bad_input("parameter " + quote(name) + " elements must be > 0" +
                       (is_size ? " and <= 1048576" : "") + ", got " + list_text(v));
    }
  }
  return {};
}

Status check_params(const CaffePriorBoxParams& p) {
  INGOT_TRY(check_positive_list("min_size", p.min_size, true));
  if (!p.max_size.empty()) {
    INGOT_TRY(check_positive_list("max_size", p.max_size, true));
    if (p.max_size.size() != p.min_size.size()) {
      return bad_input("parameter 'max_size' must have as many elements as min_size (" +
                       std::to_string(p.min_size.size()) + ") or none, got " +
                       list_text(p.max_size));
    }
    for (std::size_t i = 0; i < p.max_size.size(); ++i) {
      if (!(p.max_size[i] > p.min_size[i])) {
        return bad_input("parameter 'max_size' elements must each be > their min_size " +
                         list_text(p.min_size) + ", got " + list_text(p.max_size));
      }
    }
  }
  INGOT_TRY(check_positive_list("aspect_ratio", p.aspect_ratio));
  if (p.variance.size() == 2 || p.variance.size() == 3) {
    return bad_input("parameter 'variance' must have 0 (0.1), 1 or 4 elements, got " +
                     list_text(p.variance));
  }
  INGOT_TRY(check_positive_list("variance", p.variance));
  if (p.img_size != 0 && (p.img_h != 0 || p.img_w != 0)) {
    return bad_input("parameter 'img_size' must be unset when img_h or img_w is set, got " +
                     std::to_string(p.img_size));
  }
  if ((p.img_h != 0) != (p.img_w != 0)) {
    return bad_input(std::string("parameter ") + (p.img_h != 0 ? "'img_w'" : "'img_h'") +
                     " is required when the other of img_h and img_w is set, got nothing");
  }
  if (p.step != 0.0f && (p.step_h != 0.0f || p.step_w != 0.0f)) {
    return bad_input("parameter 'step' must be unset when step_h or step_w is set, got " +
                     float_text(p.step));
  }
  if ((p.step_h != 0.0f) != (p.step_w != 0.0f)) {
    return bad_input(std::string("parameter ") + (p.step_h != 0.0f ? "'step_w'" : "'step_h'") +
                     " is required when the other of step_h and step_w is set, got nothing");
  }
  return {};
}

// The params with img_h/img_w and step_h/step_w resolved from their single-value forms.
CaffePriorBoxParams resolved(CaffePriorBoxParams p) {
  if (p.img_size != 0) p.img_h = p.img_w = p.img_size;
  if (p.step != 0.0f) p.step_h = p.step_w = p.step;
  return p;
}

Status expect_spatial(std::span<const TensorInfo> in, std::size_t i, const char* what) {
  INGOT_TRY(ops::expect_f32(in, i));
  INGOT_TRY(ops::expect_rank(in, i, 4));
  INGOT_TRY(ops::expect_dims_bounded(in, i));
  if (in[i].shape[2] < 1 || in[i].shape[3] < 1) {
    return bad_input("input " + std::to_string(i) + " (" + what +
                     ") height and width (NCHW) must be >= 1, got shape " +
                     in[i].shape.to_string());
  }
  return {};
}

Result<std::vector<TensorInfo>> infer_caffe_prior_box(const CaffePriorBoxParams& given,
                                                      std::span<const TensorInfo> in) {
  INGOT_TRY(check_params(given));
  INGOT_TRY(expect_spatial(in, 0, "feature map"));
  const CaffePriorBoxParams p = resolved(given);
  if (p.img_h == 0 && in.size() < 2) {
    return bad_input(
        "parameter 'img_size' (or img_h and img_w) is required when there is no image input "
        "(input 1), got nothing");
  }
  if (in.size() == 2) INGOT_TRY(expect_spatial(in, 1, "image"));
  const Shape& x = in[0].shape;
  // H * W <= 2^40 (dims bounded); priors per cell are few (bounded list sizes).
  const std::int64_t per_cell = ops::caffe_priors_per_cell(p);
  if (x[2] * x[3] > kMaxElements / (8 * per_cell)) {
    return bad_input("output must have at most 2^40 elements, got " + std::to_string(x[2] * x[3]) +
                     " feature positions times " + std::to_string(per_cell) + " priors times 8");
  }
  const Shape out{1, 2, x[2] * x[3] * per_cell * 4};
  INGOT_TRY(ops::check_output_shape(out));
  return ops::single({out, DType::f32});
}

void caffe_prior_box_kernel(const CaffePriorBoxParams& given, const KernelArgs& args) {
  const CaffePriorBoxParams p = resolved(given);
  const Shape& x = args.inputs[0]->shape();
  std::int64_t img_h = p.img_h, img_w = p.img_w;
  if (img_h == 0) {
    const Shape& image = args.inputs[1]->shape();
    img_h = image[2], img_w = image[3];
  }
  const std::vector<float> table = ops::caffe_priors(p, x[2], x[3], img_h, img_w);
  auto y = args.outputs[0]->mutable_data<float>();
  std::copy(table.begin(), table.end(), y.begin());
}

}  // namespace

OpDef make_CaffePriorBox_op() {
  using P = CaffePriorBoxParams;
  static const auto params =
      ParamList<P>()
          .required("min_size", &P::min_size,
                    "side of the first square prior of each size group, in pixels; each > 0 "
                    "(truncated to an integer, as Caffe does)")
          .size(1, 64)
          .optional("max_size", &P::max_size, std::vector<float>{},
                    "one per min_size (or none): adds a sqrt(min_size * max_size) square; each "
                    "> its min_size")
          .size(0, 64)
          .optional("aspect_ratio", &P::aspect_ratio, std::vector<float>{},
                    "extra aspect ratios (width / height), each > 0; 1 and repeats within 1e-6 "
                    "are skipped")
          .size(0, 64)
          .optional("flip", &P::flip, true, "also add 1 / ar for each ratio of aspect_ratio")
          .optional("clip", &P::clip, false, "clamp the corners to [0, 1]")
          .optional("variance", &P::variance, std::vector<float>{},
                    "box-decoding variances in channel 1: none (0.1 for all), 1 (used for all "
                    "4) or 4 (xmin, ymin, xmax, ymax); each > 0")
          .size(0, 4)
          .optional("img_size", &P::img_size, 0,
                    "image height and width in pixels (0: from img_h/img_w or the image input)")
          .range(0, 1 << 20)
          .optional("img_h", &P::img_h, 0, "image height in pixels, with img_w (0: unset)")
          .range(0, 1 << 20)
          .optional("img_w", &P::img_w, 0, "image width in pixels, with img_h (0: unset)")
          .range(0, 1 << 20)
          .optional("step", &P::step, 0.0f,
                    "distance between cell centres in pixels, both axes (0: image / feature size)")
          .range(0, 1 << 20)
          .optional("step_h", &P::step_h, 0.0f, "vertical step, with step_w (0: unset)")
          .range(0, 1 << 20)
          .optional("step_w", &P::step_w, 0.0f, "horizontal step, with step_h (0: unset)")
          .range(0, 1 << 20)
          .optional("offset", &P::offset, 0.5f,
                    "cell centre within its step: centre = (index + offset) * step")
          .range(-1e6, 1e6);
  return make_op<P>(
      {.name = "CaffePriorBox",
       .doc = "SSD prior boxes of an NCHW feature map (Caffe SSD PriorBox): [1, 2, H*W*priors*4] "
              "corners and variances; reads only the input shapes (input 1: the image, optional).",
       .min_inputs = 1,
       .max_inputs = 2,
       .shape_only = true},
      params, infer_caffe_prior_box, caffe_prior_box_kernel);
}

}  // namespace ingot
