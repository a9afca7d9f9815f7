// Caffe (.prototxt + .caffemodel) -> ingot graph.
//
// Layout: ingot's values for a Caffe model are Caffe's blobs exactly, NCHW and row-major, so
// inputs and outputs of `ingot run` keep Caffe's shapes; spatial ops get layout "NCHW" and
// Flatten / Reshape / Permute / Slice / Concat / Softmax keep Caffe's axis numbers.
// Naming: each node is named after its Caffe layer and its (first) output value carries the
// same name; a Slice top is named after the top blob. Split and inference-time Dropout add no
// node: their tops are the bottom's value. The model outputs are the blobs no later layer reads.
#pragma once

#include <string>
#include <vector>

#include "frontends/common/params.h"
#include "frontends/common/report.h"
#include "ingot/op.h"
#include "ir/graph.h"

namespace ingot::caffe_import {

struct ImportOptions {
  // The trained blobs (.caffemodel); empty when the net has none (then any layer that needs
  // blobs is an error).
  std::string weights_path;
  // Shapes for the inputs in declaration order (net-level `input`s first, then Input layers);
  // they replace the declared shapes.
  std::vector<Shape> input_shapes;
  // A layer type nobody knows (no import function, no registered op of its name) becomes an
  // opaque op instead of an error.
  bool keep_unknown = false;
  // Parameters for layers imported through a registered op (--params; may be null): by layer
  // name or "class:<LayerType>", over the values of the prototxt's parameter block.
  const import::ParamFile* params = nullptr;
};

// True when `path` looks like a Caffe network text (it parses as a NetParameter with layers).
bool looks_like_prototxt(const std::string& path);

// Reads both files and builds the graph. Errors name the file, the layer, its type and the
// offending field or blob; `report`, when given, receives every layer's review even when the
// import fails (unknown types are all listed at once). A type without an import function is
// imported through the registered op of the same name (a user op), its parameters read from
// the blocks caffe.proto does not know and its blobs going to the op's tensor parameters in
// order, each parameter checked against the op's schema (a key it does not take, a missing
// required one, a value of the wrong type or range are errors naming the layer and key); with
// keep_unknown, opaque ops for the rest are added to `registry`.
Result<ir::Graph> import_caffe(const std::string& prototxt, const ImportOptions& options,
                               OpRegistry& registry = default_registry(), import::ImportReport* report = nullptr);

}  // namespace ingot::caffe_import
