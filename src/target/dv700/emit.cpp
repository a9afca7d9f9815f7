#include "target/dv700/emit.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "core/fp16.h"
#include "target/dv700/weights.h"

namespace ingot::dv700 {
namespace {

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(v));
  return buf;
}

// Dims as the vendor's layer table prints them: Python tuples, "(10, 10, 3)", "(36,)".
std::string tuple(const std::vector<std::int64_t>& dims) {
  std::string s = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + (dims.size() == 1 ? ",)" : ")");
}

bool is_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string c_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A C identifier made of a layer or op name ("conv2d_1/depthwise" -> "conv2d_1_depthwise").
std::string c_name(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
  return out;
}

Result<std::string> c_float(double v, const std::string& what) {
  if (!std::isfinite(v)) return unsupported(what + " is not finite (" + std::to_string(v) + ")");
  if (std::fabs(v) > std::numeric_limits<float>::max())
    return unsupported(what + " does not fit a float");
  // The shortest decimal that reads back as the same float.
  const float f = static_cast<float>(v);
  char buf[48];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(f));
    if (std::strtof(buf, nullptr) == f) break;
  }
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s + "f";
}

Result<std::string> c_int(std::int64_t v, const std::string& what) {
  if (v < std::numeric_limits<std::int32_t>::min() ||
      v > std::numeric_limits<std::int32_t>::max()) {
    return unsupported(what + " = " + std::to_string(v) + " does not fit the struct's int32_t");
  }
  return std::to_string(v);
}

// -- custom layer parameter structs: one per custom op, one field per schema parameter.

struct CustomField {
  std::string name;
  AttrType type;
  bool optional;  // neither required nor defaulted: a has_<name> flag says whether it is set
};

struct CustomStruct {
  std::string op;
  std::vector<CustomField> fields;
  // Some layer of the op reads several inputs (SSD's DetectionOutput, a prior box of a map and
  // the image): the dv-sdk record holds one input offset, so the struct lists them all.
  bool inputs = false;
};

const char* c_type(AttrType t) {
  switch (t) {
    case AttrType::int_:
      return "int32_t";
    case AttrType::float_:
      return "float";
    case AttrType::bool_:
      return "bool";
    case AttrType::string:
      return "const char*";
    case AttrType::int_list:
      return "const int32_t*";
    case AttrType::float_list:
      return "const float*";
    case AttrType::string_list:
      return "const char* const*";
    default:
      return "void*";
  }
}

bool is_list(AttrType t) {
  return t == AttrType::int_list || t == AttrType::float_list || t == AttrType::string_list;
}

Result<std::map<std::string, CustomStruct>> custom_structs(const Network& net,
                                                           const OpRegistry& registry) {
  std::map<std::string, CustomStruct> out;
  for (const Node& n : net.nodes) {
    if (n.kind != NodeKind::custom || out.count(n.custom_op)) continue;
    CustomStruct s{n.custom_op, {}};
    const OpDef* def = registry.find(n.custom_op);
    std::set<std::string> seen;
    if (def != nullptr) {
      for (const ParamSpec& spec : def->schema.params) {
        // A small tensor parameter arrives as a float list (network.cpp).
        const AttrType type = spec.type == AttrType::tensor ? AttrType::float_list : spec.type;
        s.fields.push_back({spec.name, type, !spec.required && !spec.default_value});
        seen.insert(spec.name);
      }
    }
    // Stand-ins for unknown classes carry whatever the model stored: the struct holds the
    // union of the keys over all layers of the op, each optional.
    for (const Node& other : net.nodes) {
      if (other.kind != NodeKind::custom || other.custom_op != n.custom_op) continue;
      s.inputs = s.inputs || other.inputs.size() > 1;
      for (const auto& [key, value] : other.custom_params) {
        if (seen.insert(key).second) s.fields.push_back({key, attr_type(value), true});
      }
    }
    for (const auto& f : s.fields) {
      if (!is_identifier(f.name))
        return unsupported("custom op " + n.custom_op + " parameter " + quote(f.name) +
                           " is not a C identifier");
    }
    out.emplace(n.custom_op, std::move(s));
  }
  return out;
}

std::string custom_struct_text(const CustomStruct& s) {
  std::ostringstream o;
  o << "// Parameters of the custom layer " << s.op
    << ", one instance per layer (its Layer_N() below).\n"
    << "// Lists are a pointer and a count, so layers of one class may differ in length; a\n"
    << "// parameter the model may leave unset has a has_<name> flag.\n";
  o << "struct custom_param_" << c_name(s.op) << " {\n";
  for (const auto& f : s.fields) {
    if (f.optional)
      o << "  bool has_" << f.name << ";  // false: " << f.name << " is unset (None)\n";
    o << "  " << c_type(f.type) << " " << f.name << ";  // " << attr_type_name(f.type) << "\n";
    if (is_list(f.type))
      o << "  uint32_t " << f.name << "_count;  // elements of " << f.name << "\n";
  }
  if (s.inputs) {
    o << "  // The layer's inputs, in order: their offsets in the I/O buffer and the layers that\n"
      << "  // write them (nullptr: the network's input), whose records tell size and format.\n"
      << "  const size_t* input_offs;\n"
      << "  fpga_layer* const* input_layers;\n"
      << "  uint32_t input_count;\n";
  }
  o << "};\n\n";
  o << "// The host computes " << s.op << " layers: provide this function.\n";
  o << "void custom_callback_" << c_name(s.op)
    << "(fpga_layer &layer, void *custom_param, uint8_t *io_ptr);\n\n";
  return o.str();
}

template <class T, class F>
Result<std::string> list_init(const std::vector<T>& v, F element) {
  std::string s = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    INGOT_ASSIGN_OR_RETURN(const std::string e, element(v[i]));
    s += (i ? ", " : "") + e;
  }
  return s + "}";
}

// The static arrays and the struct instance of one custom layer.
Result<std::string> custom_instance(const Node& n, const CustomStruct& s, const Layer& layer) {
  std::ostringstream arrays, init;
  init << "  static custom_param_" << c_name(s.op) << " custom_param = {\n";
  for (const auto& f : s.fields) {
    const std::string what = "layer " + quote(n.name) + " parameter " + quote(f.name);
    const auto it = n.custom_params.find(f.name);
    const bool set = it != n.custom_params.end();
    if (f.optional) init << "    " << (set ? "true" : "false") << ",  // has_" << f.name << "\n";
    if (!set) {
      init << "    " << (is_list(f.type) || f.type == AttrType::string ? "nullptr" : "0")
           << ",  // " << f.name << " (unset)\n";
      if (is_list(f.type)) init << "    0,  // " << f.name << "_count\n";
      continue;
    }
    const AttrValue& v = it->second;
    std::string value;
    std::size_t count = 0;
    const std::string array = "param_" + f.name;
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
      if (f.type == AttrType::float_) {
        INGOT_ASSIGN_OR_RETURN(value, c_float(static_cast<double>(*i), what));
      } else {
        INGOT_ASSIGN_OR_RETURN(value, c_int(*i, what));
      }
    } else if (const auto* d = std::get_if<double>(&v)) {
      INGOT_ASSIGN_OR_RETURN(value, c_float(*d, what));
    } else if (const auto* b = std::get_if<bool>(&v)) {
      value = *b ? "true" : "false";
    } else if (const auto* str = std::get_if<std::string>(&v)) {
      value = c_string(*str);
    } else if (const auto* il = std::get_if<std::vector<std::int64_t>>(&v)) {
      count = il->size();
      if (f.type == AttrType::float_list) {
        INGOT_ASSIGN_OR_RETURN(const std::string body, list_init(*il, [&](std::int64_t x) {
                                 return c_float(static_cast<double>(x), what);
                               }));
        arrays << "  static const float " << array << "[] = " << body << ";\n";
      } else {
        INGOT_ASSIGN_OR_RETURN(const std::string body,
                               list_init(*il, [&](std::int64_t x) { return c_int(x, what); }));
        arrays << "  static const int32_t " << array << "[] = " << body << ";\n";
      }
    } else if (const auto* fl = std::get_if<std::vector<double>>(&v)) {
      count = fl->size();
      INGOT_ASSIGN_OR_RETURN(const std::string body,
                             list_init(*fl, [&](double x) { return c_float(x, what); }));
      arrays << "  static const float " << array << "[] = " << body << ";\n";
    } else if (const auto* sl = std::get_if<std::vector<std::string>>(&v)) {
      count = sl->size();
      std::string body = "{";
      for (std::size_t k = 0; k < sl->size(); ++k) body += (k ? ", " : "") + c_string((*sl)[k]);
      arrays << "  static const char* const " << array << "[] = " << body << "};\n";
    } else {
      return unsupported(what + " is a tensor");
    }
    if (is_list(f.type)) {
      // An empty list has no array to point at.
      if (count == 0) {
        init << "    nullptr,  // " << f.name << "\n    0,  // " << f.name << "_count\n";
      } else {
        init << "    " << array << ",  // " << f.name << "\n    " << count << ",  // " << f.name
             << "_count\n";
      }
    } else {
      init << "    " << value << ",  // " << f.name << "\n";
    }
  }
  if (s.inputs) {
    arrays << "  static const size_t input_offs[] = {";
    for (std::size_t k = 0; k < layer.input_offsets.size(); ++k) arrays << (k ? ", " : "") << layer.input_offsets[k];
    arrays << "};\n  static fpga_layer* const input_layers[] = {";
    for (std::size_t k = 0; k < layer.layer_in.size(); ++k) {
      arrays << (k ? ", " : "");
      if (layer.layer_in[k] < 0) {
        arrays << "nullptr";
      } else {
        arrays << "&layers_[" << layer.layer_in[k] << "]";
      }
    }
    arrays << "};\n";
    init << "    input_offs,\n    input_layers,\n    " << layer.layer_in.size() << ",  // input_count\n";
  }
  init << "  };\n";
  std::string text = arrays.str();
  // Empty arrays are ill-formed C++: drop their declarations.
  std::string cleaned;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("[] = {}") == std::string::npos) cleaned += line + "\n";
  }
  return cleaned + init.str();
}

const Node& node_at(const Network& net, int i) { return net.nodes[static_cast<std::size_t>(i)]; }

// -- the layer table comment of the header

std::string layer_table(const Network& net, std::size_t index, bool codebook8) {
  const Layer& l = net.layers[index];
  std::ostringstream o;
  o << "  /*!\n\n  Layer description\n\n"
    << "  | ID | Layers | Type | Dim In | Dim Out | Param | Mem |\n"
    << "  | :- | :- | :-: | :-: | :-: | :-: | :-: |\n";
  o << "  | " << index << " | FPGA-Layer | " << layer_type_name(l.type) << " | "
    << tuple(node_at(net, l.node_in).in_dim) << " | " << tuple(node_at(net, l.node_out).out_dim)
    << " | - | - |\n";
  for (std::size_t r = 0; r < l.runs.size(); ++r) {
    for (int n : {l.runs[r].conv, l.runs[r].pool}) {
      if (n < 0) continue;
      const Node& node = node_at(net, n);
      o << "  | " << index << "-" << r << " | " << node.name << " | " << node_kind_name(node.kind)
        << " | " << tuple(node.in_dim) << " | " << tuple(node.out_dim) << " | - | ";
      if (n == l.runs[r].conv) {
        o << conv_weight_size(node, codebook8);
      } else {
        o << "-";
      }
      o << " |\n";
    }
  }
  o << "\n  */\n  void Layer_" << index << "();\n";
  return o.str();
}

// -- one convolution command

struct RunFields {
  std::int64_t m = 0;
  int conv_enable = 0;
  std::uint32_t p = 1;
  int weight_fmt = 0;
  std::uint32_t conv_pad = 0, conv_stride = 0x101, conv_dilation = 0;
  int pool_enable = 0;
  std::uint32_t pool_size = 0, pool_stride = 0x101, pool_pad = 0, pool_avg_param = 0;
  int actfunc = 0;
  std::uint32_t actfunc_param = 0;
};

std::uint32_t pads_word(const Node& n) {
  return static_cast<std::uint32_t>(n.pad_l | (n.pad_r << 8) | (n.pad_t << 16) | (n.pad_b << 24));
}

std::uint32_t pair_word(std::int64_t x, std::int64_t y) {
  return static_cast<std::uint32_t>((x & 0xff) | ((y & 0xff) << 8));
}

RunFields run_fields(const Network& net, const Run& run, bool codebook8) {
  RunFields f;
  if (run.conv >= 0) {
    const Node& c = node_at(net, run.conv);
    f.p = static_cast<std::uint32_t>(c.kx | (c.ky != c.kx ? c.ky << 8 : 0));
    f.conv_enable = c.groups <= 1 ? 1 : 3;
    f.weight_fmt = codebook8 ? 3 : 1;
    f.conv_pad = pads_word(c);
    f.conv_stride = pair_word(c.stride_x, c.stride_y);
    // 0 selects the device's non-dilated mode.
    f.conv_dilation =
        c.dilation_x != 1 || c.dilation_y != 1 ? pair_word(c.dilation_x, c.dilation_y) : 0;
    if (c.actfunc >= 0) {
      f.actfunc = c.actfunc;
      f.actfunc_param = float_to_half(static_cast<float>(c.act_param));
    }
  }
  if (run.pool >= 0) {
    const Node& p = node_at(net, run.pool);
    f.pool_enable = 1;
    f.pool_size = pair_word(p.kx, p.ky);
    f.pool_stride = pair_word(p.stride_x, p.stride_y);
    f.pool_pad = p.kind == NodeKind::pooling ? pads_word(p) : 0;
    if ((p.kind == NodeKind::pooling && !p.max_pool) || p.kind == NodeKind::eltwise) {
      f.pool_enable = 2;
      const std::int64_t window = p.kind == NodeKind::eltwise ? 1 : p.kx * p.ky;
      f.pool_avg_param = float_to_half(static_cast<float>(1.0 / static_cast<double>(window)));
    }
    if (p.kind == NodeKind::upsampling) f.pool_enable = 4;
    if (p.kind == NodeKind::eltwise) f.pool_size = f.pool_stride = 0x101;
  }
  const int in = run.conv >= 0 ? run.conv : run.pool;
  const int out = run.pool >= 0 ? run.pool : run.conv;
  f.m = node_at(net, out).out_dim.back();
  // A pooling merged behind a concatenation pools this run's own channels.
  if (in != out && std::find(node_at(net, out).inputs.begin(), node_at(net, out).inputs.end(),
                             in) == node_at(net, out).inputs.end()) {
    f.m = node_at(net, in).out_dim.back();
  }
  return f;
}

void layer_fields(std::ostringstream& o, const Network& net, const Layer& l, std::size_t index,
                  int& output_index) {
  const Node& in = node_at(net, l.node_in);
  const Node& out = node_at(net, l.node_out);
  o << "  fpga_layer& layer = get_layer(" << index << ");\n";
  o << "  layer.name = " << c_string(out.name) << ";\n";
  o << "  layer.type = " << layer_type_code(l.type) << ";\n";
  o << "  layer.input_offs = " << (l.input_offsets.empty() ? 0 : l.input_offsets[0]) << ";\n";
  o << "  layer.output_offs = " << l.output_offset << ";\n";
  o << "  layer.output_size = " << out.output_size << ";\n";
  for (std::size_t d = 0; d < in.in_dim.size(); ++d)
    o << "  layer.input_dim[" << d << "] = " << in.in_dim[d] << ";\n";
  o << "  layer.input_dim_size = " << in.in_dim.size() << ";\n";
  std::int64_t elements = 1;
  for (std::size_t d = 0; d < out.out_dim.size(); ++d) {
    o << "  layer.output_dim[" << d << "] = " << out.out_dim[d] << ";\n";
    elements *= out.out_dim[d];
  }
  o << "  layer.output_dim_size = " << out.out_dim.size() << ";\n";
  o << "  layer.is_output = " << (l.is_output ? "true" : "false") << ";\n";
  o << "  layer.is_f32_output = " << (out.output_size == 4 * elements ? "true" : "false") << ";\n";
  o << "  layer.is_input_hw_layout = " << (l.input_from_conv ? "true" : "false")
    << ";  // input in the device's layout\n";
  if (l.type == LayerType::softmax) {
    for (int n : l.nodes) {
      if (node_at(net, n).kind == NodeKind::softmax)
        o << "  layer.softmax_axis = " << node_at(net, n).softmax_axis << ";\n";
    }
  }
  if (l.type == LayerType::custom) {
    o << "  layer.custom_proc_ptr = &custom_callback_" << c_name(in.custom_op) << ";\n";
    o << "  layer.custom_param = &custom_param;\n";
  }
  if (l.type == LayerType::copy_concatenate) {
    o << "  layer.input_layer_num = " << l.layer_in.size() << ";\n";
    o << "  layer.input_layers = input_layers;\n";
  }
  if (l.is_output) o << "  output_layers_[" << output_index++ << "] = &layer;\n";
}

void conv_layer(std::ostringstream& o, const Network& net, const Layer& l, std::size_t index,
                std::int64_t& weight_offset, bool codebook8) {
  const Node& in = node_at(net, l.node_in);
  o << "  dmp_dv_cmdraw_conv_v1& conf_v1 = get_layer(" << index << ").conv_conf_v1;\n"
    << "  conf_v1.header.size = sizeof(conf_v1);\n"
    << "  conf_v1.header.device_type = DMP_DV_DEV_CONV;\n"
    << "  conf_v1.header.version = 1;\n"
    << "  dmp_dv_cmdraw_conv_v0& conf = conf_v1.conv_cmd;\n"
    << "  conf.header.size = sizeof(conf);\n"
    << "  conf.header.device_type = DMP_DV_DEV_CONV;\n"
    << "  conf.header.version = 0;\n";
  o << "  conf.topo = " << hex(l.topo)
    << ";  // bit i: run i writes to external memory (else the unified buffer)\n";
  if (l.tiles > 1)
    o << "  // the largest run needs " << l.tiles << " tiles of the 640 KB unified buffer\n";
  o << "  conf.w = " << in.in_dim[0] << ";  // input width\n"
    << "  conf.h = " << in.in_dim[1] << ";  // input height\n"
    << "  conf.z = 1;  // input depth\n"
    << "  conf.c = " << in.in_dim[2] << ";  // input channels\n"
    << "  conf.input_buf.mem = io_mem_;\n"
    << "  conf.input_buf.offs = " << (l.input_offsets.empty() ? 0 : l.input_offsets[0]) << ";\n"
    << "  conf.output_buf.mem = io_mem_;\n"
    << "  conf.output_buf.offs = " << l.output_offset << ";\n";
  const bool eltwise =
      l.runs[0].pool >= 0 && node_at(net, l.runs[0].pool).kind == NodeKind::eltwise;
  if (eltwise) {
    o << "  conf.eltwise_buf.mem = io_mem_;\n"
      << "  conf.eltwise_buf.offs = " << l.input_offsets.at(1) << ";  // the second addend\n"
      << "  conf.output_mode = 1;  // element-wise add\n";
  } else {
    o << "  conf.eltwise_buf.mem = NULL;\n"
      << "  conf.eltwise_buf.offs = 0;\n"
      << "  conf.output_mode = 0;  // concatenate\n";
  }
  for (std::size_t r = 0; r < l.runs.size(); ++r) {
    const RunFields f = run_fields(net, l.runs[r], codebook8);
    const std::string run = "  conf.run[" + std::to_string(r) + "].";
    o << "  // run " << r << ":";
    for (int n : {l.runs[r].conv, l.runs[r].pool}) {
      if (n < 0) continue;
      o << " " << node_at(net, n).name;
      for (const auto& folded : node_at(net, n).folded) o << " + " << folded;
    }
    o << "\n";
    o << run << "m = " << f.m << ";  // output channels\n"
      << run << "conv_enable = " << f.conv_enable
      << ";  // 1: convolution, 3: depthwise/grouped, 0: none\n"
      << run << "p = " << hex(f.p)
      << ";  // kernel width | height << 8 (height only when it differs)\n"
      << run << "pz = 1;  // kernel depth\n"
      << run << "weight_buf.mem = weights_mem_;\n"
      << run << "weight_buf.offs = " << weight_offset << ";\n"
      << run << "weight_fmt = " << f.weight_fmt
      << ";  // 1: fp16 compact stream, 3: 8-bit codebook stream\n"
      << run << "conv_pad = " << hex(f.conv_pad)
      << ";  // left | right << 8 | top << 16 | bottom << 24\n"
      << run << "conv_stride = " << hex(f.conv_stride) << ";  // x | y << 8\n"
      << run << "conv_dilation = " << hex(f.conv_dilation) << ";  // x | y << 8; 0: not dilated\n"
      << run << "pool_enable = " << f.pool_enable
      << ";  // 0: none, 1: max, 2: average (and add), 4: upsampling\n"
      << run << "pool_size = " << hex(f.pool_size) << ";  // width | height << 8\n"
      << run << "pool_stride = " << hex(f.pool_stride) << ";  // x | y << 8\n"
      << run << "pool_pad = " << hex(f.pool_pad)
      << ";  // left | right << 8 | top << 16 | bottom << 24\n"
      << run << "pool_avg_param = " << hex(f.pool_avg_param)
      << ";  // fp16 1 / window for average pooling\n"
      << run << "actfunc = " << f.actfunc
      << ";  // 0: none, 1: tanh, 2: leaky ReLU (ReLU: slope 0), 3: sigmoid, 4: PReLU, 5: ELU, 6: "
         "ReLU6\n"
      << run << "actfunc_param = " << hex(f.actfunc_param) << ";  // fp16 leaky ReLU slope\n"
      << run << "rectifi_en = 0;\n";
    if (l.runs[r].conv >= 0)
      weight_offset += conv_weight_size(node_at(net, l.runs[r].conv), codebook8);
  }
}

}  // namespace

Result<SdkFiles> emit_sdk(const Network& net, const std::string& name, bool codebook8,
                          const OpRegistry& registry) {
  if (!is_identifier(name))
    return usage_error("network name " + quote(name) +
                       " must be a C identifier (it names the class C" + name + ")");
  INGOT_ASSIGN_OR_RETURN(const auto structs, custom_structs(net, registry));
  SdkFiles files;
  std::ostringstream h;
  h << "// DV700 network " << name
    << " for DMP's dv-sdk, written by ingot (`ingot compile --emit dv-sdk`).\n"
    << "// Weights: " << name << "_weights.bin (" << (codebook8 ? "8-bit codebook" : "fp16") << ", "
    << net.weight_size << " bytes); I/O buffer: " << net.buffer_size << " bytes.\n"
    << "#pragma once\n\n#include \"dmp_network.h\"\n\n";
  for (const auto& [_, s] : structs) h << custom_struct_text(s);
  h << "class C" << name << " : public CDMP_Network {\n private:\n";
  for (std::size_t i = 0; i < net.layers.size(); ++i) h << layer_table(net, i, codebook8);
  h << "\n public:\n  virtual bool Initialize();\n  C" << name << "();\n  virtual ~C" << name
    << "();\n};\n";
  files.header = h.str();

  std::ostringstream s;
  s << "// DV700 network " << name << " for DMP's dv-sdk, written by ingot.\n\n#include \"" << name
    << "_gen.h\"\n\n";
  s << "C" << name << "::C" << name << "() {}\n\nC" << name << "::~C" << name << "() {}\n\n";
  s << "bool C" << name << "::Initialize() {\n"
    << "  if (!ReserveMemory(" << net.weight_size << ", " << net.buffer_size
    << ")) {\n    return false;\n  }\n\n"
    << "  set_num_layers(" << net.layers.size() << ");\n"
    << "  set_num_output_layers(" << net.output_layers.size() << ");\n\n";
  for (std::size_t i = 0; i < net.layers.size(); ++i) s << "  Layer_" << i << "();\n";
  s << "\n  return true;\n}\n\n";
  std::int64_t weight_offset = 0;
  int output_index = 0;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    s << "// Layer_" << i << ": " << layer_type_name(l.type);
    for (int n : l.nodes) s << (n == l.nodes.front() ? " <- " : ", ") << node_at(net, n).name;
    s << "\nvoid C" << name << "::Layer_" << i << "() {\n";
    if (l.type == LayerType::custom) {
      const Node& c = node_at(net, l.node_in);
      INGOT_ASSIGN_OR_RETURN_CTX(const std::string inst,
                                 custom_instance(c, structs.at(c.custom_op), l),
                                 "custom layer " + quote(c.name));
      s << inst << "\n";
    }
    if (l.type == LayerType::copy_concatenate) {
      s << "  static fpga_layer* input_layers[] = {";
      for (int in : l.layer_in) {
        if (in < 0)
          return unsupported("concatenation " + quote(node_at(net, l.node_in).name) +
                             " of the network input");
        s << "&layers_[" << in << "], ";
      }
      s << "};\n\n";
    }
    if (l.type == LayerType::convolution) {
      conv_layer(s, net, l, i, weight_offset, codebook8);
      s << "\n";
    }
    layer_fields(s, net, l, i, output_index);
    s << "}\n\n";
  }
  files.source = s.str();
  return files;
}

Status write_sdk(const std::string& dir, const std::string& name, const SdkFiles& files,
                 const Network& net, bool codebook8, int threads) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("cannot create output folder " + quote(dir) + ": " + ec.message());
  const std::filesystem::path base(dir);
  const auto text = [](const std::string& t) {
    return std::as_bytes(std::span(t.data(), t.size()));
  };
  // The weights go first and as they are packed: a packing failure leaves no file.
  INGOT_ASSIGN_OR_RETURN(AtomicFile weights,
                         AtomicFile::create((base / (name + "_weights.bin")).string()));
  INGOT_TRY(pack_weights(net, codebook8, threads,
                         [&](std::size_t offset, std::span<const std::uint8_t> bytes) {
                           return weights.write_at(offset, std::as_bytes(bytes));
                         }));
  INGOT_TRY(weights.commit());
  INGOT_TRY(write_file_atomic((base / (name + "_gen.h")).string(), text(files.header)));
  INGOT_TRY(write_file_atomic((base / (name + "_gen.cpp")).string(), text(files.source)));
  return {};
}

std::string describe_network(const Network& net, const std::string& name, bool codebook8) {
  std::ostringstream o;
  std::size_t device = 0;
  for (const Layer& l : net.layers) device += l.type == LayerType::convolution ? 1 : 0;
  o << "dv-sdk network C" << name << ": " << net.layers.size() << " layers (" << device
    << " device, " << net.layers.size() - device << " host), weights " << net.weight_size
    << " bytes (" << (codebook8 ? "8-bit codebook" : "fp16") << "), I/O buffer " << net.buffer_size
    << " bytes\n";
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const Node& out = node_at(net, l.node_out);
    o << "  layer " << i << "  " << (l.type == LayerType::convolution ? "device" : "host  ") << "  "
      << layer_type_name(l.type) << "  " << tuple(node_at(net, l.node_in).in_dim) << " -> "
      << tuple(out.out_dim) << "  out @" << l.output_offset << " (" << out.output_size << " B)";
    if (l.type == LayerType::convolution)
      o << "  runs " << l.runs.size() << "  tiles " << l.tiles << "  topo " << hex(l.topo);
    if (l.is_output) o << "  [output]";
    o << "\n";
    for (std::size_t r = 0; r < l.runs.size(); ++r) {
      o << "      run " << r << ":";
      for (int n : {l.runs[r].conv, l.runs[r].pool}) {
        if (n < 0) continue;
        const Node& node = node_at(net, n);
        o << " " << node.name << " (" << node_kind_name(node.kind);
        if (n == l.runs[r].conv) o << ", " << conv_weight_size(node, codebook8) << " B weights";
        o << ")";
        for (const auto& folded : node.folded) o << " + " << folded;
      }
      o << "\n";
    }
  }
  return o.str();
}

}  // namespace ingot::dv700
