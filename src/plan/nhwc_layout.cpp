// nhwc_layout: runs the NCHW image ops of Caffe (and channels_first Keras) graphs in NHWC, the
// layout the convolution and pooling kernels want, without a transpose around every layer.
//
// A rank-4 value v may get an NHWC twin "v/nhwc": the same elements with the axes in order
// [N, H, W, C]. Walking the nodes in order:
//   - an NCHW Conv2D / ConvTranspose2D / MaxPool2D / AvgPool2D reads its input's twin (a Transpose makes one when
//     the input has none) and writes a twin: its layout becomes NHWC;
//   - layout-free elementwise ops, and ops whose axes can be renamed (Concat, Softmax, BatchNorm,
//     Scale, CaffeNormalize on the channel axis, Pad), follow when every input has a twin: they
//     read the twins, write a twin, and their axes are mapped to the NHWC positions;
//   - a Transpose of a twinned value reads the twin with its perm composed; SSD heads'
//     Permute(0, 2, 3, 1) then becomes the identity and disappears;
//   - any other reader (Reshape, Dense after Flatten, a graph output, ...) gets the NCHW value
//     back under its own name, from one Transpose made when the first such reader needs it.
// Exact: only the order of elements in memory changes (CaffeNormalize's double-precision sum
// over a whole sample is the one exception: the same terms, added in another order).
#include <algorithm>
#include <array>
#include <set>

#include "ops/params.h"
#include "plan/plan_graph.h"

namespace ingot::plan {
namespace {

// Physical NHWC axis of each logical NCHW axis, and the permutation that makes the twin.
constexpr std::array<std::int64_t, 4> kNhwcAxisOf{0, 3, 1, 2};
const std::vector<std::int64_t> kToNhwc{0, 2, 3, 1}, kToNchw{0, 3, 1, 2};

bool is_layout_free(std::string_view op) {
  static const std::set<std::string_view> ops{"ReLU",    "Sigmoid", "Tanh",   "HardSigmoid", "Elu",
                                              "Selu",    "Softplus", "Softsign", "Swish",   "Exp",
                                              "ThresholdedReLU", "AbsVal", "Power", "Affine"};
  return ops.count(op) > 0;
}
bool is_same_shape_elementwise(std::string_view op) {
  return op == "Add" || op == "Sub" || op == "Mul" || op == "Maximum" || op == "Minimum" || op == "Mean";
}
bool has_nchw_layout(const ir::Node& node) {
  if (node.op != "Conv2D" && node.op != "ConvTranspose2D" && node.op != "MaxPool2D" && node.op != "AvgPool2D" &&
      node.op != "Resize")
    return false;
  const auto it = node.attrs.find("layout");
  return it != node.attrs.end() && std::holds_alternative<std::string>(it->second) &&
         std::get<std::string>(it->second) == "NCHW" && node.inputs.size() == 1;
}

Shape nhwc_shape(const Shape& s) { return Shape{s[0], s[2], s[3], s[1]}; }

std::int64_t int_attr(const ir::Node& node, const char* name, std::int64_t fallback) {
  const auto it = node.attrs.find(name);
  return it != node.attrs.end() && std::holds_alternative<std::int64_t>(it->second) ? std::get<std::int64_t>(it->second)
                                                                                     : fallback;
}

class Rewriter {
 public:
  Rewriter(PlanGraph& plan, const OpRegistry& registry) : plan_(plan), g_(plan.graph), registry_(registry) {
    for (const ir::Value& v : g_.values) info_[v.name] = v.info;
  }

  Status run() {
    std::vector<ir::Node> nodes = std::move(g_.nodes);
    g_.nodes.clear();
    for (ir::Node& node : nodes) INGOT_TRY(visit(std::move(node)));
    for (const std::string& out : g_.outputs) materialize_nchw(out);
    rebuild_values();
    return {};
  }

 private:
  Status visit(ir::Node node) {
    if (has_nchw_layout(node) && rank4(node.inputs[0])) return to_nhwc_image_op(std::move(node));
    if (all_inputs_twinned(node)) {
      INGOT_ASSIGN_OR_RETURN(const bool moved, follow(node));
      if (moved) return {};
    }
    for (const std::string& in : node.inputs) materialize_nchw(in);
    g_.nodes.push_back(std::move(node));
    return {};
  }

  Status to_nhwc_image_op(ir::Node node) {
    node.inputs[0] = twin_of(node.inputs[0]);
    node.attrs["layout"] = std::string("NHWC");
    plan_.log.push_back("nhwc_layout: " + node.op + " " + quote(node.name) + " runs NHWC");
    emit_with_twin_output(std::move(node));
    return {};
  }

  // Rewrites a node whose inputs all have twins to read them; false when it must stay NCHW.
  Result<bool> follow(ir::Node& node) {
    if (node.outputs.size() != 1) return false;
    if (is_layout_free(node.op) && node.inputs.size() == 1) return emit_follow(node);
    if (is_same_shape_elementwise(node.op)) {
      for (const std::string& in : node.inputs)
        if (!(info_[in].shape == info_[node.inputs[0]].shape)) return false;  // broadcasting stays NCHW
      return emit_follow(node);
    }
    if (node.op == "Concat" || node.op == "Softmax" || node.op == "BatchNorm" || node.op == "Scale") {
      const std::int64_t axis = int_attr(node, "axis", -1);
      if (axis < -4 || axis > 3) return false;
      node.attrs["axis"] = kNhwcAxisOf[static_cast<std::size_t>(axis < 0 ? axis + 4 : axis)];
      return emit_follow(node);
    }
    if (node.op == "CaffeNormalize" && int_attr(node, "axis", 1) == 1) {
      node.attrs["axis"] = std::int64_t{3};
      return emit_follow(node);
    }
    if (node.op == "Pad") {
      INGOT_ASSIGN_OR_RETURN(const ir::BoundNode bound, bind(g_, node, registry_));
      const auto& p = *static_cast<const ops::PadParams*>(bound.params.get());
      if (p.pads.size() != 8) return false;
      std::vector<std::int64_t> pads(8);
      for (std::size_t j = 0; j < 4; ++j) {
        pads[j] = p.pads[static_cast<std::size_t>(kToNhwc[j])];
        pads[4 + j] = p.pads[4 + static_cast<std::size_t>(kToNhwc[j])];
      }
      node.attrs["pads"] = pads;
      return emit_follow(node);
    }
    if (node.op == "Transpose" && node.inputs.size() == 1) return transpose_of_twin(node);
    return false;
  }

  bool emit_follow(ir::Node& node) {
    for (std::string& in : node.inputs) in = twin_[in];
    plan_.log.push_back("nhwc_layout: " + node.op + " " + quote(node.name) + " follows in NHWC");
    emit_with_twin_output(std::move(node));
    return true;
  }

  // Transpose(x, p) with x's twin t = Transpose(x, [0, 2, 3, 1]) is Transpose(t, r) with
  // r[i] = kNhwcAxisOf[p[i]]; r the identity: the twin already is the result.
  Result<bool> transpose_of_twin(ir::Node& node) {
    const auto it = node.attrs.find("perm");
    if (it == node.attrs.end() || !std::holds_alternative<std::vector<std::int64_t>>(it->second)) return false;
    const auto& perm = std::get<std::vector<std::int64_t>>(it->second);
    if (perm.size() != 4) return false;
    std::vector<std::int64_t> composed(4);
    for (std::size_t i = 0; i < 4; ++i) {
      if (perm[i] < 0 || perm[i] > 3) return false;
      composed[i] = kNhwcAxisOf[static_cast<std::size_t>(perm[i])];
    }
    const std::string source = twin_[node.inputs[0]], out = node.outputs[0];
    const bool identity = composed == std::vector<std::int64_t>{0, 1, 2, 3};
    if (identity && !is_graph_output(g_, out) && !alias_.count(source)) {
      // Readers of `out` read the twin, renamed to `out` so every later reader finds it.
      rename_produced(source, out);
      plan_.log.push_back("nhwc_layout: Transpose " + quote(node.name) + " dropped (its input already is NHWC)");
      return true;
    }
    node.inputs[0] = source;
    node.attrs["perm"] = composed;
    g_.nodes.push_back(std::move(node));
    return true;
  }

  // The twin `from` takes the name `to` (the value a dropped Transpose produced).
  void rename_produced(const std::string& from, const std::string& to) {
    for (ir::Node& n : g_.nodes) {
      for (std::string& o : n.outputs)
        if (o == from) o = to;
      for (std::string& i : n.inputs)
        if (i == from) i = to;
    }
    for (auto& [logical, twin] : twin_)
      if (twin == from) twin = to;
    info_[to] = info_[from];
    alias_.insert(to);
  }

  void emit_with_twin_output(ir::Node node) {
    const std::string logical = node.outputs[0], twin = unique(logical + "/nhwc");
    info_[twin] = {nhwc_shape(info_[logical].shape), info_[logical].dtype};
    node.outputs[0] = twin;
    twin_[logical] = twin;
    converted_.insert(logical);
    g_.nodes.push_back(std::move(node));
  }

  std::string twin_of(const std::string& value) {
    if (const auto it = twin_.find(value); it != twin_.end()) return it->second;
    const std::string twin = unique(value + "/nhwc");
    g_.nodes.push_back({twin, "Transpose", 1, {value}, {twin}, {{"perm", kToNhwc}}});
    info_[twin] = {nhwc_shape(info_[value].shape), info_[value].dtype};
    twin_[value] = twin;
    plan_.log.push_back("nhwc_layout: Transpose " + quote(twin) + " added (" + quote(value) + " to NHWC)");
    return twin;
  }

  // A reader needs `value` in NCHW: when its producer now writes the twin, transpose it back.
  void materialize_nchw(const std::string& value) {
    if (!converted_.count(value) || materialized_.count(value)) return;
    const std::string node = unique(value + "/nchw");
    g_.nodes.push_back({node, "Transpose", 1, {twin_[value]}, {value}, {{"perm", kToNchw}}});
    materialized_.insert(value);
    plan_.log.push_back("nhwc_layout: Transpose " + quote(node) + " added (" + quote(value) + " back to NCHW)");
  }

  bool rank4(const std::string& value) { return info_[value].shape.rank() == 4; }
  bool all_inputs_twinned(const ir::Node& node) {
    if (node.inputs.empty()) return false;
    return std::all_of(node.inputs.begin(), node.inputs.end(),
                       [&](const std::string& in) { return twin_.count(in) > 0 && rank4(in); });
  }

  std::string unique(const std::string& base) {
    std::string name = base;
    for (int i = 1; info_.count(name) || g_.find_node(name) != nullptr; ++i) name = base + "." + std::to_string(i);
    info_[name] = {};
    return name;
  }

  // The values the rewritten nodes produce (and the graph inputs), with their shapes.
  void rebuild_values() {
    std::set<std::string> produced;
    std::vector<std::string> order;  // the old values first, in their order, then the new ones
    for (const ir::Node& n : g_.nodes)
      for (const std::string& o : n.outputs)
        if (produced.insert(o).second) order.push_back(o);
    std::vector<ir::Value> values;
    std::set<std::string> placed;
    for (const ir::Value& v : g_.values)
      if (produced.count(v.name) && placed.insert(v.name).second) values.push_back({v.name, info_[v.name]});
    for (const std::string& name : order)
      if (placed.insert(name).second) values.push_back({name, info_[name]});
    g_.values = std::move(values);
  }

  PlanGraph& plan_;
  ir::Graph& g_;
  const OpRegistry& registry_;
  std::map<std::string, TensorInfo> info_;
  std::map<std::string, std::string> twin_;  // logical value -> its NHWC twin
  std::set<std::string> converted_;         // values whose producer now writes the twin only
  std::set<std::string> materialized_;      // converted values transposed back for an NCHW reader
  std::set<std::string> alias_;             // twins renamed after a dropped Transpose
};

}  // namespace

Status nhwc_layout(PlanGraph& plan, const OpRegistry& registry) {
  const bool any = std::any_of(plan.graph.nodes.begin(), plan.graph.nodes.end(), has_nchw_layout);
  if (!any) return {};
  return Rewriter(plan, registry).run();
}

}  // namespace ingot::plan
