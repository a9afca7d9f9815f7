// What a layer import function sees: the layer's config (with typed, checked getters), its
// input values and their shapes, its weights by name, and the graph being built.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "frontends/keras/model_config.h"
#include "frontends/keras/weights.h"
#include "ir/builder.h"

namespace ingot::keras {

// Typed access to a layer's config; every failure names the key and the value found.
class Config {
 public:
  explicit Config(const json& j) : j_(j) {}
  bool has(const std::string& key) const { return j_.contains(key) && !j_[key].is_null(); }
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
  const json& raw() const { return j_; }

 private:
  Status wrong(const std::string& key, const std::string& want) const;
  const json& j_;
};

struct ImportSettings {
  bool theano = false;             // backend: theano (conv kernels are flipped)
  bool half_pixel_resize = false;  // tf.keras of TF 2.x: bilinear UpSampling2D uses half-pixel centers
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

  // "<rule>, got <value>" about this layer: "import layer 'c1' (Conv2D): <message>".
  Status error(const std::string& message) const;
};

using ImportFn = Result<std::vector<std::string>> (*)(LayerContext&);

// The one table from Keras class_name to import function; nullptr when unknown.
ImportFn find_import_fn(const std::string& class_name);
// Every class name the table knows (for "did you mean" suggestions).
std::vector<std::string> known_classes();

// Appends an activation by its Keras name ("relu", "softmax", ...) after `value`, naming the
// node `node_name`; "linear" adds nothing and returns `value`.
Result<std::string> add_activation(LayerContext& ctx, const std::string& value, const std::string& activation,
                                   const std::string& node_name);
// The node name for a layer's main op: the layer name when no activation follows, else
// "<layer>/<op>" so that the layer name goes to the activation, the layer's real output.
std::string main_node_name(const LayerContext& ctx, const std::string& activation, const std::string& op_suffix);

}  // namespace ingot::keras
