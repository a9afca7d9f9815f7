#include "ops/priors.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace ingot::ops {

std::vector<double> linspace(double start, double stop, std::int64_t n) {
  assert(n >= 1);
  std::vector<double> out(static_cast<std::size_t>(n));
  const double step = n > 1 ? (stop - start) / static_cast<double>(n - 1) : 0.0;
  for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(i) * step + start;
  if (n > 1) out.back() = stop;
  return out;
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

}  // namespace ingot::ops
