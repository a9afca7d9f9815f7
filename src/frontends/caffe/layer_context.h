// What a Caffe layer import function sees: the layer's parameters, the IR values of its
// bottoms and their shapes, its trained blobs, and the graph being built. Import functions
// return one IR value per top, in top order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "caffe/caffe.pb.h"
#include "frontends/common/report.h"
#include "ir/builder.h"

namespace ingot::caffe_import {

class LayerContext {
 public:
  LayerContext(const caffe::LayerParameter& layer, std::vector<std::string> inputs,
               std::vector<Tensor> blobs, ir::GraphBuilder& graph, import::LayerReport& report)
      : layer(layer), inputs(std::move(inputs)), blobs(std::move(blobs)), graph(graph), report(report) {}

  const caffe::LayerParameter& layer;
  const std::vector<std::string> inputs;
  const std::vector<Tensor> blobs;  // as stored; check them with blob()
  ir::GraphBuilder& graph;
  import::LayerReport& report;

  const Shape& shape(std::size_t input = 0) const { return graph.info(inputs.at(input)).shape; }
  std::int64_t rank(std::size_t input = 0) const { return static_cast<std::int64_t>(shape(input).rank()); }
  // The layer's name, or "<layer>/<suffix>" for helper nodes and constants.
  std::string name(const std::string& suffix = "") const;

  Status expect_bottoms(int min, int max) const;
  Status expect_tops(int n) const;
  // Blob `index`, which must have `want`'s element count and, unless stored in the legacy 4-D
  // form (leading ones), `want` itself; returned with shape `want`.
  Result<Tensor> blob(std::size_t index, const Shape& want, const std::string& meaning) const;
  Status expect_blob_count(std::size_t n) const;
  // An axis in [-rank, rank) made non-negative.
  Result<std::int64_t> axis(std::int64_t axis, const std::string& field, std::size_t input = 0) const;

  Result<std::string> add(const std::string& node_name, const std::string& op, std::vector<std::string> in,
                          AttrMap attrs = {});
  Result<TensorRef> constant(const std::string& suffix, const Tensor& value);
  void note(const std::string& message, const std::string& key = "");
  void warn(const std::string& message, const std::string& key = "");

  // "import layer 'conv1' (Convolution): <message>".
  Status error(const std::string& message) const;
  Status unsupported_here(const std::string& message) const;
};

using ImportFn = Result<std::vector<std::string>> (*)(LayerContext&);

// The import function of a layer type; nullptr when ingot does not know the type.
ImportFn find_import_fn(const std::string& type);
std::vector<std::string> known_types();

// Shared by Bias, Scale, MVN and BatchNorm (layers_math.cpp).
// x + b for a constant b covering x's axes [axis, axis + b.rank); the node is `node_name`.
Result<std::string> add_constant_over_axes(LayerContext& ctx, const std::string& x, std::int64_t axis, const Tensor& b,
                                           const std::string& node_name);
// Bottom `input`, which must equal bottom 0's dims from `axis` on for its rank, reshaped to
// broadcast against bottom 0 (`field` names the axis in errors).
Result<std::string> aligned_second_bottom(LayerContext& ctx, std::int64_t axis, std::size_t input, const std::string& field);
// (x - mean) / spread over `axes` with x's own statistics; spread is sqrt(var) + eps when
// eps_after_sqrt, else sqrt(var + eps); only x - mean unless `divide`.
Result<std::vector<std::string>> normalize_with_own_statistics(LayerContext& ctx, const std::vector<std::int64_t>& axes,
                                                               double eps, bool eps_after_sqrt, bool divide);

// Per type, in layers_*.cpp.
Result<std::vector<std::string>> import_convolution(LayerContext& ctx);
Result<std::vector<std::string>> import_deconvolution(LayerContext& ctx);
Result<std::vector<std::string>> import_inner_product(LayerContext& ctx);
Result<std::vector<std::string>> import_pooling(LayerContext& ctx);
Result<std::vector<std::string>> import_lrn(LayerContext& ctx);
Result<std::vector<std::string>> import_batch_norm(LayerContext& ctx);
Result<std::vector<std::string>> import_scale(LayerContext& ctx);
Result<std::vector<std::string>> import_relu(LayerContext& ctx);
Result<std::vector<std::string>> import_prelu(LayerContext& ctx);
Result<std::vector<std::string>> import_elu(LayerContext& ctx);
Result<std::vector<std::string>> import_sigmoid(LayerContext& ctx);
Result<std::vector<std::string>> import_tanh(LayerContext& ctx);
Result<std::vector<std::string>> import_absval(LayerContext& ctx);
Result<std::vector<std::string>> import_bnll(LayerContext& ctx);
Result<std::vector<std::string>> import_power(LayerContext& ctx);
Result<std::vector<std::string>> import_softmax(LayerContext& ctx);
Result<std::vector<std::string>> import_eltwise(LayerContext& ctx);
Result<std::vector<std::string>> import_concat(LayerContext& ctx);
Result<std::vector<std::string>> import_flatten(LayerContext& ctx);
Result<std::vector<std::string>> import_reshape(LayerContext& ctx);
Result<std::vector<std::string>> import_permute(LayerContext& ctx);
Result<std::vector<std::string>> import_slice(LayerContext& ctx);
Result<std::vector<std::string>> import_split(LayerContext& ctx);
Result<std::vector<std::string>> import_dropout(LayerContext& ctx);
Result<std::vector<std::string>> import_normalize(LayerContext& ctx);
Result<std::vector<std::string>> import_prior_box(LayerContext& ctx);
Result<std::vector<std::string>> import_detection_output(LayerContext& ctx);
Result<std::vector<std::string>> import_crop(LayerContext& ctx);
Result<std::vector<std::string>> import_tile(LayerContext& ctx);
Result<std::vector<std::string>> import_exp(LayerContext& ctx);
Result<std::vector<std::string>> import_log(LayerContext& ctx);
Result<std::vector<std::string>> import_bias(LayerContext& ctx);
Result<std::vector<std::string>> import_reduction(LayerContext& ctx);
Result<std::vector<std::string>> import_mvn(LayerContext& ctx);
Result<std::vector<std::string>> import_argmax(LayerContext& ctx);
Result<std::vector<std::string>> import_interp(LayerContext& ctx);
Result<std::vector<std::string>> import_upsample(LayerContext& ctx);

}  // namespace ingot::caffe_import
