#include "ops/priors.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "ops/common.h"

namespace ingot::ops {

std::vector<double> linspace(double start, double stop, std::int64_t n) {
  assert(n >= 1);
  std::vector<double> out(static_cast<std::size_t>(n));
  const double step = n > 1 ? (stop - start) / static_cast<double>(n - 1) : 0.0;
  for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(i) * step + start;
  if (n > 1) out.back() = stop;
  return out;
}

Status check_box_count(std::int64_t positions, std::int64_t per_position, const char* unit) {
  if (positions > kMaxElements / (8 * per_position)) {
    return bad_input("output must have at most 2^40 elements, got " + std::to_string(positions) +
                     " feature positions times " + std::to_string(per_position) + " " + unit + " times 8");
  }
  return {};
}

Status expect_nhwc_feature_map(std::span<const TensorInfo> in) {
  INGOT_TRY(expect_f32(in, 0));
  INGOT_TRY(expect_rank(in, 0, 4));
  INGOT_TRY(expect_dims_bounded(in, 0));
  const Shape& x = in[0].shape;
  if (x[1] < 1 || x[2] < 1) {
    return bad_input("input 0 height and width (NHWC) must be >= 1, got shape " + x.to_string());
  }
  return {};
}

void repeat_per_sample(const std::vector<float>& table, Tensor& out) {
  auto y = out.mutable_data<float>();
  for (std::size_t n = 0; n < static_cast<std::size_t>(out.shape()[0]); ++n) {
    std::copy(table.begin(), table.end(), y.begin() + static_cast<std::ptrdiff_t>(n * table.size()));
  }
}

// ----------------------------------------------------------------------------- PriorBox

std::vector<double> rykov8_aspect_ratios(const PriorBoxParams& p) {
  std::vector<double> ars{1.0};
  if (p.max_size && *p.max_size != 0.0) ars.push_back(1.0);
  for (double ar : p.aspect_ratios) {
    if (std::find(ars.begin(), ars.end(), ar) != ars.end()) continue;
    ars.push_back(ar);
    if (p.flip) ars.push_back(1.0 / ar);
  }
  return ars;
}

std::vector<float> rykov8_priors(const PriorBoxParams& p, std::int64_t feature_h,
                                 std::int64_t feature_w) {
  const std::vector<double> ars = rykov8_aspect_ratios(p);
  // Half box sizes: the first ratio 1 gets min_size, a second one (only present with max_size)
  // sqrt(min_size * max_size), any other ratio min_size * sqrt(ar) by min_size / sqrt(ar).
  std::vector<double> half_w, half_h;
  for (std::size_t k = 0; k < ars.size(); ++k) {
    double w = 0.0, h = 0.0;
    if (ars[k] == 1.0 && k == 0) {
      w = h = p.min_size;
    } else if (ars[k] == 1.0) {
      w = h = std::sqrt(p.min_size * p.max_size.value());
    } else {
      w = p.min_size * std::sqrt(ars[k]);
      h = p.min_size / std::sqrt(ars[k]);
    }
    half_w.push_back(0.5 * w);
    half_h.push_back(0.5 * h);
  }
  const double img_w = p.img_size[0], img_h = p.img_size[1];
  const double step_x = img_w / static_cast<double>(feature_w);
  const double step_y = img_h / static_cast<double>(feature_h);
  const std::vector<double> cx = linspace(0.5 * step_x, img_w - 0.5 * step_x, feature_w);
  const std::vector<double> cy = linspace(0.5 * step_y, img_h - 0.5 * step_y, feature_h);
  double variances[4];
  for (int q = 0; q < 4; ++q)
    variances[q] = p.variances.size() == 1 ? p.variances[0] : p.variances[q];

  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(feature_h * feature_w) * ars.size() * 8);
  auto clip01 = [](double v) { return static_cast<float>(std::min(std::max(v, 0.0), 1.0)); };
  for (std::int64_t y = 0; y < feature_h; ++y) {
    for (std::int64_t x = 0; x < feature_w; ++x) {
      for (std::size_t k = 0; k < ars.size(); ++k) {
        out.push_back(clip01((cx[x] - half_w[k]) / img_w));
        out.push_back(clip01((cy[y] - half_h[k]) / img_h));
        out.push_back(clip01((cx[x] + half_w[k]) / img_w));
        out.push_back(clip01((cy[y] + half_h[k]) / img_h));
        for (double v : variances) out.push_back(static_cast<float>(v));
      }
    }
  }
  return out;
}

// ----------------------------------------------------------------------------- AnchorBoxes

namespace {

struct BoxSize {
  double w, h;
};

std::vector<BoxSize> anchor_sizes(const AnchorBoxesParams& p) {
  const double size = static_cast<double>(std::min(p.img_height, p.img_width));
  std::vector<BoxSize> sizes;
  for (double ar : p.aspect_ratios) {
    if (ar == 1.0) {
      sizes.push_back({p.this_scale * size, p.this_scale * size});
      if (p.two_boxes_for_ar1) {
        const double b = std::sqrt(p.this_scale * p.next_scale) * size;
        sizes.push_back({b, b});
      }
    } else {
      sizes.push_back({p.this_scale * size * std::sqrt(ar), p.this_scale * size / std::sqrt(ar)});
    }
  }
  return sizes;
}

// (h, w) from an unset, one-value or two-value parameter.
std::pair<double, double> pair_or(const std::optional<std::vector<double>>& v, double h, double w) {
  if (!v) return {h, w};
  return v->size() == 2 ? std::pair{(*v)[0], (*v)[1]} : std::pair{(*v)[0], (*v)[0]};
}

}  // namespace

std::int64_t anchor_boxes_per_cell(const AnchorBoxesParams& p) {
  return static_cast<std::int64_t>(anchor_sizes(p).size());
}

std::vector<float> pierluigi_anchors(const AnchorBoxesParams& p, std::int64_t feature_h,
                                     std::int64_t feature_w) {
  const std::vector<BoxSize> sizes = anchor_sizes(p);
  const auto img_h = static_cast<double>(p.img_height), img_w = static_cast<double>(p.img_width);
  const auto [step_h, step_w] = pair_or(p.this_steps, img_h / static_cast<double>(feature_h),
                                        img_w / static_cast<double>(feature_w));
  const auto [off_h, off_w] = pair_or(p.this_offsets, 0.5, 0.5);
  const auto fh = static_cast<double>(feature_h), fw = static_cast<double>(feature_w);
  const std::vector<double> cy = linspace(off_h * step_h, (off_h + fh - 1) * step_h, feature_h);
  const std::vector<double> cx = linspace(off_w * step_w, (off_w + fw - 1) * step_w, feature_w);

  // The original's order: centroids to corners, clip, normalize, then to the output format.
  auto clip = [](double v, double limit) {
    if (v >= limit) v = limit - 1;
    return v < 0 ? 0.0 : v;
  };
  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(feature_h * feature_w) * sizes.size() * 8);
  for (std::int64_t y = 0; y < feature_h; ++y) {
    for (std::int64_t x = 0; x < feature_w; ++x) {
      for (const BoxSize& s : sizes) {
        double xmin = cx[x] - s.w / 2.0, ymin = cy[y] - s.h / 2.0;
        double xmax = cx[x] + s.w / 2.0, ymax = cy[y] + s.h / 2.0;
        if (p.clip_boxes) {
          xmin = clip(xmin, img_w), xmax = clip(xmax, img_w);
          ymin = clip(ymin, img_h), ymax = clip(ymax, img_h);
        }
        if (p.normalize_coords) {
          xmin /= img_w, xmax /= img_w;
          ymin /= img_h, ymax /= img_h;
        }
        double box[4] = {xmin, ymin, xmax, ymax};  // "corners"
        if (p.coords == "centroids") {
          box[0] = (xmin + xmax) / 2.0, box[1] = (ymin + ymax) / 2.0;
          box[2] = xmax - xmin, box[3] = ymax - ymin;
        } else if (p.coords == "minmax") {
          box[1] = xmax, box[2] = ymin;
        }
        for (double v : box) out.push_back(static_cast<float>(v));
        for (double v : p.variances) out.push_back(static_cast<float>(v));
      }
    }
  }
  return out;
}

// ----------------------------------------------------------------------------- CaffePriorBox

std::vector<float> caffe_aspect_ratios(const CaffePriorBoxParams& p) {
  std::vector<float> ars{1.0f};
  for (float ar : p.aspect_ratio) {
    const bool listed = std::any_of(ars.begin(), ars.end(), [ar](float a) {
      return std::fabs(static_cast<double>(ar - a)) < 1e-6;
    });
    if (listed) continue;
    ars.push_back(ar);
    if (p.flip) ars.push_back(static_cast<float>(1.0 / static_cast<double>(ar)));
  }
  return ars;
}

namespace {

// Ratios that add a box: every expanded ratio not within 1e-6 of 1, in order.
std::vector<float> caffe_box_ratios(const CaffePriorBoxParams& p) {
  std::vector<float> out;
  for (float ar : caffe_aspect_ratios(p)) {
    if (!(std::fabs(static_cast<double>(ar) - 1.0) < 1e-6)) out.push_back(ar);
  }
  return out;
}

}  // namespace

std::int64_t caffe_priors_per_cell(const CaffePriorBoxParams& p) {
  const auto per_size = static_cast<std::int64_t>(1 + caffe_box_ratios(p).size());
  return static_cast<std::int64_t>(p.min_size.size()) * per_size +
         static_cast<std::int64_t>(p.max_size.size());
}

std::vector<float> caffe_priors(const CaffePriorBoxParams& p, std::int64_t feature_h,
                                std::int64_t feature_w, std::int64_t img_h, std::int64_t img_w) {
  // Box sizes per cell, as the original computes them: min_size and max_size truncated to int,
  // the second square sqrt(min * max) of the int product, a ratio box min * sqrt(ar) by
  // min / sqrt(ar) (sqrt and product in double), each stored as float.
  struct Size {
    float w, h;
  };
  std::vector<Size> sizes;
  const std::vector<float> ratios = caffe_box_ratios(p);
  for (std::size_t s = 0; s < p.min_size.size(); ++s) {
    const auto min_i = static_cast<std::int64_t>(p.min_size[s]);
    sizes.push_back({static_cast<float>(min_i), static_cast<float>(min_i)});
    if (!p.max_size.empty()) {
      const auto max_i = static_cast<std::int64_t>(p.max_size[s]);
      const auto side = static_cast<float>(std::sqrt(static_cast<double>(min_i * max_i)));
      sizes.push_back({side, side});
    }
    for (float ar : ratios) {
      const double root = std::sqrt(static_cast<double>(ar));
      sizes.push_back({static_cast<float>(static_cast<double>(min_i) * root),
                       static_cast<float>(static_cast<double>(min_i) / root)});
    }
  }
  // Steps and centres in float: step = float(img) / layer unless given, centre = (i + offset) *
  // step; corners (centre -+ size / 2.) / img in double, stored as float.
  const bool steps_given = p.step_w != 0.0f && p.step_h != 0.0f;
  const float step_w =
      steps_given ? p.step_w : static_cast<float>(img_w) / static_cast<float>(feature_w);
  const float step_h =
      steps_given ? p.step_h : static_cast<float>(img_h) / static_cast<float>(feature_h);
  const auto iw = static_cast<double>(img_w), ih = static_cast<double>(img_h);
  const std::size_t dim = static_cast<std::size_t>(feature_h * feature_w) * sizes.size() * 4;
  std::vector<float> out(2 * dim);
  std::size_t i = 0;
  for (std::int64_t h = 0; h < feature_h; ++h) {
    for (std::int64_t w = 0; w < feature_w; ++w) {
      const float cx = (static_cast<float>(w) + p.offset) * step_w;
      const float cy = (static_cast<float>(h) + p.offset) * step_h;
      for (const Size& s : sizes) {
        out[i++] = static_cast<float>((cx - s.w / 2.0) / iw);
        out[i++] = static_cast<float>((cy - s.h / 2.0) / ih);
        out[i++] = static_cast<float>((cx + s.w / 2.0) / iw);
        out[i++] = static_cast<float>((cy + s.h / 2.0) / ih);
      }
    }
  }
  if (p.clip) {
    for (std::size_t d = 0; d < dim; ++d) out[d] = std::min(std::max(out[d], 0.0f), 1.0f);
  }
  float variance[4] = {0.1f, 0.1f, 0.1f, 0.1f};
  for (std::size_t q = 0; q < 4 && !p.variance.empty(); ++q)
    variance[q] = p.variance.size() == 1 ? p.variance[0] : p.variance[q];
  for (std::size_t d = 0; d < dim; ++d) out[dim + d] = variance[d % 4];
  return out;
}

}  // namespace ingot::ops
