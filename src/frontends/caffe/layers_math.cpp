// Exp, Log, Bias, Reduction and MVN, composed from the IR's elementwise and reduction ops.
// Each follows the arithmetic of Caffe's own layer (the order of multiply, add and exp), so
// float32 results differ from Caffe only by the rounding of the ops' kernels.
#include <cmath>
#include <numeric>

#include "frontends/caffe/layer_context.h"

namespace ingot::caffe_import {
namespace {

using Ints = std::vector<std::int64_t>;

// A chain of helper nodes ending in the layer's own node: `step` names each helper, the last
// call (final = true) names the node after the layer.
class Chain {
 public:
  explicit Chain(LayerContext& ctx) : ctx_(ctx), value_(ctx.inputs[0]) {}
  Status then(const std::string& step, const std::string& op, AttrMap attrs, std::vector<std::string> extra = {}) {
    std::vector<std::string> in{value_};
    in.insert(in.end(), extra.begin(), extra.end());
    INGOT_ASSIGN_OR_RETURN(value_, ctx_.add(ctx_.name(step), op, std::move(in), std::move(attrs)));
    return {};
  }
  Status last(const std::string& op, AttrMap attrs, std::vector<std::string> extra = {}) {
    std::vector<std::string> in{value_};
    in.insert(in.end(), extra.begin(), extra.end());
    INGOT_ASSIGN_OR_RETURN(value_, ctx_.add(ctx_.name(), op, std::move(in), std::move(attrs)));
    return {};
  }
  const std::string& value() const { return value_; }
  void set(std::string v) { value_ = std::move(v); }

 private:
  LayerContext& ctx_;
  std::string value_;
};

Status one_in_one_out(const LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 1));
  return ctx.expect_tops(1);
}

// Caffe's base: -1 means e; otherwise it must be > 0 (Caffe CHECKs it).
Result<double> log_of_base(const LayerContext& ctx, float base) {
  if (base == -1.0f) return 1.0;
  if (!(base > 0.0f) || !std::isfinite(base)) {
    return ctx.error("field 'base' must be -1 (e) or a finite value > 0, got " + std::to_string(base));
  }
  return std::log(static_cast<double>(base));
}

Status finite_field(const LayerContext& ctx, const std::string& field, float v) {
  if (std::isfinite(v)) return {};
  return ctx.error("field " + quote(field) + " must be finite, got " + std::to_string(v));
}

Ints dims_between(const Shape& s, std::int64_t from, std::int64_t to) {
  return Ints(s.dims().begin() + from, s.dims().begin() + to);
}

std::int64_t product(const Ints& v) { return std::accumulate(v.begin(), v.end(), std::int64_t{1}, std::multiplies<>()); }

// Axes [first, rank).
Ints axes_from(std::int64_t first, std::int64_t rank) {
  Ints out;
  for (std::int64_t a = first; a < rank; ++a) out.push_back(a);
  return out;
}

}  // namespace

// x + b for a constant b covering x's axes [axis, axis + b.rank), broadcast over the others.
// Scale (factor 1, exact) adds a per-channel term on one axis; for several axes the node works on
// x reshaped so that they form one.
Result<std::string> add_constant_over_axes(LayerContext& ctx, const std::string& x, std::int64_t axis, const Tensor& b,
                                           const std::string& node_name) {
  const Shape& shape = ctx.graph.info(x).shape;
  const auto n = static_cast<std::int64_t>(b.shape().rank());
  const std::int64_t count = b.num_elements();
  INGOT_ASSIGN_OR_RETURN(TensorRef ones, ctx.constant("ones", Tensor::from_floats(Shape{count}, std::vector<float>(count, 1.0f))));
  INGOT_ASSIGN_OR_RETURN(TensorRef bias, ctx.constant("bias", b.reshaped(Shape{count})));
  const AttrMap attrs{{"scale", ones}, {"bias", bias}};
  if (n == 1) {
    AttrMap on_axis = attrs;
    on_axis["axis"] = axis;
    return ctx.add(node_name, "Scale", {x}, std::move(on_axis));
  }
  const Ints flat{product(dims_between(shape, 0, axis)), count,
                  product(dims_between(shape, axis + n, static_cast<std::int64_t>(shape.rank())))};
  INGOT_ASSIGN_OR_RETURN(std::string flat_x, ctx.add(ctx.name("flat"), "Reshape", {x}, {{"shape", flat}}));
  AttrMap on_axis = attrs;
  on_axis["axis"] = std::int64_t{1};
  INGOT_ASSIGN_OR_RETURN(std::string sum, ctx.add(ctx.name("flat_sum"), "Scale", {flat_x}, std::move(on_axis)));
  return ctx.add(node_name, "Reshape", {sum}, {{"shape", shape.dims()}});
}

// Bottom `input` reshaped to its dims followed by ones, so that numpy broadcasting lines it up
// with bottom 0's axes [axis, axis + its rank).
Result<std::string> aligned_second_bottom(LayerContext& ctx, std::int64_t axis, std::size_t input, const std::string& field) {
  const Shape& x = ctx.shape(0);
  const Shape& b = ctx.shape(input);
  const auto n = static_cast<std::int64_t>(b.rank());
  if (axis + n > ctx.rank() || dims_between(x, axis, axis + n) != b.dims()) {
    return ctx.error("bottom " + std::to_string(input) + " " + b.to_string() + " must equal bottom 0's dims from " +
                     quote(field) + " " + std::to_string(axis) + " on (bottom 0 is " + x.to_string() + ")");
  }
  Ints dims = b.dims();
  dims.resize(static_cast<std::size_t>(ctx.rank() - axis), 1);
  return ctx.add(ctx.name("aligned"), "Reshape", {ctx.inputs[input]}, {{"shape", dims}});
}

// (x - mean) / spread over `axes`, with mean and variance of x's own values (E((x - mean)^2), as
// Caffe computes it): spread = sqrt(variance) + eps (MVN) or sqrt(variance + eps) (BatchNorm).
Result<std::vector<std::string>> normalize_with_own_statistics(LayerContext& ctx, const Ints& axes, double eps,
                                                               bool eps_after_sqrt, bool divide) {
  const std::string x = ctx.inputs[0];
  const AttrMap reduce{{"axes", axes}, {"keepdims", true}};
  INGOT_ASSIGN_OR_RETURN(std::string mean, ctx.add(ctx.name("mean"), "ReduceMean", {x}, reduce));
  INGOT_ASSIGN_OR_RETURN(std::string centered, ctx.add(divide ? ctx.name("centered") : ctx.name(), "Sub", {x, mean}));
  if (!divide) return std::vector{centered};
  INGOT_ASSIGN_OR_RETURN(std::string squared, ctx.add(ctx.name("squared"), "Mul", {centered, centered}));
  INGOT_ASSIGN_OR_RETURN(std::string variance, ctx.add(ctx.name("variance"), "ReduceMean", {squared}, reduce));
  std::string inverse;
  if (eps_after_sqrt) {
    INGOT_ASSIGN_OR_RETURN(std::string stddev, ctx.add(ctx.name("stddev"), "Power", {variance}, {{"power", 0.5}}));
    INGOT_ASSIGN_OR_RETURN(inverse, ctx.add(ctx.name("inverse"), "Power", {stddev}, {{"power", -1.0}, {"shift", eps}}));
  } else {
    INGOT_ASSIGN_OR_RETURN(inverse, ctx.add(ctx.name("inverse"), "Power", {variance}, {{"power", -0.5}, {"shift", eps}}));
  }
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Mul", {centered, inverse}));
  return std::vector{out};
}

// Caffe's BiasLayer: y = x + b, b (blob 0, or bottom 1) covering axes [axis, axis + num_axes)
// (num_axes -1: every axis from `axis`; with bottom 1, its own rank).
Result<std::vector<std::string>> import_bias(LayerContext& ctx) {
  INGOT_TRY(ctx.expect_bottoms(1, 2));
  INGOT_TRY(ctx.expect_tops(1));
  const caffe::BiasParameter& p = ctx.layer.bias_param();
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.axis(p.axis(), "axis"));
  if (ctx.inputs.size() == 2) {
    INGOT_TRY(ctx.expect_blob_count(0));
    INGOT_ASSIGN_OR_RETURN(std::string b, aligned_second_bottom(ctx, axis, 1, "axis"));
    INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Add", {ctx.inputs[0], b}));
    return std::vector{out};
  }
  if (p.num_axes() < -1) return ctx.error("field 'num_axes' must be >= -1, got " + std::to_string(p.num_axes()));
  const std::int64_t end = p.num_axes() == -1 ? ctx.rank() : axis + p.num_axes();
  if (end > ctx.rank()) {
    return ctx.error("fields 'axis' " + std::to_string(axis) + " and 'num_axes' " + std::to_string(p.num_axes()) +
                     " reach past the bottom's " + std::to_string(ctx.rank()) + " axes");
  }
  INGOT_TRY(ctx.expect_blob_count(1));
  if (end == axis) {
    INGOT_ASSIGN_OR_RETURN(Tensor b, ctx.blob(0, Shape{1}, "bias [1]"));
    INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Affine", ctx.inputs, {{"offset", static_cast<double>(b.data<float>()[0])}}));
    return std::vector{out};
  }
  const Shape want(dims_between(ctx.shape(), axis, end));
  INGOT_ASSIGN_OR_RETURN(Tensor b, ctx.blob(0, want, "bias " + want.to_string()));
  INGOT_ASSIGN_OR_RETURN(std::string out, add_constant_over_axes(ctx, ctx.inputs[0], axis, b, ctx.name()));
  return std::vector{out};
}

// Caffe's ReductionLayer reduces every axis from `axis` on and multiplies by `coeff`. ReduceMean
// times the count gives the sums (float32 rounding of one product apart).
Result<std::vector<std::string>> import_reduction(LayerContext& ctx) {
  INGOT_TRY(one_in_one_out(ctx));
  const caffe::ReductionParameter& p = ctx.layer.reduction_param();
  INGOT_ASSIGN_OR_RETURN(std::int64_t axis, ctx.axis(p.axis(), "axis"));
  INGOT_TRY(finite_field(ctx, "coeff", p.coeff()));
  if (axis == 0) {
    return ctx.unsupported_here("field 'axis' 0 reduces to a rank-0 scalar, which ingot's values cannot be; "
                                "give an axis >= 1");
  }
  const Ints axes = axes_from(axis, ctx.rank());
  const double count = static_cast<double>(product(dims_between(ctx.shape(), axis, ctx.rank())));
  std::string x = ctx.inputs[0];
  double factor = p.coeff();
  const auto op = p.operation();
  if (op != caffe::ReductionParameter::MEAN) factor *= count;
  if (op == caffe::ReductionParameter::ASUM) {
    INGOT_ASSIGN_OR_RETURN(x, ctx.add(ctx.name("abs"), "AbsVal", {x}));
  } else if (op == caffe::ReductionParameter::SUMSQ) {
    INGOT_ASSIGN_OR_RETURN(x, ctx.add(ctx.name("square"), "Mul", {x, x}));
  }
  const AttrMap reduce{{"axes", axes}, {"keepdims", false}};
  if (static_cast<float>(factor) == 1.0f) {
    INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "ReduceMean", {x}, reduce));
    return std::vector{out};
  }
  INGOT_ASSIGN_OR_RETURN(std::string mean, ctx.add(ctx.name("mean"), "ReduceMean", {x}, reduce));
  INGOT_ASSIGN_OR_RETURN(std::string out, ctx.add(ctx.name(), "Affine", {mean}, {{"scale", factor}}));
  return std::vector{out};
}

// Caffe's MVNLayer: per sample (and per channel unless across_channels), x - mean, divided by
// the standard deviation plus eps when normalize_variance.
Result<std::vector<std::string>> import_mvn(LayerContext& ctx) {
  INGOT_TRY(one_in_one_out(ctx));
  const caffe::MVNParameter& p = ctx.layer.mvn_param();
  const std::int64_t first = p.across_channels() ? 1 : 2;
  if (ctx.rank() <= first) {
    return ctx.error("it needs a bottom with axes after " + std::string(p.across_channels() ? "the batch" : "the channels") +
                     " to normalize over (rank >= " + std::to_string(first + 1) + "), got " + ctx.shape().to_string());
  }
  if (!(p.eps() >= 0.0f) || !std::isfinite(p.eps())) return ctx.error("field 'eps' must be finite and >= 0, got " + std::to_string(p.eps()));
  return normalize_with_own_statistics(ctx, axes_from(first, ctx.rank()), static_cast<double>(p.eps()),
                                       /*eps_after_sqrt=*/true, p.normalize_variance());
}

// Caffe's ExpLayer: y = outer * exp(inner * x), inner = ln(base) * scale, outer = base ^ shift.
Result<std::vector<std::string>> import_exp(LayerContext& ctx) {
  INGOT_TRY(one_in_one_out(ctx));
  const caffe::ExpParameter& p = ctx.layer.exp_param();
  INGOT_TRY(finite_field(ctx, "scale", p.scale()));
  INGOT_TRY(finite_field(ctx, "shift", p.shift()));
  INGOT_ASSIGN_OR_RETURN(const double log_base, log_of_base(ctx, p.base()));
  const float inner = static_cast<float>(log_base) * p.scale();
  const float outer = p.shift() == 0.0f ? 1.0f : static_cast<float>(std::exp(log_base * p.shift()));
  Chain c(ctx);
  if (inner != 1.0f) INGOT_TRY(c.then("inner_scale", "Affine", {{"scale", static_cast<double>(inner)}}));
  if (outer == 1.0f) {
    INGOT_TRY(c.last("Exp", {}));
  } else {
    INGOT_TRY(c.then("exp", "Exp", {}));
    INGOT_TRY(c.last("Affine", {{"scale", static_cast<double>(outer)}}));
  }
  return std::vector{c.value()};
}

// Caffe's LogLayer: y = ln(shift + scale * x) / ln(base).
Result<std::vector<std::string>> import_log(LayerContext& ctx) {
  INGOT_TRY(one_in_one_out(ctx));
  const caffe::LogParameter& p = ctx.layer.log_param();
  INGOT_TRY(finite_field(ctx, "scale", p.scale()));
  INGOT_TRY(finite_field(ctx, "shift", p.shift()));
  INGOT_ASSIGN_OR_RETURN(const double log_base, log_of_base(ctx, p.base()));
  if (log_base == 0.0) return ctx.error("field 'base' must not be 1: log base 1 is undefined");
  const float base_scale = static_cast<float>(1.0 / log_base);
  Chain c(ctx);
  if (p.scale() != 1.0f || p.shift() != 0.0f) {
    INGOT_TRY(c.then("input", "Affine", {{"scale", static_cast<double>(p.scale())}, {"offset", static_cast<double>(p.shift())}}));
  }
  if (base_scale == 1.0f) {
    INGOT_TRY(c.last("Log", {}));
  } else {
    INGOT_TRY(c.then("ln", "Log", {}));
    INGOT_TRY(c.last("Affine", {{"scale", static_cast<double>(base_scale)}}));
  }
  return std::vector{c.value()};
}

}  // namespace ingot::caffe_import
