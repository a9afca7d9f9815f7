#include "ir/graph.h"

#include <cstring>

#include "core/codebook.h"
#include "core/fp16.h"

namespace ingot::ir {

constexpr std::int64_t kCodebookShape = kCodebookEntries;

bool has_codebook(const Constant& c) {
  return c.storage == Storage::codebook8 && c.dtype == DType::f32 && c.payload.dtype() == DType::u8 &&
         c.codebook.dtype() == DType::f16 && c.codebook.shape() == Shape{kCodebookShape};
}

Result<Constant> make_constant(std::string name, const Tensor& logical, Storage storage) {
  Constant c{.name = std::move(name), .dtype = logical.dtype(), .storage = storage, .payload = {}};
  if (storage == Storage::raw) {
    c.payload = logical;
    return c;
  }
  // Every encoded storage rounds f32 values.
  if (logical.dtype() != DType::f32) {
    const char* what = storage == Storage::f16 ? "f16" : storage == Storage::codebook8 ? "codebook8" : "this";
    return bad_input("store constant " + quote(c.name) + ": " + what + " storage needs f32 values, got " +
                     dtype_name(logical.dtype()));
  }
  switch (storage) {
    case Storage::raw:
      break;
    case Storage::f16: {
      INGOT_ASSIGN_OR_RETURN(c.payload, Tensor::allocate(DType::f16, logical.shape()));
      floats_to_halves(logical.data<float>(), c.payload.mutable_data<std::uint16_t>());
      return c;
    }
    case Storage::codebook8: {
      INGOT_ASSIGN_OR_RETURN(c.payload, Tensor::allocate(DType::u8, logical.shape()));
      INGOT_ASSIGN_OR_RETURN(c.codebook, Tensor::allocate(DType::f16, Shape{kCodebookShape}));
      auto entries = c.codebook.mutable_data<std::uint16_t>();
      INGOT_TRY_CTX(quantize_codebook8(logical.data<float>(), entries.first<kCodebookEntries>(),
                                       c.payload.mutable_data<std::uint8_t>())
                        .status(),
                    "store constant " + quote(c.name));
      return c;
    }
  }
  return bad_input("store constant " + quote(c.name) + ": unknown storage type");
}

Result<Tensor> decode_constant(const Constant& c) {
  if (c.storage == Storage::raw) return c.payload;
  if (c.storage == Storage::f16 && c.dtype == DType::f32 && c.payload.dtype() == DType::f16) {
    INGOT_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(DType::f32, c.payload.shape()));
    halves_to_floats(c.payload.data<std::uint16_t>(), out.mutable_data<float>());
    return out;
  }
  if (has_codebook(c)) {
    INGOT_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(DType::f32, c.payload.shape()));
    decode_codebook8(c.codebook.data<std::uint16_t>().first<kCodebookEntries>(), c.payload.data<std::uint8_t>(),
                     out.mutable_data<float>());
    return out;
  }
  return bad_input("decode constant " + quote(c.name) + ": storage does not match dtype " +
                   dtype_name(c.dtype));
}

std::string output_name(const std::string& node, int index) {
  return index == 0 ? node : node + ":" + std::to_string(index);
}

void Graph::add_input(const std::string& name, const Shape& shape, DType dtype) {
  add_node(name, "Input", {}, {{"shape", shape.dims()}, {"dtype", std::string(dtype_name(dtype))}});
  values.back().info = {shape, dtype};
  inputs.push_back(name);
}

std::size_t Graph::add_node(const std::string& name, const std::string& op,
                            std::vector<std::string> node_inputs, AttrMap attrs, int num_outputs,
                            int version) {
  Node node{.name = name, .op = op, .version = version, .inputs = std::move(node_inputs), .outputs = {},
            .attrs = std::move(attrs)};
  if (node.version == 0) {
    const OpDef* def = default_registry().find(op);
    node.version = def ? def->schema.version : 1;
  }
  for (int i = 0; i < num_outputs; ++i) {
    node.outputs.push_back(output_name(name, i));
    values.push_back({.name = node.outputs.back(), .info = {}});
  }
  nodes.push_back(std::move(node));
  return nodes.size() - 1;
}

Status Graph::add_constant(const std::string& name, const Tensor& logical, Storage storage) {
  INGOT_ASSIGN_OR_RETURN(Constant c, make_constant(name, logical, storage));
  constants.push_back(std::move(c));
  return {};
}

const Node* Graph::find_node(std::string_view name) const {
  for (const auto& n : nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

const Value* Graph::find_value(std::string_view name) const {
  for (const auto& v : values) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

Value* Graph::find_value(std::string_view name) {
  return const_cast<Value*>(static_cast<const Graph*>(this)->find_value(name));
}

const Constant* Graph::find_constant(std::string_view name) const {
  for (const auto& c : constants) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::optional<std::size_t> Graph::producer_of(std::string_view value) const {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& out : nodes[i].outputs) {
      if (out == value) return i;
    }
  }
  return std::nullopt;
}

}  // namespace ingot::ir
