// Keras 2.x HDF5 model -> ingot graph.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ingot/op.h"
#include "frontends/keras/param_file.h"
#include "frontends/keras/report.h"
#include "ir/graph.h"

namespace ingot::keras {

struct ImportOptions {
  // Shapes for the model inputs, in input_layers order, batch included (NHWC for Keras). They
  // replace the stored batch_input_shape; needed when it has None dims other than the batch,
  // which defaults to 1.
  std::vector<Shape> input_shapes;
  // Parameters for custom and Lambda layers (--params); may be null.
  const ParamFile* params = nullptr;
  // Carry unknown custom classes as opaque ops instead of failing (--keep-unknown).
  bool keep_unknown = false;
  // Centers of bilinear UpSampling2D (--bilinear-centers): "half-pixel" or "asymmetric"; empty:
  // chosen from the file's keras_version (`ingot check` says which and why).
  std::string bilinear_centers;
};

// Reads the file and builds the graph: one or more IR nodes per Keras layer, each value named
// after the layer that produces it, outputs in output_layers order. Errors name the file, the
// layer, its class and the offending key or weight. Before building anything, every layer is
// reviewed (parameters resolved against op schemas, Lambda and unknown classes checked), so one
// error lists every layer that needs attention. `report`, when given, receives that review even
// when the import fails. Opaque ops of --keep-unknown are added to `registry`.
Result<ir::Graph> import_file(const std::string& path, const ImportOptions& options,
                              OpRegistry& registry = default_registry(), ImportReport* report = nullptr);

}  // namespace ingot::keras
