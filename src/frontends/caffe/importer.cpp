#include "frontends/caffe/importer.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "frontends/caffe/custom_layers.h"
#include "frontends/caffe/layer_context.h"
#include "frontends/caffe/net.h"
#include "frontends/caffe/proto_io.h"

namespace ingot::caffe_import {
namespace {

namespace pb = google::protobuf;
using import::ImportReport;
using import::LayerReport;
using import::Severity;

// Layers that read a dataset: a deploy net replaces them with inputs.
bool is_data_layer(const std::string& type) {
  static const std::set<std::string> data{"Data",      "ImageData",    "HDF5Data",  "MemoryData",
                                          "WindowData", "DummyData",   "AnnotatedData", "VideoData"};
  return data.count(type) > 0;
}

// Layers that only matter for training or evaluation: dropped with a note.
bool is_training_layer(const std::string& type) {
  return type == "Accuracy" || type == "HDF5Output" || type == "DetectionEvaluate" ||
         (type.size() > 4 && type.compare(type.size() - 4, 4, "Loss") == 0);
}

std::string filename(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// ---- the per-layer report: parameters with their origin, read by reflection ----------------

// The double nearest to a float's shortest decimal form: 0.1f reads back as 0.1, not
// 0.10000000149011612, in reports and attributes.
double widen(float f) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, f);
  return std::strtod(std::string(buf, r.ptr).c_str(), nullptr);
}

std::optional<AttrValue> field_value(const pb::Message& m, const pb::FieldDescriptor* f) {
  const pb::Reflection* r = m.GetReflection();
  using FD = pb::FieldDescriptor;
  if (f->is_repeated()) {
    const int n = r->FieldSize(m, f);
    switch (f->cpp_type()) {
      case FD::CPPTYPE_INT32: { std::vector<std::int64_t> v; for (int i = 0; i < n; ++i) v.push_back(r->GetRepeatedInt32(m, f, i)); return v; }
      case FD::CPPTYPE_INT64: { std::vector<std::int64_t> v; for (int i = 0; i < n; ++i) v.push_back(r->GetRepeatedInt64(m, f, i)); return v; }
      case FD::CPPTYPE_UINT32: { std::vector<std::int64_t> v; for (int i = 0; i < n; ++i) v.push_back(r->GetRepeatedUInt32(m, f, i)); return v; }
      case FD::CPPTYPE_FLOAT: { std::vector<double> v; for (int i = 0; i < n; ++i) v.push_back(widen(r->GetRepeatedFloat(m, f, i))); return v; }
      case FD::CPPTYPE_DOUBLE: { std::vector<double> v; for (int i = 0; i < n; ++i) v.push_back(r->GetRepeatedDouble(m, f, i)); return v; }
      case FD::CPPTYPE_STRING: { std::vector<std::string> v; for (int i = 0; i < n; ++i) v.push_back(r->GetRepeatedString(m, f, i)); return v; }
      case FD::CPPTYPE_ENUM: { std::vector<std::string> v; for (int i = 0; i < n; ++i) v.push_back(r->GetRepeatedEnum(m, f, i)->name()); return v; }
      default: return std::nullopt;
    }
  }
  switch (f->cpp_type()) {
    case FD::CPPTYPE_INT32: return std::int64_t{r->GetInt32(m, f)};
    case FD::CPPTYPE_INT64: return std::int64_t{r->GetInt64(m, f)};
    case FD::CPPTYPE_UINT32: return std::int64_t{r->GetUInt32(m, f)};
    case FD::CPPTYPE_UINT64: return static_cast<std::int64_t>(r->GetUInt64(m, f));
    case FD::CPPTYPE_FLOAT: return widen(r->GetFloat(m, f));
    case FD::CPPTYPE_DOUBLE: return r->GetDouble(m, f);
    case FD::CPPTYPE_BOOL: return r->GetBool(m, f);
    case FD::CPPTYPE_STRING: return r->GetString(m, f);
    case FD::CPPTYPE_ENUM: return r->GetEnum(m, f)->name();
    default: return std::nullopt;
  }
}

// Fields that only matter for training or for choosing an implementation: listed as having
// no effect on inference.
bool is_no_effect_field(const pb::FieldDescriptor* f) {
  return (f->message_type() != nullptr && f->message_type()->name() == "FillerParameter") || f->name() == "engine" ||
         f->name() == "force_nd_im2col" || f->name() == "moving_average_fraction" || f->name() == "stable_prod_grad";
}

void add_param_values(const pb::Message& m, const std::string& prefix, LayerReport& r) {
  const pb::Descriptor* d = m.GetDescriptor();
  const pb::Reflection* refl = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    const bool set = f->is_repeated() ? refl->FieldSize(m, f) > 0 : refl->HasField(m, f);
    const std::string key = prefix + f->name();
    if (set) r.saved_keys.push_back(key);
    if (is_no_effect_field(f)) {
      if (set) r.keys.no_effect.push_back(key);
      continue;
    }
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (set && !f->is_repeated()) add_param_values(refl->GetMessage(m, f), key + ".", r);
      continue;
    }
    if (!set && f->is_repeated()) continue;  // an empty list has no default worth listing
    if (auto v = field_value(m, f)) (set ? r.keys.found : r.keys.defaulted).emplace_back(key, import::attr_to_json(*v));
  }
}

LayerReport review(const caffe::LayerParameter& layer) {
  LayerReport r;
  r.name = layer.name();
  r.class_name = layer.type();
  r.keys.reviewed = true;  // every field is typed by caffe.proto: unknown ones are the parser's warnings
  const pb::Descriptor* d = layer.GetDescriptor();
  const pb::Reflection* refl = layer.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) continue;
    const std::string& n = f->name();
    if (n.size() < 6 || n.compare(n.size() - 6, 6, "_param") != 0 || !refl->HasField(layer, f)) continue;
    if (n == "transform_param" || n == "loss_param") continue;  // data / training only
    add_param_values(refl->GetMessage(layer, f), n + ".", r);
  }
  return r;
}

// ---- building ------------------------------------------------------------------------------

struct Builder {
  const std::string& path;
  const ImportOptions& options;
  const Net& net;
  const BlobsByLayer& blobs;
  ImportReport& report;
  ir::GraphBuilder graph;
  std::map<const NetLayer*, std::pair<AttrMap, bool>> registered;  // user (false) or opaque (true) op layers
  std::map<std::string, std::string> value_of_blob;  // Caffe blob name -> current IR value
  std::vector<std::string> unread;                   // blobs produced and not yet read, in order

  Builder(const std::string& path, const ImportOptions& options, const Net& net, const BlobsByLayer& blobs,
          ImportReport& report, const OpRegistry& registry)
      : path(path), options(options), net(net), blobs(blobs), report(report), graph(registry) {}

  void produce(const std::string& blob, const std::string& value) {
    value_of_blob[blob] = value;
    unread.erase(std::remove(unread.begin(), unread.end(), blob), unread.end());
    unread.push_back(blob);
  }
  void consume(const std::string& blob) { unread.erase(std::remove(unread.begin(), unread.end(), blob), unread.end()); }

  Status add_inputs() {
    std::vector<NetInput> inputs = net.inputs;
    for (const NetLayer& l : net.layers) {
      if (l.param.type() != "Input") continue;
      const auto& shapes = l.param.input_param().shape();
      if (shapes.size() != l.param.top_size() && shapes.size() != 1) {
        return bad_input("import layer " + quote(l.param.name()) + " (Input): 'input_param' must give one shape, or one per top (" +
                         std::to_string(l.param.top_size()) + "), got " + std::to_string(shapes.size()));
      }
      for (int t = 0; t < l.param.top_size(); ++t) {
        const caffe::BlobShape& s = shapes.size() == 1 ? shapes[0] : shapes[t];
        Shape shape(std::vector<std::int64_t>(s.dim().begin(), s.dim().end()));
        inputs.push_back({l.param.top(t), shape});
      }
    }
    if (inputs.empty()) {
      return bad_input("import Caffe net " + quote(path) + ": it declares no input (an Input layer, or the net-level "
                       "`input` with `input_shape` / `input_dim`)");
    }
    if (!options.input_shapes.empty() && options.input_shapes.size() != inputs.size()) {
      return usage_error("option --input-shape: the net has " + std::to_string(inputs.size()) + " inputs, got " +
                         std::to_string(options.input_shapes.size()) + " shapes");
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Shape& shape = options.input_shapes.empty() ? inputs[i].shape : options.input_shapes[i];
      for (std::int64_t d : shape.dims()) {
        if (d < 1) return bad_input("import input " + quote(inputs[i].name) + ": every dim must be >= 1, got " + shape.to_string());
      }
      INGOT_ASSIGN_OR_RETURN(std::string v, graph.input(inputs[i].name, shape));
      produce(inputs[i].name, v);
    }
    return {};
  }

  Result<std::vector<Tensor>> layer_blobs(const caffe::LayerParameter& layer) const {
    std::vector<Tensor> out;
    auto it = blobs.find(layer.name());
    if (it == blobs.end()) return out;
    for (std::size_t i = 0; i < it->second.size(); ++i) {
      INGOT_ASSIGN_OR_RETURN_CTX(Tensor t, blob_to_tensor(*it->second[i]),
                                 "import layer " + quote(layer.name()) + " (" + layer.type() + "), blob " +
                                     std::to_string(i) + " of " + quote(options.weights_path));
      out.push_back(std::move(t));
    }
    return out;
  }

  Status missing_bottom(const caffe::LayerParameter& layer, const std::string& blob) const {
    std::string msg = "import layer " + quote(layer.name()) + " (" + layer.type() + "): bottom " + quote(blob) + " ";
    bool seen_self = false;
    for (const NetLayer& l : net.layers) {
      if (&l.param == &layer) seen_self = true;
      if (!seen_self) continue;
      for (const auto& t : l.param.top()) {
        if (t == blob) {
          return bad_input(msg + "is only produced by layer " + quote(l.param.name()) + (&l.param == &layer ? " itself" : ", which comes later") +
                           ": Caffe runs layers in file order, so the net has a cycle or is out of order");
        }
      }
    }
    return bad_input(msg + "is not produced by any layer or input");
  }

  Status import_layer(const NetLayer& nl, LayerReport& r) {
    const caffe::LayerParameter& layer = nl.param;
    const std::string& type = layer.type();
    if (type == "Input") return {};
    if (type == "Silence") {
      for (const auto& b : layer.bottom()) consume(b);
      r.diagnostics.push_back({Severity::note, "", "Silence only hides its bottoms from the outputs: no node"});
      return {};
    }
    if (is_training_layer(type)) {
      for (const auto& b : layer.bottom()) consume(b);
      r.diagnostics.push_back({Severity::note, "", "a training / evaluation layer: dropped"});
      return {};
    }
    if (is_data_layer(type)) {
      return unsupported("import layer " + quote(layer.name()) + " (" + type + "): a data layer reads a dataset; convert a " +
                         "deploy prototxt, whose inputs are Input layers or `input` / `input_shape` fields");
    }
    ImportFn fn = find_import_fn(type);
    auto custom = registered.find(&nl);
    if (fn == nullptr && custom == registered.end()) {
      return internal_error("import layer " + quote(layer.name()) + ": type " + quote(type) + " was not reviewed");
    }
    std::vector<std::string> inputs;
    for (int i = 0; i < layer.bottom_size(); ++i) {
      auto it = value_of_blob.find(layer.bottom(i));
      if (it == value_of_blob.end()) return missing_bottom(layer, layer.bottom(i));
      inputs.push_back(it->second);
    }
    INGOT_ASSIGN_OR_RETURN(std::vector<Tensor> layer_blobs_, layer_blobs(layer));
    for (std::size_t i = 0; i < layer_blobs_.size(); ++i) {
      r.weights.push_back("blob" + std::to_string(i) + " " + layer_blobs_[i].shape().to_string());
    }
    const bool no_blobs = layer_blobs_.empty();
    LayerContext ctx(layer, inputs, std::move(layer_blobs_), graph, r);
    auto tops = fn != nullptr ? fn(ctx) : import_registered_op(ctx, custom->second.first, custom->second.second);
    if (!tops.ok()) {
      Status st = std::move(tops).status();
      if (no_blobs && options.weights_path.empty() && st.message().find("blob") != std::string::npos) {
        return Status(st.kind(), st.message() + " (no caffemodel was given: pass --weights MODEL.caffemodel)");
      }
      if (no_blobs && !options.weights_path.empty() && st.message().find("blob") != std::string::npos) {
        return Status(st.kind(), st.message() + " (" + quote(options.weights_path) + " has no layer named " + quote(layer.name()) + ")");
      }
      return st;
    }
    if (tops->size() != static_cast<std::size_t>(layer.top_size())) {
      return internal_error("import layer " + quote(layer.name()) + ": " + std::to_string(tops->size()) + " values for " +
                            std::to_string(layer.top_size()) + " tops");
    }
    for (const auto& b : layer.bottom()) consume(b);
    for (int t = 0; t < layer.top_size(); ++t) produce(layer.top(t), (*tops)[static_cast<std::size_t>(t)]);
    return {};
  }
};

// Unknown-field warnings of the text parser go to the layer whose text holds them.
void attach_warnings(const ParsedPrototxt& parsed, const Net& net, ImportReport& report) {
  for (const TextWarning& w : parsed.warnings) {
    const NetLayer* owner = nullptr;
    for (const NetLayer& l : net.layers) {
      if (l.line <= w.line && (owner == nullptr || l.line >= owner->line)) owner = &l;
    }
    std::string message = w.message;
    if (!message.empty() && message.back() == '.') message.pop_back();
    const std::string text = "prototxt line " + std::to_string(w.line) + ", column " + std::to_string(w.column) + ": " +
                             message + "; ingot does not know this field and ignores it";
    LayerReport* r = owner != nullptr ? report.find(owner->param.name()) : nullptr;
    // A user or opaque op's own parameter block is read from the text (custom_layers.h).
    const bool consumed = r != nullptr && (r->kind == import::LayerKind::custom || r->kind == import::LayerKind::opaque) &&
                          message.find("\"caffe.LayerParameter\"") != std::string::npos;
    if (consumed) continue;
    if (r == nullptr) {
      if (report.layers.empty() || report.layers.front().class_name != "NetParameter") {
        LayerReport net_report;
        net_report.name = net.name.empty() ? std::string("(net)") : net.name;
        net_report.class_name = "NetParameter";
        report.layers.insert(report.layers.begin(), std::move(net_report));
      }
      r = &report.layers.front();
    }
    r->diagnostics.push_back({Severity::warning, "", text});
  }
}

}  // namespace

bool looks_like_prototxt(const std::string& path) {
  auto parsed = read_prototxt(path);
  return parsed.ok() && (parsed->net.layer_size() > 0 || parsed->net.layers_size() > 0);
}

namespace {

// The text-format entry of `l` among the file's top-level `layer` / `layers` fields.
const TextField* layer_field(const std::vector<TextField>& top, const Net& net, const NetLayer& l) {
  const char* key = net.legacy_v1 ? "layers" : "layer";
  int seen = 0;
  for (const TextField& f : top) {
    if (f.key == key && seen++ == l.index) return &f;
  }
  return nullptr;
}

// A registered op's parameters: the prototxt block's values, under the parameter file's, checked
// against the op's schema (prototxt ints widen where it wants floats: "scale: 2").
AttrMap resolve_registered_params(const OpSchema& schema, const std::string& layer, const std::string& type, const AttrMap& block,
                                  const import::ParamFile* file, LayerReport& r) {
  nlohmann::json saved = nlohmann::json::object();
  for (const auto& [key, value] : block) saved[key] = import::attr_to_json(value);
  import::ResolveRules rules;
  rules.unknown_saved_key_is_error = true;
  import::resolve_params(schema, layer, type, saved, file, rules, r);
  return import::resolved_attrs(r);
}

// One error for every layer whose parameters failed the op's schema, each with its reasons.
Status registered_param_errors(const std::string& prototxt, const ImportReport& report) {
  std::string details;
  std::size_t count = 0;
  for (const LayerReport& l : report.layers) {
    if (l.kind != import::LayerKind::custom || !l.has_errors()) continue;
    ++count;
    details += (details.empty() ? " " : "; ") + quote(l.name) + " (" + l.class_name + "): ";
    std::string reasons;
    for (const import::Diagnostic& d : l.diagnostics) {
      if (d.severity == Severity::error) reasons += (reasons.empty() ? "" : ", ") + d.message;
    }
    details += reasons;
  }
  if (count == 0) return {};
  return bad_input("import Caffe net " + quote(prototxt) + ": " + std::to_string(count) + (count == 1 ? " layer's" : " layers'") +
                   " parameters do not fit the op (`ingot check` prints the full report):" + details);
}

}  // namespace

Result<ir::Graph> import_caffe(const std::string& prototxt, const ImportOptions& options, OpRegistry& registry,
                               import::ImportReport* report_out) {
  ImportReport local;
  ImportReport& report = report_out != nullptr ? *report_out : local;
  report.file = prototxt;
  INGOT_ASSIGN_OR_RETURN(ParsedPrototxt parsed, read_prototxt(prototxt));
  INGOT_ASSIGN_OR_RETURN(Net net, normalize_net(parsed, prototxt));

  // Review every layer first, so one error lists every layer of an unknown type.
  std::vector<std::string> unknown;
  std::set<std::string> names;
  std::vector<TextField> text_tree;  // parsed only when a layer type needs it
  std::map<const NetLayer*, std::pair<AttrMap, bool>> registered;
  std::set<std::string> opaque_types;
  for (const NetLayer& l : net.layers) {
    LayerReport r = review(l.param);
    const std::string& type = l.param.type();
    const bool builtin = type == "Input" || type == "Silence" || is_training_layer(type) || is_data_layer(type) ||
                         find_import_fn(type) != nullptr;
    if (!builtin && (registry.find(type) != nullptr || options.keep_unknown)) {
      if (text_tree.empty()) {
        INGOT_ASSIGN_OR_RETURN(text_tree, parse_text_fields(parsed.text, prototxt));
      }
      const TextField* field = layer_field(text_tree, net, l);
      if (field == nullptr) return internal_error("import layer " + quote(l.param.name()) + ": its text was not found");
      INGOT_ASSIGN_OR_RETURN(AttrMap attrs, unknown_block_attrs(*field, l.param.name()));
      const bool opaque = registry.find(type) == nullptr || opaque_types.count(type) > 0;
      if (opaque) {
        if (opaque_types.insert(type).second) INGOT_TRY(registry.add(import::opaque_op(type, "Caffe layer type")));
        r.kind = import::LayerKind::opaque;
        r.diagnostics.push_back({Severity::warning, "type", "type " + quote(type) + " is unknown: carried as opaque op " + quote(type) +
                                 " with its parameters and blobs as attributes; ingot assumes it keeps its first bottom's "
                                 "shape, and it runs only once a kernel is registered for it (--plugin)"});
      } else {
        r.kind = import::LayerKind::custom;
        attrs = resolve_registered_params(registry.find(type)->schema, l.param.name(), type, attrs, options.params, r);
      }
      r.op = type;
      registered[&l] = {std::move(attrs), opaque};
    }
    if (!names.insert(l.param.name()).second) {
      r.diagnostics.push_back({Severity::warning, "name", "another layer has the same name; weights go to the first, "
                                                         "and this node is renamed"});
    }
    if (!builtin && !registered.count(&l)) {
      r.kind = import::LayerKind::unknown;
      r.diagnostics.push_back({Severity::error, "type", "ingot does not know layer type " + quote(type) +
                                                          ": register an op of that name (--plugin), or carry it as an opaque op with --keep-unknown"});
      unknown.push_back(quote(l.param.name()) + " (" + type + ", line " + std::to_string(l.line) + ")");
    }
    report.layers.push_back(std::move(r));
  }
  for (const NetLayer& l : net.dropped) {
    LayerReport r = review(l.param);
    r.diagnostics.push_back({Severity::note, "include", "not part of the TEST phase (include / exclude rules): dropped"});
    report.layers.push_back(std::move(r));
  }
  attach_warnings(parsed, net, report);
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list.append(list.empty() ? "" : ", ").append(u);
    std::string known;
    for (const auto& k : known_types()) known.append(known.empty() ? "" : ", ").append(k);
    return unsupported("import Caffe net " + quote(prototxt) + ": " + std::to_string(unknown.size()) + " layer" +
                       (unknown.size() == 1 ? " has a type" : "s have types") + " ingot does not know: " + list +
                       ". Known types: " + known + ", Input, Silence, and data / loss / accuracy layers (dropped)");
  }
  INGOT_TRY(registered_param_errors(prototxt, report));
  if (options.params != nullptr) INGOT_TRY(import::check_param_file_layers(*options.params, report));

  caffe::NetParameter weights;
  if (!options.weights_path.empty()) {
    INGOT_ASSIGN_OR_RETURN(weights, read_caffemodel(options.weights_path));
  }
  const BlobsByLayer blobs = blobs_by_layer(weights);

  Builder b(prototxt, options, net, blobs, report, registry);
  b.registered = std::move(registered);
  INGOT_TRY(b.add_inputs());
  for (const NetLayer& l : net.layers) {
    LayerReport* r = nullptr;
    for (LayerReport& candidate : report.layers) {
      if (candidate.name == l.param.name() && candidate.class_name == l.param.type()) {
        r = &candidate;
        break;
      }
    }
    INGOT_TRY(b.import_layer(l, *r));
  }
  if (b.unread.empty()) return bad_input("import Caffe net " + quote(prototxt) + ": it has no output (every blob is read by a later layer)");
  for (const auto& blob : b.unread) b.graph.output(b.value_of_blob.at(blob));
  ir::Graph g = b.graph.release();
  g.metadata["source.format"] = std::string("caffe");
  g.metadata["source.file"] = filename(prototxt);
  if (!options.weights_path.empty()) g.metadata["source.weights"] = filename(options.weights_path);
  if (!net.name.empty()) g.metadata["source.net_name"] = net.name;
  if (net.legacy_v1) g.metadata["source.caffe_format"] = std::string("V1 (legacy `layers`)");
  import::record_param_origins(report, g);
  return g;
}

}  // namespace ingot::caffe_import
