// fold_pad: an explicit zero Pad of the spatial axes (Keras ZeroPadding2D before a "valid"
// convolution, as MobileNet does before every stride-2 layer) becomes the convolutions' own
// padding. Exact: the convolution reads padded positions as zero either way. Applies only
// when every reader of the padded value is a Conv2D taking it as input, and the padded value
// is not a graph output.
#include <algorithm>
#include <array>

#include "ops/params.h"
#include "plan/plan_graph.h"

namespace ingot::plan {

std::optional<std::array<std::int64_t, 4>> spatial_pads(const std::vector<std::int64_t>& pads, const std::string& layout) {
  if (pads.size() != 8) return std::nullopt;
  const std::size_t h = layout == "NCHW" ? 2 : 1, w = h + 1, c = layout == "NCHW" ? 1 : 3;
  if (pads[0] != 0 || pads[4] != 0 || pads[c] != 0 || pads[4 + c] != 0) return std::nullopt;
  return std::array{pads[h], pads[w], pads[4 + h], pads[4 + w]};
}

Status fold_pad(PlanGraph& plan, const OpRegistry& registry) {
  ir::Graph& g = plan.graph;
  for (std::size_t i = 0; i < g.nodes.size();) {
    const ir::Node& pad = g.nodes[i];
    if (pad.op != "Pad" || pad.inputs.size() != 1 || is_graph_output(g, pad.outputs[0])) {
      ++i;
      continue;
    }
    INGOT_ASSIGN_OR_RETURN(const ir::BoundNode pad_bound, bind(g, pad, registry));
    const auto& pp = *static_cast<const ops::PadParams*>(pad_bound.params.get());
    const std::vector<std::size_t> readers = consumers(g, pad.outputs[0]);
    bool ok = pp.value == 0.0f && !readers.empty();
    std::vector<std::array<std::int64_t, 4>> per_reader;
    for (std::size_t r : readers) {
      const ir::Node& conv = g.nodes[r];
      if (!ok || conv.op != "Conv2D" || conv.inputs[0] != pad.outputs[0] ||
          std::count(conv.inputs.begin(), conv.inputs.end(), pad.outputs[0]) != 1) {
        ok = false;
        break;
      }
      INGOT_ASSIGN_OR_RETURN(const ir::BoundNode cb, bind(g, conv, registry));
      const auto& cp = *static_cast<const ops::Conv2DParams*>(cb.params.get());
      const auto extra = spatial_pads(pp.pads, cp.layout);
      if (!extra) {
        ok = false;
        break;
      }
      std::array<std::int64_t, 4> total{};
      for (std::size_t k = 0; k < 4; ++k) total[k] = cp.pads[k] + (*extra)[k];
      per_reader.push_back(total);
    }
    if (!ok) {
      ++i;
      continue;
    }
    const std::string from = pad.inputs[0], padded = pad.outputs[0], name = pad.name;
    for (std::size_t k = 0; k < readers.size(); ++k) {
      ir::Node& conv = g.nodes[readers[k]];
      conv.attrs["pads"] = std::vector<std::int64_t>(per_reader[k].begin(), per_reader[k].end());
      conv.inputs[0] = from;
      plan.log.push_back("fold_pad: Pad " + quote(name) + " into Conv2D " + quote(conv.name));
    }
    g.values.erase(std::remove_if(g.values.begin(), g.values.end(), [&](const ir::Value& v) { return v.name == padded; }),
                   g.values.end());
    g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return {};
}

}  // namespace ingot::plan
