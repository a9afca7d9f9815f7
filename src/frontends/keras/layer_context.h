// What a layer import function sees: the layer's config (with typed, checked getters), its
// input values and their shapes, its weights by name, and the graph being built.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "frontends/keras/model_config.h"
#include "frontends/keras/report.h"
#include "frontends/keras/weights.h"
#include "ir/builder.h"

namespace ingot::keras {

// Which keys of a layer's config an import function consulted, and the default it used for each
// optional key the file does not store. After a standard layer is built, the importer compares
// them with the saved keys (review_keys, below), so that no saved key is ignored silently.
struct KeyUse {
  std::vector<std::string> read;                        // consulted keys (saved or not), in first-use order
  std::vector<std::pair<std::string, json>> defaulted;  // keys absent from the file, with the default used
};

// Typed access to a layer's config; every failure names the key and the value found. Every
// accessor, has() included, records the key as read, and a getter with a fallback records the
// fallback when the key is absent. Reading through raw() records nothing: use it only for keys
// already consulted (in messages, say).
class Config {
 public:
  explicit Config(const json& j) : j_(j) {}
  bool has(const std::string& key) const;  // saved and not null
  // The saved value, or nullptr when the key is absent or null.
  const json* get(const std::string& key) const;
  Result<std::int64_t> integer(const std::string& key) const;
  Result<std::int64_t> integer(const std::string& key, std::int64_t fallback) const;
  Result<double> number(const std::string& key, double fallback) const;
  Result<std::optional<double>> optional_number(const std::string& key) const;
  Result<bool> boolean(const std::string& key, bool fallback) const;
  Result<std::string> string(const std::string& key, const std::string& fallback,
                             const std::vector<std::string>& choices = {}) const;
  // An int or a list of `n` ints (Keras accepts both for kernel_size, strides, ...).
  Result<std::vector<std::int64_t>> ints(const std::string& key, std::size_t n, std::int64_t fallback) const;
  Result<std::vector<std::int64_t>> int_list(const std::string& key) const;
  // ((top, bottom), (left, right)) or (h, w) or n: ZeroPadding2D / Cropping2D forms.
  Result<std::vector<std::int64_t>> pairs2d(const std::string& key) const;
  // For defaults computed by the import function itself (pooling strides = pool_size): records
  // `value` as the default used for `key` when the file does not store the key.
  void defaulted(const std::string& key, const json& value) const;
  const json& raw() const { return j_; }
  const KeyUse& use() const { return use_; }

 private:
  Status wrong(const std::string& key, const std::string& want) const;
  void mark(const std::string& key) const;
  const json& j_;
  mutable KeyUse use_;  // bookkeeping of const reads
};

struct ImportSettings {
  bool theano = false;             // backend: theano (conv kernels are flipped)
  bool half_pixel_resize = false;  // tf.keras of TF 2.x: bilinear UpSampling2D uses half-pixel centers
  std::string resize_reason;       // why half_pixel_resize is what it is (ingot check prints it)
  bool open_batch = false;         // an input's batch is open (ir/open_dims.h)
  bool open_sizes = false;         // an input's other dims are open too
};

class LayerContext {
 public:
  LayerContext(const Layer& layer, std::vector<std::string> inputs, std::vector<Weight> weights,
               ir::GraphBuilder& graph, const ImportSettings& settings)
      : layer(layer), config(layer.config), inputs(std::move(inputs)), weights(std::move(weights)),
        graph(graph), settings(settings) {}

  const Layer& layer;
  const Config config;
  const std::vector<std::string> inputs;
  const std::vector<Weight> weights;
  ir::GraphBuilder& graph;
  const ImportSettings& settings;

  const TensorInfo& info(std::size_t input = 0) const { return graph.info(inputs.at(input)); }
  const Shape& shape(std::size_t input = 0) const { return info(input).shape; }
  // The layer's name, or "<layer>/<suffix>" for helper nodes and constants.
  std::string name(const std::string& suffix = "") const;

  Result<Tensor> weight(const std::string& short_name) const;  // required
  std::optional<Tensor> optional_weight(const std::string& short_name) const;
  Status expect_inputs(std::size_t min, std::size_t max) const;

  Result<std::string> add(const std::string& node_name, const std::string& op, std::vector<std::string> in,
                          AttrMap attrs = {});
  Result<TensorRef> constant(const std::string& suffix, const Tensor& value);
  // A Reshape's `shape` that serves every size of the dims the model left open: the batch
  // (dim 0) becomes 0 (copy the input's) when open, and `length_axis` (the one dim a 1-D
  // helper or a Flatten does not fix) -1 (inferred) when sizes are open.
  std::vector<std::int64_t> open_reshape(std::vector<std::int64_t> dims,
                                         std::optional<std::size_t> length_axis = std::nullopt) const;

  // "<rule>, got <value>" about this layer: "import layer 'c1' (Conv2D): <message>".
  Status error(const std::string& message) const;
};

using ImportFn = Result<std::vector<std::string>> (*)(LayerContext&);

// The one table from Keras class_name to import function; nullptr when unknown.
ImportFn find_import_fn(const std::string& class_name);
// Every class name the table knows (for "did you mean" suggestions).
std::vector<std::string> known_classes();
// True when Keras saves `key` for standard class `class_name` but it has no effect on inference
// (name, trainable, *_initializer, a dropout's rate, ...): the table in layer_table.cpp says why.
bool has_no_effect(const std::string& class_name, const std::string& key);
// Fills `report.keys` of a standard layer just built: each saved key is found (read by the
// import function, per `use`), without effect (has_no_effect) or unread, a warning naming the
// key and its value; the defaults used for keys the file does not store make one note.
void review_keys(const Layer& layer, const KeyUse& use, LayerReport& report);

// Appends an activation by its Keras name ("relu", "softmax", ...) after `value`, naming the
// node `node_name`; "linear" adds nothing and returns `value`.
Result<std::string> add_activation(LayerContext& ctx, const std::string& value, const std::string& activation,
                                   const std::string& node_name);
// The node name for a layer's main op: the layer name when no activation follows, else
// "<layer>/<op>" so that the layer name goes to the activation, the layer's real output.
std::string main_node_name(const LayerContext& ctx, const std::string& activation, const std::string& op_suffix);

}  // namespace ingot::keras
