// Reading Caffe's two files: the network text (.prototxt, protobuf text format) and the trained
// blobs (.caffemodel, protobuf binary). Errors name the file and, for text, line and column.
#pragma once

#include <string>
#include <vector>

#include "caffe/caffe.pb.h"
#include "ingot/status.h"

namespace ingot::caffe_import {

// A field the text parser skipped because our schema does not know it (another fork's
// parameter, a newer Caffe): reported as a warning, never a failure.
struct TextWarning {
  int line = 0;  // 1-based
  int column = 0;
  std::string message;
};

struct ParsedPrototxt {
  std::string text;  // the file itself (custom layers' parameters are read from it)
  caffe::NetParameter net;
  std::vector<TextWarning> warnings;
  std::vector<int> layer_lines;   // 1-based line where each `layer` entry starts
  std::vector<int> layers_lines;  // likewise for legacy `layers` entries
};

Result<ParsedPrototxt> read_prototxt(const std::string& path);
Result<caffe::NetParameter> read_caffemodel(const std::string& path);

}  // namespace ingot::caffe_import
