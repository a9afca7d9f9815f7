#include "ir/open_dims.h"

#include <algorithm>
#include <map>
#include <variant>

#include "ir/passes.h"

namespace ingot::ir {
namespace {

const Node* input_node(const Graph& graph, std::size_t input) {
  const auto producer = graph.producer_of(graph.inputs[input]);
  return producer ? &graph.nodes[*producer] : nullptr;
}

std::vector<std::string> open_dims_of(const Node& node) {
  const auto it = node.attrs.find("open_dims");
  if (it == node.attrs.end()) return {};
  const auto* names = std::get_if<std::vector<std::string>>(&it->second);
  return names ? *names : std::vector<std::string>{};
}

bool any_open(const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (!n.empty()) return true;
  }
  return false;
}

std::string dim_label(const std::string& input, std::size_t axis, const std::vector<std::string>& names) {
  std::string s = "input " + quote(input) + " dim " + std::to_string(axis);
  if (axis < names.size() && !names[axis].empty()) s += " (" + names[axis] + ")";
  return s;
}

std::vector<std::int64_t> int_list(const Node& node, const char* key, std::vector<std::int64_t> fallback) {
  const auto it = node.attrs.find(key);
  if (it == node.attrs.end()) return fallback;
  const auto* v = std::get_if<std::vector<std::int64_t>>(&it->second);
  return v ? *v : fallback;
}

// TF's "same" padding of a node that keeps its window extents (`same_extent`), for the input
// size it now reads: out = ceil(size / stride), the total pad split with the extra row or
// column at the end. Malformed attributes are left for the op's schema check to report.
Status recompute_same_pads(Node& node, std::span<const TensorInfo> in) {
  const auto extent = int_list(node, "same_extent", {});
  if (extent.size() != 2 || in.empty() || in[0].shape.rank() != 4) return {};
  const auto strides = int_list(node, "strides", {1, 1});
  if (strides.size() != 2 || strides[0] < 1 || strides[1] < 1) return {};
  const auto layout = node.attrs.find("layout");
  const bool nchw = layout != node.attrs.end() && std::holds_alternative<std::string>(layout->second) &&
                    std::get<std::string>(layout->second) == "NCHW";
  const Shape& x = in[0].shape;
  std::int64_t before[2], after[2];
  for (int a = 0; a < 2; ++a) {
    const std::int64_t size = x[static_cast<std::size_t>(nchw ? 2 + a : 1 + a)];
    const std::int64_t out = (size + strides[a] - 1) / strides[a];
    const std::int64_t total = std::max<std::int64_t>((out - 1) * strides[a] + extent[a] - size, 0);
    before[a] = total / 2;
    after[a] = total - total / 2;
  }
  node.attrs["pads"] = std::vector<std::int64_t>{before[0], before[1], after[0], after[1]};
  return {};
}

}  // namespace

std::vector<std::vector<std::string>> input_open_dims(const Graph& graph) {
  std::vector<std::vector<std::string>> out;
  for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
    const Node* node = input_node(graph, i);
    std::vector<std::string> names = node ? open_dims_of(*node) : std::vector<std::string>{};
    out.push_back(any_open(names) ? std::move(names) : std::vector<std::string>{});
  }
  return out;
}

bool has_open_dims(const Graph& graph) {
  for (const auto& names : input_open_dims(graph)) {
    if (!names.empty()) return true;
  }
  return false;
}

std::string describe_input(const Graph& graph, std::size_t input) {
  const Value* value = graph.find_value(graph.inputs[input]);
  const Shape shape = value ? value->info.shape : Shape{};
  const std::vector<std::string> names = input_open_dims(graph)[input];
  std::string s = "[";
  for (std::size_t d = 0; d < shape.rank(); ++d) {
    if (d > 0) s += ", ";
    if (d < names.size() && !names[d].empty()) s += names[d] + "=";
    s += std::to_string(shape[d]);
  }
  return s + "]";
}

Result<Graph> with_input_shapes(const Graph& graph, std::span<const Shape> shapes, const OpRegistry& registry) {
  if (shapes.size() != graph.inputs.size()) {
    return bad_input("set input shapes: the model has " + std::to_string(graph.inputs.size()) + " inputs, got " +
                     std::to_string(shapes.size()) + " shapes");
  }
  const auto open = input_open_dims(graph);
  std::map<std::string, std::pair<std::int64_t, std::string>> named;  // dim name -> (size, where first seen)
  Graph out = graph;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const std::string& input = graph.inputs[i];
    const Value* value = graph.find_value(input);
    const Shape& stored = value->info.shape;
    const Shape& want = shapes[i];
    if (want.rank() != stored.rank()) {
      return bad_input("set input shapes: input " + quote(input) + " has rank " + std::to_string(stored.rank()) + " " +
                       describe_input(graph, i) + ", got shape " + want.to_string());
    }
    for (std::size_t d = 0; d < want.rank(); ++d) {
      const bool is_open = d < open[i].size() && !open[i][d].empty();
      if (!is_open && want[d] != stored[d]) {
        return bad_input("set input shapes: " + dim_label(input, d, open[i]) + " is fixed at " +
                         std::to_string(stored[d]) + " by the model " + describe_input(graph, i) + ", got " +
                         std::to_string(want[d]) + " (shape " + want.to_string() + ")");
      }
      if (is_open && (want[d] < 1 || want[d] > kMaxElements)) {
        return bad_input("set input shapes: " + dim_label(input, d, open[i]) + " must be in [1, 2^40], got " +
                         std::to_string(want[d]) + " (shape " + want.to_string() + ")");
      }
      if (!is_open) continue;
      const std::string where = dim_label(input, d, open[i]);
      const auto [it, first] = named.emplace(open[i][d], std::pair{want[d], where});
      if (!first && it->second.first != want[d]) {
        return bad_input("set input shapes: " + where + " and " + it->second.second + " are the same dim " +
                         quote(open[i][d]) + ", got sizes " + std::to_string(want[d]) + " and " +
                         std::to_string(it->second.first));
      }
    }
    INGOT_TRY_CTX(validate_shape(want), "set input shapes: input " + quote(input));
    const auto producer = out.producer_of(input);
    out.nodes[*producer].attrs["shape"] = want.dims();
    out.find_value(input)->info.shape = want;
  }
  std::string fed;
  for (const Shape& s : shapes) fed += (fed.empty() ? "" : ", ") + s.to_string();
  const ShapeAdjust same_pads = [&out](std::size_t index, std::span<const TensorInfo> in) {
    return recompute_same_pads(out.nodes[index], in);
  };
  INGOT_TRY_CTX(infer_shapes(out, registry, same_pads), "set input shapes " + fed);
  return out;
}

std::vector<std::string> close_open_dims(Graph& graph) {
  std::vector<std::string> closed;
  const auto open = input_open_dims(graph);
  for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
    if (open[i].empty()) continue;
    const Shape& shape = graph.find_value(graph.inputs[i])->info.shape;
    for (std::size_t d = 0; d < open[i].size(); ++d) {
      if (!open[i][d].empty()) closed.push_back(graph.inputs[i] + ":" + open[i][d] + "=" + std::to_string(shape[d]));
    }
    graph.nodes[*graph.producer_of(graph.inputs[i])].attrs.erase("open_dims");
  }
  if (closed.empty()) return closed;
  // What served every size now states this one: Reshape 0 entries become the dims they copy,
  // "same" pads stay as they are (they are this instance's).
  for (Node& node : graph.nodes) {
    if (node.op == "Conv2D" || node.op == "MaxPool2D" || node.op == "AvgPool2D") node.attrs.erase("same_extent");
    if (node.op != "Reshape" || node.inputs.empty()) continue;
    auto it = node.attrs.find("shape");
    auto* dims = it == node.attrs.end() ? nullptr : std::get_if<std::vector<std::int64_t>>(&it->second);
    const Value* in = graph.find_value(node.inputs[0]);
    if (dims == nullptr || in == nullptr) continue;
    for (std::size_t d = 0; d < dims->size() && d < in->info.shape.rank(); ++d) {
      if ((*dims)[d] == 0) (*dims)[d] = in->info.shape[d];
    }
  }
  return closed;
}

}  // namespace ingot::ir
