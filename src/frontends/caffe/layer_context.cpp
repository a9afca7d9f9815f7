#include "frontends/caffe/layer_context.h"

namespace ingot::caffe_import {
namespace {

Shape without_leading_ones(const Shape& s) {
  std::vector<std::int64_t> d = s.dims();
  while (d.size() > 1 && d.front() == 1) d.erase(d.begin());
  return Shape(std::move(d));
}

}  // namespace

std::string LayerContext::name(const std::string& suffix) const {
  return suffix.empty() ? layer.name() : layer.name() + "/" + suffix;
}

Status LayerContext::error(const std::string& message) const {
  return bad_input("import layer " + quote(layer.name()) + " (" + layer.type() + "): " + message);
}

Status LayerContext::unsupported_here(const std::string& message) const {
  return unsupported("import layer " + quote(layer.name()) + " (" + layer.type() + "): " + message);
}

Status LayerContext::expect_bottoms(int min, int max) const {
  const int n = static_cast<int>(inputs.size());
  if (n >= min && n <= max) return {};
  const std::string want = min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
  return error("it must have " + want + " bottoms, got " + std::to_string(n));
}

Status LayerContext::expect_tops(int n) const {
  if (layer.top_size() == n) return {};
  return error("it must have " + std::to_string(n) + " top" + (n == 1 ? "" : "s") + ", got " +
               std::to_string(layer.top_size()));
}

Status LayerContext::expect_blob_count(std::size_t n) const {
  if (blobs.size() == n) return {};
  return error("it needs " + std::to_string(n) + " blob" + (n == 1 ? "" : "s") + " from the caffemodel, got " +
               std::to_string(blobs.size()));
}

Result<Tensor> LayerContext::blob(std::size_t index, const Shape& want, const std::string& meaning) const {
  if (index >= blobs.size()) {
    return error("blob " + std::to_string(index) + " (" + meaning + ") is missing from the caffemodel: it holds " +
                 std::to_string(blobs.size()) + " blob" + (blobs.size() == 1 ? "" : "s") + " for this layer");
  }
  const Tensor& t = blobs[index];
  const bool same = t.shape() == want ||
                    (t.shape().rank() == 4 && t.num_elements() == want.num_elements() &&
                     without_leading_ones(t.shape()) == without_leading_ones(want));
  if (!same) {
    return error("blob " + std::to_string(index) + " (" + meaning + ") must have shape " + want.to_string() + ", got " +
                 t.shape().to_string());
  }
  return t.reshaped(want);
}

Result<std::int64_t> LayerContext::axis(std::int64_t axis, const std::string& field, std::size_t input) const {
  const std::int64_t r = rank(input);
  if (axis < -r || axis >= r) {
    return error("field " + quote(field) + " must be in [" + std::to_string(-r) + ", " + std::to_string(r) +
                 ") for a rank-" + std::to_string(r) + " bottom " + shape(input).to_string() + ", got " +
                 std::to_string(axis));
  }
  return axis < 0 ? axis + r : axis;
}

Result<std::string> LayerContext::add(const std::string& node_name, const std::string& op,
                                      std::vector<std::string> in, AttrMap attrs) {
  return graph.add1(node_name, op, std::move(in), std::move(attrs))
      .with_context("import layer " + quote(layer.name()) + " (" + layer.type() + ")");
}

Result<TensorRef> LayerContext::constant(const std::string& suffix, const Tensor& value) {
  return graph.constant(name(suffix), value);
}

void LayerContext::note(const std::string& message, const std::string& key) {
  report.diagnostics.push_back({import::Severity::note, key, message});
}

void LayerContext::warn(const std::string& message, const std::string& key) {
  report.diagnostics.push_back({import::Severity::warning, key, message});
}

}  // namespace ingot::caffe_import
