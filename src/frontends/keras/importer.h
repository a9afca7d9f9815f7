// Keras 2.x HDF5 model -> ingot graph.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "ir/graph.h"

namespace ingot::keras {

struct ImportOptions {
  // Shapes for the model inputs, in input_layers order, batch included (NHWC for Keras). They
  // replace the stored batch_input_shape; needed when it has None dims other than the batch,
  // which defaults to 1.
  std::vector<Shape> input_shapes;
};

// Reads the file and builds the graph: one or more IR nodes per Keras layer, each value named
// after the layer that produces it, outputs in output_layers order. Errors name the file, the
// layer, its class and the offending key or weight.
Result<ir::Graph> import_file(const std::string& path, const ImportOptions& options,
                              const OpRegistry& registry = default_registry());

}  // namespace ingot::keras
