// The graph IR every importer targets and every backend consumes.
//
// A Graph is a list of Nodes (op name + version + named typed attributes) connected by named
// Values. Weights are Constants referenced from attributes by name (TensorRef), so one weight
// can be shared and the file stores it once. Graph inputs are the outputs of Input nodes, listed
// in the order callers feed them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingot/attr.h"
#include "ingot/op.h"
#include "ingot/tensor.h"

namespace ingot::ir {

// How a constant's elements are stored in a file (codes are written into .ingot files; the
// format's storage table gives sizes and codecs). `raw` stores the logical dtype as is.
// `codebook8` keeps 256 binary16 entries and one u8 index per element (core/codebook.h).
enum class Storage : std::uint8_t { raw = 1, f16 = 2, codebook8 = 3 };

struct Constant {
  std::string name;
  DType dtype = DType::f32;  // logical: what kernels see
  Storage storage = Storage::raw;
  // The stored elements, in the logical shape: dtype f16 for Storage::f16, u8 indices for
  // Storage::codebook8, else `dtype`.
  Tensor payload;
  Tensor codebook;  // Storage::codebook8 only: the f16 [256] entries, stored before the indices
  const Shape& shape() const { return payload.shape(); }
  // The bytes a file holds for this constant: the codebook (if any), then the payload.
  std::size_t stored_bytes() const { return codebook_bytes() + payload.byte_size(); }
  std::size_t codebook_bytes() const { return codebook.empty() ? 0 : codebook.byte_size(); }
};

// Makes a constant from logical values, encoding them for `storage` (f16 rounds to nearest
// even; codebook8 fits a 1-D k-means). Fails when the storage does not fit the dtype (f16
// storage of an i64 tensor, say) or the values (codebook8 of a NaN).
Result<Constant> make_constant(std::string name, const Tensor& logical, Storage storage);
// The logical tensor: the payload itself for raw storage (no copy), decoded otherwise.
Result<Tensor> decode_constant(const Constant& constant);
// A codebook8 constant whose payload and codebook have the types that storage needs.
bool has_codebook(const Constant& constant);

struct Value {
  std::string name;
  TensorInfo info;  // filled by infer_shapes; importers may leave it empty
};

struct Node {
  std::string name;
  std::string op;
  int version = 1;
  std::vector<std::string> inputs;   // value names
  std::vector<std::string> outputs;  // value names, each produced by this node only
  AttrMap attrs;
};

// What `ingot compile` records (src/target): the target a graph was compiled for, the numeric
// formats it runs in there, and its partition into device runs and host ops. Plain data: the
// runtime emulates the numerics from it, `ingot inspect` shows it.
struct CompiledRun {
  bool on_device = false;
  std::string fusion;               // the target's fusion pattern; empty for a single op
  std::vector<std::string> nodes;   // this graph's nodes the run executes, in compute order
  std::vector<std::string> layers;  // the source layers it computes, those folded away included
  std::int64_t tiles = 0;           // buffer tiles of its tiled op; 0 when it has none
};

struct Compilation {
  std::string target;       // the target's name
  std::string target_text;  // the target file as compiled against, verbatim
  DType activations = DType::f32;   // leaving a device run (f32 or f16)
  DType accumulation = DType::f32;  // inside a device run
  Storage weights = Storage::raw;   // the device runs' weight storage
  std::vector<CompiledRun> runs;    // in an order the graph can compute them
};

class Graph {
 public:
  AttrMap metadata;  // typed key/value pairs; tensor values are not allowed here
  std::vector<Node> nodes;
  std::vector<Value> values;
  std::vector<Constant> constants;
  std::vector<std::string> inputs;   // values produced by Input nodes, in feeding order
  std::vector<std::string> outputs;  // values returned to the caller, in order
  std::optional<Compilation> compilation;  // set by `ingot compile` only

  // Builders used by importers and tests. Names must be unique; verify() checks.
  // An Input node named `name` producing a value of the same name, appended to `inputs`.
  void add_input(const std::string& name, const Shape& shape, DType dtype = DType::f32);
  // A node whose outputs are named `name`, `name:1`, `name:2`, ...; returns its index.
  std::size_t add_node(const std::string& name, const std::string& op,
                       std::vector<std::string> inputs, AttrMap attrs = {},
                       int num_outputs = 1, int version = 0 /* 0: the registry's current */);
  void add_output(const std::string& value) { outputs.push_back(value); }
  Status add_constant(const std::string& name, const Tensor& logical,
                      Storage storage = Storage::raw);

  const Node* find_node(std::string_view name) const;
  const Value* find_value(std::string_view name) const;
  Value* find_value(std::string_view name);
  const Constant* find_constant(std::string_view name) const;
  // Index of the node producing `value`, or nullopt for a value nobody produces.
  std::optional<std::size_t> producer_of(std::string_view value) const;
};

// Name of output `index` of a node named `node`, as add_node names them.
std::string output_name(const std::string& node, int index);

}  // namespace ingot::ir
