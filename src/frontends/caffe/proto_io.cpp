#include "frontends/caffe/proto_io.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include <fstream>
#include <limits>
#include <sstream>

namespace ingot::caffe_import {
namespace {

namespace pb = google::protobuf;

// A caffemodel larger than this is not a model we can hold: protobuf's own limit is 2 GiB.
constexpr std::size_t kMaxModelBytes = std::size_t{2047} << 20;

class Collector : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (first_error.empty()) {
      first_error = "line " + std::to_string(line + 1) + ", column " + std::to_string(column + 1) + ": " + message;
    }
  }
  void AddWarning(int line, pb::io::ColumnNumber column, const std::string& message) override {
    warnings.push_back({line + 1, column + 1, message});
  }
  std::string first_error;
  std::vector<TextWarning> warnings;
};

Result<std::string> read_whole(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return io_error("open file " + quote(path) + ": cannot read it");
  const std::streamoff size = in.tellg();
  if (size < 0) return io_error("read file " + quote(path) + ": cannot tell its size");
  if (static_cast<std::size_t>(size) > max_bytes) {
    return bad_input("read file " + quote(path) + ": it must be at most " + std::to_string(max_bytes >> 20) +
                     " MiB, got " + std::to_string(size) + " bytes");
  }
  std::string data(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(data.data(), size)) return io_error("read file " + quote(path) + ": short read");
  return data;
}

std::vector<int> entry_lines(const pb::TextFormat::ParseInfoTree& tree, const pb::FieldDescriptor* field, int count) {
  std::vector<int> lines;
  for (int i = 0; i < count; ++i) lines.push_back(tree.GetLocation(field, i).line + 1);
  return lines;
}

}  // namespace

Result<ParsedPrototxt> read_prototxt(const std::string& path) {
  // A network description is text of at most a few MiB; 64 MiB leaves room for generated nets.
  INGOT_ASSIGN_OR_RETURN(std::string text, read_whole(path, std::size_t{64} << 20));
  ParsedPrototxt parsed;
  Collector collector;
  pb::TextFormat::ParseInfoTree tree;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.AllowUnknownField(true);  // other forks' fields: warnings (see AddWarning), not failures
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(text, &parsed.net)) {
    return bad_input("parse Caffe prototxt " + quote(path) + ": " +
                     (collector.first_error.empty() ? std::string("not protobuf text format") : collector.first_error));
  }
  parsed.warnings = std::move(collector.warnings);
  parsed.text = std::move(text);
  const pb::Descriptor* d = caffe::NetParameter::descriptor();
  parsed.layer_lines = entry_lines(tree, d->FindFieldByName("layer"), parsed.net.layer_size());
  parsed.layers_lines = entry_lines(tree, d->FindFieldByName("layers"), parsed.net.layers_size());
  return parsed;
}

Result<caffe::NetParameter> read_caffemodel(const std::string& path) {
  INGOT_ASSIGN_OR_RETURN(std::string data, read_whole(path, kMaxModelBytes));
  pb::io::ArrayInputStream raw(data.data(), static_cast<int>(data.size()));
  pb::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(std::numeric_limits<int>::max());
  caffe::NetParameter net;
  if (!net.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
    return bad_input("parse Caffe weights " + quote(path) +
                     ": it is not a complete binary NetParameter (truncated, or not a .caffemodel)");
  }
  if (net.layer_size() == 0 && net.layers_size() == 0) {
    return bad_input("parse Caffe weights " + quote(path) +
                     ": it holds no layers (a .caffemodel stores its blobs in `layer` or legacy `layers` entries)");
  }
  return net;
}

}  // namespace ingot::caffe_import
