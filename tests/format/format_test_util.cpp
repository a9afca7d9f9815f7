#include "format/format_test_util.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <iterator>
#include <limits>

#include "ops/registry.h"

namespace ingot::formattest {
namespace {

using I64 = std::int64_t;
constexpr I64 kI64Min = std::numeric_limits<I64>::min();
constexpr I64 kI64Max = std::numeric_limits<I64>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A quiet NaN with a payload, so that bit-exactness is really tested.
double payload_nan() { return std::bit_cast<double>(std::uint64_t{0x7ff8000000000123}); }

struct EveryTypeParams {
  I64 i = 0;
  double f = 0.0;
  bool b = false;
  std::string s;
  std::vector<I64> il;
  std::vector<double> fl;
  std::vector<std::string> sl;
  Tensor weights;
  std::optional<Tensor> extra;
};

OpDef make_every_type_op() {
  using P = EveryTypeParams;
  static const auto params =
      ParamList<P>()
          .optional("i", &P::i, 0, "an int")
          .optional("f", &P::f, 0.0, "a float")
          .optional("b", &P::b, false, "a bool")
          .optional("s", &P::s, std::string(), "a string")
          .optional("il", &P::il, std::vector<I64>{}, "an int list")
          .optional("fl", &P::fl, std::vector<double>{}, "a float list")
          .optional("sl", &P::sl, std::vector<std::string>{}, "a string list")
          .required("weights", &P::weights, "a tensor")
          .optional("extra", &P::extra, "an optional tensor");
  return make_op<P>(
      {.name = "EveryType", .doc = "Identity; carries one parameter of each type."}, params,
      [](const P&, std::span<const TensorInfo> in) -> Result<std::vector<TensorInfo>> {
        return std::vector<TensorInfo>{in[0]};
      },
      nullptr);
}

Tensor i64_tensor(std::vector<I64> values) {
  Tensor t = Tensor::allocate(DType::i64, Shape{static_cast<I64>(values.size())}).value();
  std::memcpy(t.mutable_bytes(), values.data(), values.size() * sizeof(I64));
  return t;
}

Tensor u8_tensor(std::vector<std::uint8_t> values) {
  Tensor t = Tensor::allocate(DType::u8, Shape{static_cast<I64>(values.size())}).value();
  std::memcpy(t.mutable_bytes(), values.data(), values.size());
  return t;
}

// Deterministic, distinct values: enough to catch swapped or shifted payloads.
Tensor ramp(const Shape& shape, float scale) {
  std::vector<float> v(static_cast<std::size_t>(*shape.element_count()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = scale * (static_cast<float>(i) - 3.25f);
  return Tensor::from_floats(shape, v);
}

void add_constant(ir::Graph& g, const std::string& name, const Tensor& t,
                  ir::Storage s = ir::Storage::raw) {
  Status st = g.add_constant(name, t, s);
  EXPECT_TRUE(st.ok()) << st.message();
}

void infer(ir::Graph& g, const OpRegistry& registry) {
  Status st = ir::infer_shapes(g, registry);
  EXPECT_TRUE(st.ok()) << st.message();
}

}  // namespace

const OpRegistry& test_registry() {
  static const OpRegistry registry = [] {
    OpRegistry r = builtin_registry();
    Status st = r.add(make_every_type_op());
    if (!st.ok()) throw std::logic_error(st.message());
    return r;
  }();
  return registry;
}

const OpRegistry& builtin_ops() {
  static const OpRegistry registry = builtin_registry();
  return registry;
}

AttrMap every_type_metadata() {
  return {
      {"b_false", false},
      {"b_true", true},
      {"f_denormal", std::numeric_limits<double>::denorm_min()},
      {"f_inf", -kInf},
      {"f_nan", payload_nan()},
      {"f_neg_zero", -0.0},
      {"fl", std::vector<double>{1.5, -0.0, kInf, payload_nan()}},
      {"fl_empty", std::vector<double>{}},
      {"i_max", kI64Max},
      {"i_min", kI64Min},
      {"il", std::vector<I64>{kI64Min, -1, 0, kI64Max}},
      {"il_empty", std::vector<I64>{}},
      {"s_empty", std::string()},
      {"s_nul", std::string("a\0b", 3)},
      {"s_unicode", std::string("mod\xC3\xA8le \xE2\x9C\x93 \xE6\xA8\xA1\xE5\x9E\x8B")},
      {"sl", std::vector<std::string>{"", "\xC3\xBC", "x"}},
      {"sl_empty", std::vector<std::string>{}},
      {"\xE5\x90\x8D\xE5\x89\x8D", std::string("unicode key")},
  };
}

AttrMap every_type_attrs(const std::string& weights) {
  return {
      {"i", kI64Min},
      {"f", payload_nan()},
      {"b", true},
      {"s", std::string("caf\xC3\xA9 \xE2\x9C\x93")},
      {"il", std::vector<I64>{kI64Min, -1, 0, kI64Max}},
      {"fl", std::vector<double>{-0.0, kInf, -kInf, payload_nan(),
                                 std::numeric_limits<double>::denorm_min(),
                                 std::numeric_limits<double>::max()}},
      {"sl", std::vector<std::string>{"",
                                      "\xC3\xBC"
                                      "ber",
                                      std::string("n\0l", 3)}},
      {"weights", TensorRef{weights}},
  };
}

ir::Graph every_type_graph() {
  ir::Graph g;
  g.metadata = every_type_metadata();
  g.add_input("x", Shape{2, 3});
  g.add_input("y", Shape{4});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  add_constant(
      g, "w32",
      Tensor::from_floats(Shape{2, 3}, std::vector<float>{1.0f, -0.0f, nan, inf, -inf, 1e-45f}));
  add_constant(g, "w16",
               Tensor::from_floats(Shape{4}, std::vector<float>{0.5f, -2.0f, 65504.0f, 1e-7f}),
               ir::Storage::f16);
  add_constant(g, "wi64", i64_tensor({kI64Min, 0, kI64Max}));
  add_constant(g, "wu8", u8_tensor({1, 2, 3, 4, 5}));  // 5 bytes: the next tensor needs padding
  add_constant(g, "empty", Tensor::allocate(DType::f32, Shape{0, 3}).value());
  g.add_node("every", "EveryType", {"x"}, every_type_attrs("w32"));
  // w32 again: one stored tensor referenced by two nodes. Empty lists and strings here.
  g.add_node("every2", "EveryType", {"every"},
             {{"weights", TensorRef{"w32"}},
              {"extra", TensorRef{"wi64"}},
              {"il", std::vector<I64>{}},
              {"fl", std::vector<double>{}},
              {"sl", std::vector<std::string>{}},
              {"s", std::string()},
              {"i", kI64Max},
              {"f", -0.0},
              {"b", false}});
  g.add_node("third", "EveryType", {"y"},
             {{"weights", TensorRef{"w16"}}, {"extra", TensorRef{"empty"}}});
  g.add_node("relu", "ReLU", {"y"}, {{"max_value", 6.0}});
  g.add_output("every2");
  g.add_output("relu");
  g.add_output("third");
  infer(g, test_registry());
  return g;
}

ir::Graph cnn_graph() {
  ir::Graph g;
  g.metadata = {{"source", std::string("test")}, {"classes", I64{5}}};
  g.add_input("image", Shape{1, 6, 6, 2});
  g.add_input("offset", Shape{1, 3, 3, 5});
  add_constant(g, "conv/w", ramp(Shape{4, 2, 3, 3}, 0.01f), ir::Storage::f16);
  add_constant(g, "conv/b", ramp(Shape{4}, 0.1f));
  add_constant(g, "fc/w", ramp(Shape{5, 4}, 0.05f), ir::Storage::codebook8);
  g.add_node("conv", "Conv2D", {"image"},
             {{"weights", TensorRef{"conv/w"}},
              {"bias", TensorRef{"conv/b"}},
              {"pads", std::vector<I64>{1, 1, 1, 1}},
              {"layout", std::string("NHWC")}});
  g.add_node("relu", "ReLU", {"conv"});
  g.add_node("pool", "MaxPool2D", {"relu"},
             {{"kernel", std::vector<I64>{2, 2}}, {"strides", std::vector<I64>{2, 2}}});
  g.add_node("fc", "Dense", {"pool"}, {{"weights", TensorRef{"fc/w"}}});
  g.add_node("sum", "Add", {"fc", "offset"});
  g.add_output("sum");
  g.add_output("relu");
  infer(g, builtin_ops());
  return g;
}

ir::Graph compiled_cnn_graph() {
  ir::Graph g = cnn_graph();
  ir::Compilation c;
  c.target = "test-device";
  c.target_text = "{\"name\": \"test-device\", \"note\": \"any bytes \u00e9\"}";
  c.activations = DType::f16;
  c.accumulation = DType::f32;
  c.weights = ir::Storage::codebook8;
  c.runs = {{true, "convolution run", {"conv", "relu", "pool"}, {"conv", "conv_bn", "relu", "pool"}, 3},
            {false, "", {"fc"}, {"fc"}, 0},
            {true, "", {"sum"}, {"sum"}, 0}};
  g.compilation = std::move(c);
  return g;
}

ir::Graph matrix_graph() {
  ir::Graph g;
  g.metadata = {{"dims", std::vector<I64>{1, 2}},
                {"flag", true},
                {"labels", std::vector<std::string>{"a", "b"}},
                {"producer", std::string("ingot-test")},
                {"ratio", 0.5},
                {"scales", std::vector<double>{0.25}},
                {"version", I64{7}}};
  g.add_input("x", Shape{1, 4});
  g.add_input("y", Shape{1, 3});
  add_constant(g, "fc_w", ramp(Shape{3, 4}, 0.5f));
  add_constant(g, "fc_b", ramp(Shape{3}, 0.25f), ir::Storage::f16);
  g.add_node("fc", "Dense", {"x"}, {{"weights", TensorRef{"fc_w"}}, {"bias", TensorRef{"fc_b"}}});
  g.add_node("sum", "Add", {"fc", "y"});
  g.add_node("relu", "ReLU", {"sum"},
             {{"max_value", 6.0}, {"negative_slope", 0.1}, {"threshold", 0.5}});
  g.add_node("relu2", "ReLU", {"fc"});
  g.add_output("relu");
  g.add_output("relu2");
  infer(g, builtin_ops());
  return g;
}

ir::Graph tiny_graph() {
  ir::Graph g;
  g.metadata = {{"m", I64{1}}};
  g.add_input("x", Shape{2});
  add_constant(g, "k", ramp(Shape{3}, 1.0f));
  g.add_node("r", "ReLU", {"x"}, {{"threshold", 0.25}});
  g.add_output("r");
  infer(g, builtin_ops());
  return g;
}

Bytes serialize_or_die(const ir::Graph& g) {
  auto bytes = format::serialize(g);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? std::move(bytes).value() : Bytes{};
}

Result<ir::Graph> parse(const Bytes& bytes, const OpRegistry& registry) {
  return format::parse_model(bytes, nullptr, registry, "test.ingot");
}

namespace {

void expect_same_attrs(const AttrMap& want, const AttrMap& got, const std::string& where) {
  ASSERT_EQ(want.size(), got.size()) << where;
  for (const auto& [key, value] : want) {
    auto it = got.find(key);
    ASSERT_NE(it, got.end()) << where << ": missing " << key;
    EXPECT_TRUE(attr_bit_equal(value, it->second))
        << where << " " << key << ": " << attr_to_string(value) << " vs "
        << attr_to_string(it->second);
  }
}

}  // namespace

void expect_same_graph(const ir::Graph& want, const ir::Graph& got) {
  expect_same_attrs(want.metadata, got.metadata, "metadata");
  ASSERT_EQ(want.nodes.size(), got.nodes.size());
  for (std::size_t i = 0; i < want.nodes.size(); ++i) {
    const ir::Node& a = want.nodes[i];
    const ir::Node& b = got.nodes[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.op, b.op);
    EXPECT_EQ(a.version, b.version);
    EXPECT_EQ(a.inputs, b.inputs);
    EXPECT_EQ(a.outputs, b.outputs);
    expect_same_attrs(a.attrs, b.attrs, "node " + a.name);
  }
  ASSERT_EQ(want.values.size(), got.values.size());
  for (std::size_t i = 0; i < want.values.size(); ++i) {
    EXPECT_EQ(want.values[i].name, got.values[i].name);
    EXPECT_EQ(want.values[i].info, got.values[i].info) << want.values[i].name;
  }
  EXPECT_EQ(want.inputs, got.inputs);
  EXPECT_EQ(want.outputs, got.outputs);
  ASSERT_EQ(want.compilation.has_value(), got.compilation.has_value());
  if (want.compilation) {
    const ir::Compilation& a = *want.compilation;
    const ir::Compilation& b = *got.compilation;
    EXPECT_EQ(a.target, b.target);
    EXPECT_EQ(a.target_text, b.target_text);
    EXPECT_EQ(a.activations, b.activations);
    EXPECT_EQ(a.accumulation, b.accumulation);
    EXPECT_EQ(a.weights, b.weights);
    ASSERT_EQ(a.runs.size(), b.runs.size());
    for (std::size_t r = 0; r < a.runs.size(); ++r) {
      EXPECT_EQ(a.runs[r].on_device, b.runs[r].on_device) << r;
      EXPECT_EQ(a.runs[r].fusion, b.runs[r].fusion) << r;
      EXPECT_EQ(a.runs[r].nodes, b.runs[r].nodes) << r;
      EXPECT_EQ(a.runs[r].layers, b.runs[r].layers) << r;
      EXPECT_EQ(a.runs[r].tiles, b.runs[r].tiles) << r;
    }
  }
  ASSERT_EQ(want.constants.size(), got.constants.size());
  for (std::size_t i = 0; i < want.constants.size(); ++i) {
    const ir::Constant& a = want.constants[i];
    const ir::Constant& b = got.constants[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.dtype, b.dtype) << a.name;
    EXPECT_EQ(a.storage, b.storage) << a.name;
    EXPECT_TRUE(a.payload.bit_equal(b.payload)) << a.name;
    EXPECT_EQ(a.codebook.empty(), b.codebook.empty()) << a.name;
    if (!a.codebook.empty() && !b.codebook.empty()) {
      EXPECT_TRUE(a.codebook.bit_equal(b.codebook)) << a.name;
    }
  }
}

std::map<std::string, SectionSpan> sections(const Bytes& b) {
  std::map<std::string, SectionSpan> out;
  std::size_t pos = format::kHeaderSize;
  // Version 1 files end their tables with TENS; version 2 files add CMPL.
  const std::size_t count = b.size() >= format::kHeaderSize && get_u32(b, format::kVersionOffset) >= 2 ? 7 : 6;
  for (std::size_t i = 0; i < count && pos + 12 <= b.size(); ++i) {
    SectionSpan s;
    s.header = pos;
    s.begin = pos + format::kSectionHeaderSize;
    s.end = s.begin + get_u64(b, pos + 4);
    out[std::string(reinterpret_cast<const char*>(&b[pos]), 4)] = s;
    pos = s.end;
  }
  return out;
}

std::size_t find_string(const Bytes& b, const std::string& tag, const std::string& text, int nth) {
  const auto all = sections(b);
  auto it = all.find(tag);
  if (it == all.end()) {
    ADD_FAILURE() << "no section " << tag;
    return 0;
  }
  for (std::size_t p = it->second.begin; p + 4 + text.size() <= it->second.end; ++p) {
    if (get_u32(b, p) == text.size() && std::memcmp(&b[p + 4], text.data(), text.size()) == 0 &&
        nth-- == 0) {
      return p;
    }
  }
  ADD_FAILURE() << "no string '" << text << "' in section " << tag;
  return 0;
}

TensorFields tensor_fields(const Bytes& b, const std::string& name) {
  TensorFields f{};
  f.storage = find_string(b, "TENS", name) + 4 + name.size();
  f.dtype = f.storage + 1;
  f.rank = f.dtype + 1;
  f.dims = f.rank + 1;
  f.offset = f.dims + 8 * std::to_integer<std::size_t>(b[f.rank]);
  f.size = f.offset + 8;
  return f;
}

ValueFields value_fields(const Bytes& b, const std::string& name) {
  ValueFields f{};
  f.dtype = find_string(b, "VALU", name) + 4 + name.size();
  f.rank = f.dtype + 1;
  f.dims = f.rank + 1;
  return f;
}

std::uint64_t get_u64(const Bytes& b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i)
    v |= std::uint64_t{std::to_integer<std::uint8_t>(b.at(at + i))} << (8 * i);
  return v;
}

std::uint32_t get_u32(const Bytes& b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v |= std::uint32_t{std::to_integer<std::uint8_t>(b.at(at + i))} << (8 * i);
  return v;
}

void put_u8(Bytes& b, std::size_t at, std::uint8_t v) { b.at(at) = std::byte{v}; }

void put_u32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) b.at(at + i) = static_cast<std::byte>(v >> (8 * i));
}

void put_u64(Bytes& b, std::size_t at, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) b.at(at + i) = static_cast<std::byte>(v >> (8 * i));
}

void put_text(Bytes& b, std::size_t at, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) b.at(at + i) = static_cast<std::byte>(text[i]);
}

void refresh(Bytes& b) {
  put_u64(b, format::kFileSizeOffset, b.size());
  put_u64(b, format::kChecksumOffset, format::file_checksum(b));
}

void write_bytes(const std::string& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  ASSERT_TRUE(out.good()) << path;
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes b(chars.size());
  if (!chars.empty()) std::memcpy(b.data(), chars.data(), chars.size());
  return b;
}

TempDir::TempDir(const std::string& name) {
  static std::atomic<int> counter{0};
  path_ =
      std::filesystem::temp_directory_path() /
      ("ingot_format_" + name + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> TempDir::entries() const {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(path_))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ingot::formattest
