// Target descriptions: what one inference device executes, as data. A target is a JSON file
// (targets/*.json, schema targets/target.schema.json, fields explained in docs/targets.md)
// loaded at run time, so a user can describe a device of their own without rebuilding ingot.
//
// Loading checks a file twice: against the JSON schema (embedded in ingot, so a file cannot
// bring its own), then for what a schema cannot say: op names known to the registry, min <= max,
// limits that apply to the op they are given for, fusion steps that name device ops, sources
// that name a key of `sources`, and the name matching the file name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingot/op.h"
#include "ingot/status.h"
#include "ir/graph.h"

namespace ingot::target {

enum class NumericType { f32, f16 };
const char* numeric_type_name(NumericType type);

// What a limit measures on a node (docs/targets.md): kernel, stride, dilation and pad are
// checked per spatial axis; the sizes are the node's first input (input_*) or first output.
enum class Quantity {
  kernel,
  stride,
  dilation,
  pad,
  input_width,
  input_height,
  input_channels,
  output_width,
  output_height,
  output_channels,
};
const std::vector<Quantity>& all_quantities();
const char* quantity_name(Quantity quantity);

struct Limit {
  Quantity quantity = Quantity::kernel;
  std::optional<std::int64_t> min, max;  // inclusive
  std::string source;                    // a key of Target::sources, then optional commentary
};

struct DeviceOp {
  std::string op;  // an ingot op name, or "*" for every op
  std::vector<Limit> limits;
  bool tiled = false;       // its tiles must fit Target::buffer
  bool fused_only = false;  // on the device only inside a fusion with other ops
  std::string note;
};

struct FusionStep {
  std::vector<std::string> ops;
  bool optional = false;
};

struct Fusion {
  std::string name;
  std::vector<FusionStep> steps;  // the first step is never optional
  std::string source;
};

enum class Tiling { width_strips };

struct Buffer {
  std::int64_t bytes = 0;
  Tiling tiling = Tiling::width_strips;
  std::int64_t channel_block = 8;
  std::int64_t element_bytes = 2;
  std::string source;
};

struct Numerics {
  NumericType activations = NumericType::f32;
  NumericType accumulation = NumericType::f32;
  std::vector<ir::Storage> weights;
  ir::Storage default_weights = ir::Storage::raw;
  std::string source;
};

struct Target {
  std::string name;
  std::string description;
  std::string path;  // the file it was read from
  std::string text;  // the file's text, as the compilation record keeps it
  std::map<std::string, std::string> sources;
  Numerics numerics;
  std::optional<Buffer> buffer;
  std::vector<DeviceOp> device_ops;  // by op name
  std::vector<Fusion> fusions;       // in file order
  std::map<std::string, std::string> host_ops;  // op -> why it runs on the host

  // The device's entry for `op` ("*" matches every op), or nullptr when it runs on the host.
  const DeviceOp* device_op(std::string_view op) const;
  bool accepts_weights(ir::Storage storage) const;
};

// Weight storages as target files and the CLI name them: "f32" (raw), "f16", "codebook8".
const char* weights_name(ir::Storage storage);
std::optional<ir::Storage> weights_from_name(std::string_view name);
// A limit as its rule reads: "kernel <= 7", "4 <= input_channels <= 256".
std::string describe_limit(const Limit& limit);

// Parses and checks a target file's text; `origin` (a path) names it in every error.
Result<Target> parse_target(std::string_view text, const std::string& origin, const OpRegistry& registry);
Result<Target> load_target_file(const std::filesystem::path& path, const OpRegistry& registry);

// Folders searched for `NAME.json`, first match wins: each entry of $INGOT_TARGET_PATH
// (colon-separated), then the targets shipped with ingot (installed, or the source tree's).
std::vector<std::filesystem::path> target_search_path();
// A target by name (searched for) or by path (anything containing '/' or ending in .json).
Result<Target> find_target(const std::string& name_or_path, const OpRegistry& registry);

struct TargetEntry {
  std::string name;
  std::filesystem::path path;
  Result<Target> target;  // the file loaded, or why it does not load
};
// Every NAME.json on the search path (a name shadowed by an earlier folder is listed once).
std::vector<TargetEntry> list_targets(const OpRegistry& registry);

// The JSON schema target files are checked against (targets/target.schema.json).
std::string_view target_schema_text();

}  // namespace ingot::target
