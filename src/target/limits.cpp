#include "target/limits.h"

#include <algorithm>
#include <array>

namespace ingot::target {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
// Rounds x up to the next value congruent to `residue` modulo `modulus`.
std::int64_t round_up_to_residue(std::int64_t x, std::int64_t residue, std::int64_t modulus) {
  return x + (((residue - x) % modulus) + modulus) % modulus;
}

// What a limit can measure on one node; unset where the node has no such thing.
struct Measures {
  std::optional<std::array<std::int64_t, 2>> kernel, stride, dilation;  // h, w
  std::optional<std::array<std::int64_t, 4>> pads;                      // top, left, bottom, right
  std::optional<std::int64_t> in_w, in_h, in_c, out_w, out_h, out_c;
};

std::optional<std::vector<std::int64_t>> int_list(const ir::Node& node, const OpSchema& schema, const char* name) {
  const AttrValue* v = nullptr;
  if (auto it = node.attrs.find(name); it != node.attrs.end()) v = &it->second;
  const ParamSpec* spec = schema.find_param(name);
  if (v == nullptr && spec != nullptr && spec->default_value) v = &*spec->default_value;
  if (v == nullptr) return std::nullopt;
  if (const auto* list = std::get_if<std::vector<std::int64_t>>(v)) return *list;
  return std::nullopt;
}

std::string string_attr(const ir::Node& node, const OpSchema& schema, const char* name, std::string fallback) {
  if (auto it = node.attrs.find(name); it != node.attrs.end()) {
    if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  }
  const ParamSpec* spec = schema.find_param(name);
  if (spec != nullptr && spec->default_value) {
    if (const auto* s = std::get_if<std::string>(&*spec->default_value)) return *s;
  }
  return fallback;
}

std::optional<std::array<std::int64_t, 2>> pair(const std::optional<std::vector<std::int64_t>>& v) {
  if (!v || v->size() != 2) return std::nullopt;
  return std::array<std::int64_t, 2>{(*v)[0], (*v)[1]};
}

const Shape* value_shape(const ir::Graph& graph, const std::string& name) {
  const ir::Value* v = graph.find_value(name);
  return v == nullptr ? nullptr : &v->info.shape;
}

Measures measure(const ir::Graph& graph, const ir::Node& node, const OpSchema& schema) {
  Measures m;
  m.stride = pair(int_list(node, schema, "strides"));
  m.dilation = pair(int_list(node, schema, "dilations"));
  if (auto k = pair(int_list(node, schema, "kernel"))) {
    m.kernel = k;
  } else if (auto it = node.attrs.find("weights"); it != node.attrs.end()) {
    if (const auto* ref = std::get_if<TensorRef>(&it->second)) {
      const ir::Constant* c = graph.find_constant(ref->name);
      if (c != nullptr && c->shape().rank() == 4) m.kernel = std::array<std::int64_t, 2>{c->shape()[2], c->shape()[3]};
    }
  }
  if (auto p = int_list(node, schema, "pads"); p && p->size() == 4) {
    m.pads = std::array<std::int64_t, 4>{(*p)[0], (*p)[1], (*p)[2], (*p)[3]};
  }
  const bool nchw = string_attr(node, schema, "layout", "NHWC") == "NCHW";
  const auto image = [&](const Shape* s, std::optional<std::int64_t>& w, std::optional<std::int64_t>& h,
                         std::optional<std::int64_t>& c) {
    if (s == nullptr || s->rank() == 0) return;
    if (s->rank() == 4 && schema.find_param("layout") != nullptr) {
      h = (*s)[nchw ? 2 : 1];
      w = (*s)[nchw ? 3 : 2];
      c = (*s)[nchw ? 1 : 3];
    } else if (schema.find_param("weights") != nullptr) {
      c = (*s)[s->rank() - 1];  // Dense: features
    }
  };
  if (!node.inputs.empty()) image(value_shape(graph, node.inputs[0]), m.in_w, m.in_h, m.in_c);
  if (!node.outputs.empty()) image(value_shape(graph, node.outputs[0]), m.out_w, m.out_h, m.out_c);
  return m;
}

std::string remedy_for(Quantity q, const Limit& limit, const std::string& layer) {
  const std::string host = "or run it on the host (--host " + layer + ")";
  const std::string bound = limit.max ? std::to_string(*limit.max) : std::to_string(*limit.min);
  switch (q) {
    case Quantity::kernel:
      return "use kernels of at most " + bound + " (a larger kernel is a stack or sum of smaller ones), " + host;
    case Quantity::stride:
    case Quantity::dilation:
    case Quantity::pad:
      return std::string("change the layer's ") + quantity_name(q) + " to " + describe_limit(limit) + ", " + host;
    case Quantity::input_width:
    case Quantity::output_width:
      return "split the layer along the width into parts of at most " + bound + " columns (Slice, then Concat), " + host;
    case Quantity::input_height:
    case Quantity::output_height:
      return "split the layer along the height into parts of at most " + bound + " rows (Slice, then Concat), " + host;
    case Quantity::input_channels:
    case Quantity::output_channels:
      return "split the layer into parts of at most " + bound + " channels (then Concat, or Add for input channels), " + host;
  }
  return host;
}

// Each measured value of `q` with the name it is reported under.
std::vector<std::pair<std::string, std::int64_t>> values_of(Quantity q, const Measures& m) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  const auto axes = [&](const char* what, const std::optional<std::array<std::int64_t, 2>>& v) {
    if (!v) return;
    out.emplace_back(std::string(what) + " height", (*v)[0]);
    out.emplace_back(std::string(what) + " width", (*v)[1]);
  };
  const auto one = [&](const char* what, const std::optional<std::int64_t>& v) {
    if (v) out.emplace_back(what, *v);
  };
  switch (q) {
    case Quantity::kernel: axes("kernel", m.kernel); break;
    case Quantity::stride: axes("stride", m.stride); break;
    case Quantity::dilation: axes("dilation", m.dilation); break;
    case Quantity::pad:
      if (m.pads) {
        const char* sides[] = {"pad top", "pad left", "pad bottom", "pad right"};
        for (int i = 0; i < 4; ++i) out.emplace_back(sides[i], (*m.pads)[i]);
      }
      break;
    case Quantity::input_width: one("input width", m.in_w); break;
    case Quantity::input_height: one("input height", m.in_h); break;
    case Quantity::input_channels: one("input channels", m.in_c); break;
    case Quantity::output_width: one("output width", m.out_w); break;
    case Quantity::output_height: one("output height", m.out_h); break;
    case Quantity::output_channels: one("output channels", m.out_c); break;
  }
  return out;
}

std::string rule_source(const Target& target, const std::string& source) {
  return "(" + target.name + (source.empty() ? "" : ", " + source) + ")";
}

std::optional<TileShape> tile_shape(const ir::Graph& graph, const ir::Node& node, const OpSchema& schema) {
  const Measures m = measure(graph, node, schema);
  if (!m.in_w || !m.in_h || !m.in_c || !m.out_c) return std::nullopt;
  TileShape s;
  s.width = *m.in_w;
  s.height = *m.in_h;
  s.channels = *m.in_c;
  s.out_channels = *m.out_c;
  if (m.kernel) std::tie(s.kernel_h, s.kernel_w) = std::pair((*m.kernel)[0], (*m.kernel)[1]);
  if (m.stride) std::tie(s.stride_h, s.stride_w) = std::pair((*m.stride)[0], (*m.stride)[1]);
  if (m.dilation) std::tie(s.dilation_h, s.dilation_w) = std::pair((*m.dilation)[0], (*m.dilation)[1]);
  if (m.pads) {
    s.pad_top = (*m.pads)[0];
    s.pad_left = (*m.pads)[1];
    s.pad_bottom = (*m.pads)[2];
    s.pad_right = (*m.pads)[3];
  }
  s.transposed = node.op == "ConvTranspose2D";
  s.convolution = schema.find_param("weights") != nullptr;
  return s;
}

// The run's first tiled node: the one whose geometry the device tiles by.
std::optional<std::size_t> tiled_head(const ir::Graph& graph, const Target& target, const Run& run) {
  if (!run.on_device || !target.buffer) return std::nullopt;
  for (std::size_t n : run.nodes) {
    const DeviceOp* d = target.device_op(graph.nodes[n].op);
    if (d != nullptr && d->tiled) return n;
  }
  return std::nullopt;
}

}  // namespace

// The "width-strips" rule (docs/targets.md): the input is cut into `t` vertical strips of
// ceil(W / t) columns plus the kernel's overlap. One strip, all rows, sits in the buffer in
// blocks of `channel_block` channels, each block rounded up to 16-byte units and to 2 modulo
// 16 of them, the whole to a multiple of 16; beside it one block of output channels of the
// strip's output. Small layers (kernel <= 7, input and output channels within one block) need
// no buffer; those with input channels in one block need no output space. The fewest strips
// that fit is the tile count.
TileFit fit_tiles(const TileShape& s, const Buffer& buffer) {
  const std::int64_t block = buffer.channel_block;
  const std::int64_t capacity = buffer.bytes / buffer.element_bytes;
  const bool dilated = s.dilation_h > 1 || s.dilation_w > 1;
  // Undilated kernels are squared up to an odd size, as the device runs them.
  const std::int64_t square = std::max(s.kernel_h, s.kernel_w) | 1;
  const std::int64_t kx = dilated ? (s.kernel_w - 1) * s.dilation_w + 1 : square;
  const std::int64_t ky = dilated ? (s.kernel_h - 1) * s.dilation_h + 1 : square;
  if (s.convolution && !dilated && square <= 7 && s.channels <= block && s.out_channels <= block) return {1, 0, 0};
  const bool no_output_space = s.convolution && !dilated &&
                               ((square <= 7 && s.channels <= block) || (square <= 11 && s.channels <= 4) ||
                                (square > 11 && s.channels == 1));
  const auto out_extent = [&](std::int64_t in, std::int64_t k, std::int64_t pad0, std::int64_t pad1, std::int64_t stride) {
    if (s.transposed) return (in - 1) * stride + k;  // the full output, before the crop
    return std::max<std::int64_t>(0, (pad0 + in + pad1 - k) / stride + 1);
  };
  const std::int64_t in_blocks = ceil_div(s.channels, block);
  TileFit fit;
  for (std::int64_t t = 1; t <= s.width; ++t) {
    const std::int64_t strip = ceil_div(s.width, t) + (kx - 1);
    const std::int64_t out_w = out_extent(strip, kx, s.pad_left, s.pad_right, s.stride_w);
    const std::int64_t out_h = out_extent(s.height, ky, s.pad_top, s.pad_bottom, s.stride_h);
    const std::int64_t out_elems = out_w * out_h * std::min(s.out_channels, block);
    const std::int64_t block_units = round_up_to_residue(ceil_div(strip * s.height * std::min(s.channels, block), 8), 2, 16);
    const std::int64_t in_elems = round_up_to_residue(block_units * in_blocks, 0, 16) * 8;
    fit.input_bytes = in_elems * buffer.element_bytes;
    fit.output_bytes = no_output_space ? 0 : out_elems * buffer.element_bytes;
    if (in_elems + (no_output_space ? 0 : out_elems) <= capacity) {
      fit.tiles = t;
      return fit;
    }
  }
  fit.tiles = 0;
  return fit;
}

std::vector<std::optional<TileFit>> run_tiles(const ir::Graph& graph, const Target& target, const Partition& partition,
                                              const OpRegistry& registry) {
  std::vector<std::optional<TileFit>> out(partition.runs.size());
  for (std::size_t r = 0; r < partition.runs.size(); ++r) {
    const auto head = tiled_head(graph, target, partition.runs[r]);
    if (!head) continue;
    const ir::Node& node = graph.nodes[*head];
    const OpDef* def = registry.find(node.op);
    if (def == nullptr) continue;
    if (auto shape = tile_shape(graph, node, def->schema)) out[r] = fit_tiles(*shape, *target.buffer);
  }
  return out;
}

Result<std::vector<Violation>> check_limits(const ir::Graph& graph, const Target& target, const Partition& partition,
                                            const OpRegistry& registry) {
  std::vector<Violation> found;
  const auto tiles = run_tiles(graph, target, partition, registry);
  for (std::size_t r = 0; r < partition.runs.size(); ++r) {
    const Run& run = partition.runs[r];
    if (!run.on_device) continue;
    for (std::size_t n : run.nodes) {
      const ir::Node& node = graph.nodes[n];
      const OpDef* def = registry.find(node.op);
      const DeviceOp* device = target.device_op(node.op);
      if (def == nullptr || device == nullptr) return internal_error("op " + quote(node.op) + " of a device run is unknown");
      const Measures m = measure(graph, node, def->schema);
      for (const Limit& limit : device->limits) {
        for (const auto& [what, value] : values_of(limit.quantity, m)) {
          if ((!limit.min || value >= *limit.min) && (!limit.max || value <= *limit.max)) continue;
          found.push_back(Violation{node.name, node.op, quantity_name(limit.quantity), value, what + " " + std::to_string(value),
                                    describe_limit(limit) + " " + rule_source(target, limit.source),
                                    remedy_for(limit.quantity, limit, node.name)});
        }
      }
    }
    if (tiles[r] && tiles[r]->tiles == 0) {
      const ir::Node& head = graph.nodes[*tiled_head(graph, target, run)];
      const TileFit& fit = *tiles[r];
      const std::int64_t needed = fit.input_bytes + fit.output_bytes;
      found.push_back(Violation{
          head.name, head.op, "buffer", needed,
          "one-column tiles need " + std::to_string(needed) + " bytes (input " + std::to_string(fit.input_bytes) +
              ", output " + std::to_string(fit.output_bytes) + ")",
          "tiles <= " + std::to_string(target.buffer->bytes) + " bytes " + rule_source(target, target.buffer->source),
          "tiles split the width only: reduce the input's height or channels (split the layer along them, then Concat), "
          "or run it on the host (--host " + head.name + ")"});
    }
  }
  return found;
}

}  // namespace ingot::target
