// The op interface. Built-in ops (src/ops/*.cpp) and user ops use exactly this header.
//
// An op is one declaration: a parameter struct with a ParamList (name, type, default or
// required, range, doc for every field), a shape rule, and a reference kernel:
//
//   struct ScaleParams { double factor = 1.0; };
//   OpDef make_scale_op() {
//     static const auto params = ParamList<ScaleParams>()
//         .optional("factor", &ScaleParams::factor, 1.0, "multiplier").range(-1e6, 1e6);
//     return make_op<ScaleParams>({.name = "Scale", .doc = "x * factor"}, params,
//         [](const ScaleParams&, std::span<const TensorInfo> in)
//             -> Result<std::vector<TensorInfo>> { return std::vector{in[0]}; },
//         [](const ScaleParams& p, const KernelArgs& a) { ... });
//   }
//   default_registry().add(make_scale_op());
//
// Everything else (attribute validation, reading, docs/ops.md, `ingot ops`) derives from the
// ParamList, so a parameter is declared exactly once.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ingot/attr.h"
#include "ingot/status.h"
#include "ingot/tensor.h"

namespace ingot {

struct TensorInfo {
  Shape shape;
  DType dtype = DType::f32;
  friend bool operator==(const TensorInfo&, const TensorInfo&) = default;
};

struct ParamSpec {
  std::string name;
  AttrType type = AttrType::int_;
  bool required = false;
  std::optional<AttrValue> default_value;  // neither required nor defaulted: may stay unset
  std::optional<double> min;               // inclusive; for lists, applies to every element
  std::optional<double> max;
  std::vector<std::string> choices;        // allowed strings (string and string list)
  std::optional<std::size_t> min_size;     // list length bounds
  std::optional<std::size_t> max_size;
  std::string doc;
  // A tensor parameter that is a layer's weights (a convolution's or a dense layer's kernel):
  // what codebook8 storage quantizes. Biases and per-channel factors stay binary16.
  bool layer_weights = false;
};

// "int in [1, 65536], 2 elements", for docs and `ingot ops`.
std::string describe_constraints(const ParamSpec& spec);
// Checks one value against its spec. Messages follow the house grammar:
//   parameter 'strides' must be >= 1, got [0, 1]
Status check_param(const ParamSpec& spec, const AttrValue& value);

inline constexpr int kVariadic = -1;

// The Python class a custom op mirrors, and how its constructor keeps each argument: what the
// get_config() ingot writes for that class (`ingot check`) must save so that cls(**config)
// rebuilds the layer. A parameter not listed is kept as self.<param>, unchanged.
struct PythonClass {
  std::string origin;  // where the class comes from: "rykov8/ssd_keras ssd_layers.py PriorBox"
  struct Saved {
    std::string param;       // an op parameter
    std::string expression;  // the Python expression get_config() saves for it
    std::string why;         // a comment for the reader of the generated method
  };
  std::vector<Saved> saved;
};

struct OpSchema {
  std::string name;
  int version = 1;      // the version this build writes
  int min_version = 1;  // the oldest version this build still reads
  std::string doc;
  std::vector<ParamSpec> params;
  int min_inputs = 1;
  int max_inputs = 1;  // kVariadic: no upper bound
  int num_outputs = 1;
  // Accepts any attributes unchecked: only the stand-ins for unknown custom classes
  // (--keep-unknown) set it.
  bool open_params = false;
  // The outputs depend only on the input shapes and the parameters (priors, anchors): the
  // converter folds them into a constant, keeping the node and its parameters.
  bool shape_only = false;
  // The output size depends on the data (detections): infer gives the largest output, and the
  // kernel trims it with Tensor::shrink. Such outputs may only be graph outputs.
  bool variable_output = false;
  // Set by ops that mirror a known custom Keras class (SSD's PriorBox, AnchorBoxes, ...).
  std::optional<PythonClass> python_class;

  const ParamSpec* find_param(std::string_view name) const;
};

// Checks a node's attributes against a schema: unknown keys, missing required parameters,
// types, ranges, choices and list sizes.
Status check_attrs(const OpSchema& schema, const AttrMap& attrs);

// Integers (and integer lists) where the schema wants floats become floats: a saved config's
// "alpha": 2 or a prototxt's "scale: 2", carried by an opaque stand-in until a plugin's schema
// says what the parameter is. Other values are left for check_attrs.
void widen_ints_to_schema(const OpSchema& schema, AttrMap& attrs);

// Resolves a TensorRef to its constant, in the constant's logical dtype; nullptr if absent.
using TensorLookup = std::function<const Tensor*(std::string_view name)>;

struct KernelArgs {
  std::span<const Tensor* const> inputs;
  // Allocated by the caller with the shapes from infer. Their contents are stale (the runtime
  // reuses arena memory): a kernel must write every output element before reading it.
  std::span<Tensor* const> outputs;
};

// The type-erased form the registry stores.
struct OpDef {
  OpSchema schema;
  // Reads attributes into the op's parameter object; checks them with check_attrs first.
  std::function<Result<std::shared_ptr<const void>>(const AttrMap&, const TensorLookup&)> bind;
  // The shape rule: every semantic check on inputs and parameters lives here.
  std::function<Result<std::vector<TensorInfo>>(const void* params, std::span<const TensorInfo>)>
      infer;
  // Reference kernel; trusts infer and never fails. Empty for ops the runtime handles itself
  // (Input).
  std::function<void(const void* params, const KernelArgs& args)> kernel;
};

namespace detail {

template <class T>
struct ParamTraits;  // C++ member type <-> AttrType

template <>
struct ParamTraits<std::int64_t> {
  static constexpr AttrType type = AttrType::int_;
  static AttrValue to_attr(std::int64_t v) { return v; }
};
template <>
struct ParamTraits<double> {
  static constexpr AttrType type = AttrType::float_;
  static AttrValue to_attr(double v) { return v; }
};
template <>
struct ParamTraits<float> {
  static constexpr AttrType type = AttrType::float_;
  static AttrValue to_attr(float v) { return static_cast<double>(v); }
};
template <>
struct ParamTraits<bool> {
  static constexpr AttrType type = AttrType::bool_;
  static AttrValue to_attr(bool v) { return v; }
};
template <>
struct ParamTraits<std::string> {
  static constexpr AttrType type = AttrType::string;
  static AttrValue to_attr(std::string v) { return v; }
};
template <>
struct ParamTraits<std::vector<std::int64_t>> {
  static constexpr AttrType type = AttrType::int_list;
  static AttrValue to_attr(std::vector<std::int64_t> v) { return v; }
};
template <>
struct ParamTraits<std::vector<double>> {
  static constexpr AttrType type = AttrType::float_list;
  static AttrValue to_attr(std::vector<double> v) { return v; }
};
template <>
struct ParamTraits<std::vector<float>> {
  static constexpr AttrType type = AttrType::float_list;
  static AttrValue to_attr(const std::vector<float>& v) {
    return std::vector<double>(v.begin(), v.end());
  }
};
template <>
struct ParamTraits<std::vector<std::string>> {
  static constexpr AttrType type = AttrType::string_list;
  static AttrValue to_attr(std::vector<std::string> v) { return v; }
};
template <>
struct ParamTraits<Tensor> {
  static constexpr AttrType type = AttrType::tensor;
};

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {
  using type = T;
};

// Stores an already checked attribute value into a member of type M.
template <class M>
Status assign_param(M& out, const AttrValue& value, const TensorLookup& lookup) {
  if constexpr (std::is_same_v<M, Tensor>) {
    const auto& ref = std::get<TensorRef>(value);
    const Tensor* t = lookup ? lookup(ref.name) : nullptr;
    if (t == nullptr) return bad_input("tensor " + quote(ref.name) + " must name a constant, got none of that name");
    out = *t;
  } else if constexpr (std::is_same_v<M, float>) {
    out = static_cast<float>(std::get<double>(value));
  } else if constexpr (std::is_same_v<M, std::vector<float>>) {
    const auto& d = std::get<std::vector<double>>(value);
    out.assign(d.begin(), d.end());
  } else {
    out = std::get<M>(value);
  }
  return {};
}

}  // namespace detail

// The one declaration of an op's parameters: builds the schema's ParamSpecs and reads
// attribute maps into the parameter struct P. Constraint setters apply to the last field added.
template <class P>
class ParamList {
 public:
  template <class M>
  ParamList& required(std::string name, M P::*member, std::string doc) {
    ParamSpec spec = make_spec<M>(std::move(name), std::move(doc));
    spec.required = true;
    return push<M>(std::move(spec), member);
  }

  template <class M>
  ParamList& optional(std::string name, M P::*member, std::type_identity_t<M> default_value,
                      std::string doc) {
    static_assert(!std::is_same_v<M, Tensor>, "tensor parameters have no default; use std::optional");
    ParamSpec spec = make_spec<M>(std::move(name), std::move(doc));
    spec.default_value = detail::ParamTraits<M>::to_attr(std::move(default_value));
    return push<M>(std::move(spec), member);
  }

  // A parameter that may stay unset (std::optional member, never a magic value).
  template <class M>
  ParamList& optional(std::string name, std::optional<M> P::*member, std::string doc) {
    ParamSpec spec = make_spec<M>(std::move(name), std::move(doc));
    specs_.push_back(std::move(spec));
    setters_.push_back([member](P& p, const AttrValue& v, const TensorLookup& lookup) {
      M value{};
      INGOT_TRY(detail::assign_param(value, v, lookup));
      p.*member = std::move(value);
      return Status();
    });
    return *this;
  }

  ParamList& min(double lo) { return last().min = lo, *this; }
  ParamList& max(double hi) { return last().max = hi, *this; }
  ParamList& range(double lo, double hi) { return min(lo).max(hi); }
  ParamList& layer_weights() { return last().layer_weights = true, *this; }
  ParamList& size(std::size_t n) { return size(n, n); }
  ParamList& size(std::size_t lo, std::size_t hi) {
    last().min_size = lo;
    last().max_size = hi;
    return *this;
  }
  ParamList& choices(std::vector<std::string> allowed) {
    last().choices = std::move(allowed);
    return *this;
  }

  const std::vector<ParamSpec>& specs() const { return specs_; }

  // Validates `attrs` against the specs and reads them into a P (defaults filled in).
  Result<P> bind(const AttrMap& attrs, const TensorLookup& lookup, const std::string& op) const {
    OpSchema schema{.name = op, .params = specs_};
    INGOT_TRY(check_attrs(schema, attrs));
    P p{};
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      const ParamSpec& spec = specs_[i];
      auto it = attrs.find(spec.name);
      const AttrValue* value = it != attrs.end() ? &it->second
                               : spec.default_value ? &*spec.default_value
                                                    : nullptr;
      if (value == nullptr) continue;  // optional and unset; check_attrs caught missing required
      INGOT_TRY_CTX(setters_[i](p, *value, lookup), "read parameter " + quote(spec.name));
    }
    return p;
  }

 private:
  template <class M>
  static ParamSpec make_spec(std::string name, std::string doc) {
    ParamSpec spec;
    spec.name = std::move(name);
    spec.type = detail::ParamTraits<M>::type;
    spec.doc = std::move(doc);
    return spec;
  }

  template <class M>
  ParamList& push(ParamSpec spec, M P::*member) {
    specs_.push_back(std::move(spec));
    setters_.push_back([member](P& p, const AttrValue& v, const TensorLookup& lookup) {
      return detail::assign_param(p.*member, v, lookup);
    });
    return *this;
  }

  ParamSpec& last() { return specs_.back(); }

  std::vector<ParamSpec> specs_;
  std::vector<std::function<Status(P&, const AttrValue&, const TensorLookup&)>> setters_;
};

template <class P>
using InferFn = std::function<Result<std::vector<TensorInfo>>(const P&, std::span<const TensorInfo>)>;
template <class P>
using KernelFn = std::function<void(const P&, const KernelArgs&)>;

// Builds the registry entry for an op from its typed parts. `schema.params` is filled from
// `params`; pass a null kernel for ops without one.
template <class P>
OpDef make_op(OpSchema schema, const ParamList<P>& params, InferFn<P> infer, KernelFn<P> kernel) {
  schema.params = params.specs();
  OpDef def;
  def.bind = [params, op = schema.name](const AttrMap& attrs, const TensorLookup& lookup)
      -> Result<std::shared_ptr<const void>> {
    INGOT_ASSIGN_OR_RETURN(P p, params.bind(attrs, lookup, op));
    return std::shared_ptr<const void>(std::make_shared<const P>(std::move(p)));
  };
  def.infer = [infer](const void* p, std::span<const TensorInfo> in) {
    return infer(*static_cast<const P*>(p), in);
  };
  if (kernel) {
    def.kernel = [kernel](const void* p, const KernelArgs& args) {
      kernel(*static_cast<const P*>(p), args);
    };
  }
  def.schema = std::move(schema);
  return def;
}

// Ops by name. Not thread-safe for concurrent add(); add user ops before converting or running.
class OpRegistry {
 public:
  // Rejects duplicate names and schemas that contradict themselves (bad defaults, bounds).
  Status add(OpDef def);
  const OpDef* find(std::string_view name) const;
  std::vector<const OpDef*> all() const;  // sorted by name

 private:
  std::map<std::string, OpDef, std::less<>> ops_;
};

// The registry holding every built-in op (built on first use, no static initializers); user
// ops are added to it at run time with default_registry().add(...).
OpRegistry& default_registry();

}  // namespace ingot
