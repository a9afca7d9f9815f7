// `ingot compile --emit dv-sdk`: the DV700 network for DMP's dv-sdk.
//
// The vendor converter's own outputs (../shared/dv700-reference) are the reference: for every
// case it converted, ingot's weights file must be the vendor's byte for byte and every command
// field of ingot's _gen.cpp must equal the vendor's (both files parsed; formatting and comments
// differ). The cases the vendor tool fails on or empties are checked against the rules those
// fields follow (see DvSdkRules below), and every generated file must compile against
// stand-ins of the dv-sdk headers (tests/fixtures/dv-sdk).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "core/fp16.h"
#include "e2e/bench_models.h"
#include "e2e/cli_util.h"
#include "e2e/shared_dir.h"
#include "format/format.h"
#include "ir/passes.h"
#include "target/dv700/network.h"

namespace ingot {
namespace {

namespace fs = std::filesystem;
using testing::ingot;
using testing::TempDir;

using Fields = std::map<std::string, std::string>;  // "conf.run[0].m" -> "16"

struct Parsed {
  std::map<int, Fields> layers;         // Layer_N() bodies
  std::vector<std::string> initialize;  // the calls of Initialize(), e.g. "ReserveMemory(480, 832)"
};

// Every `lhs = value;` inside each Layer_N() body, and the calls in Initialize().
Parsed parse_source(const std::string& text) {
  Parsed p;
  static const std::regex layer_start(R"(^void C\w+::Layer_(\d+)\(\))");
  static const std::regex assignment(R"(^\s*([A-Za-z_][\w.\[\]]*)\s*=\s*(.*?);)");
  static const std::regex call(
      R"(^\s*(?:if \(!)?((?:ReserveMemory|set_num_layers|set_num_output_layers)\([^)]*\)))");
  std::istringstream lines(text);
  int layer = -1;
  bool in_init = false;
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, layer_start)) {
      layer = std::stoi(m[1]);
      p.layers[layer];
      continue;
    }
    if (line.find("::Initialize()") != std::string::npos) in_init = true;
    if (!line.empty() && line[0] == '}') {
      layer = -1;
      in_init = false;
      continue;
    }
    if (in_init && std::regex_search(line, m, call)) p.initialize.push_back(m[1]);
    if (layer >= 0 && std::regex_search(line, m, assignment)) {
      const std::string key = m[1];
      if (key.find("header.") != std::string::npos)
        continue;  // sizeof() and the struct version: same code
      p.layers[layer][key] = m[2];
    }
  }
  return p;
}

// The layer table rows of the header: "ID | name | type | dim in | dim out | mem".
std::vector<std::string> parse_tables(const std::string& header) {
  std::vector<std::string> rows;
  static const std::regex row(
      R"(^\s*\| ([0-9-]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| - \| ([^|]+) \|)");
  std::istringstream lines(header);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      rows.push_back(std::string(m[1]) + "|" + std::string(m[2]) + "|" + std::string(m[3]) + "|" +
                     std::string(m[4]) + "|" + std::string(m[5]) + "|" + std::string(m[6]));
    }
  }
  return rows;
}

std::vector<std::uint8_t> bytes_of(const fs::path& p) {
  const std::string s = testing::slurp(p);
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

fs::path models() { return *testing::shared_dir() / "models"; }
fs::path reference() { return *testing::shared_dir() / "dv700-reference"; }

struct Case {
  const char* name;   // the vendor's network name and folder
  const char* model;  // under ../shared/models; empty: the bench MobileNet v1
  const char* extra;  // more convert arguments ('@': under ../shared/models)
};

// ctest lists the case by name, not as bytes.
[[maybe_unused]] void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::string convert_args(const Case& c, const TempDir& tmp) {
  if (c.model[0] == 0) return testing::mobilenet_h5(tmp);
  std::string args = (models() / c.model).string();
  std::istringstream words(c.extra);
  for (std::string w; words >> w;)
    args += " " + (w[0] == '@' ? (models() / w.substr(1)).string() : w);
  return args;
}

// Converts the model and writes its dv-sdk network into tmp/<name>; returns that folder.
fs::path emit(const Case& c, const TempDir& tmp, const std::string& flags) {
  const std::string model = tmp / (std::string(c.name) + ".ingot");
  auto conv = ingot("convert " + convert_args(c, tmp) + " -o " + model);
  EXPECT_EQ(conv.exit_code, 0) << conv.err;
  const fs::path dir = tmp / c.name;
  auto r = ingot("compile " + model + " --target dv700 --emit dv-sdk --name " + c.name + " " +
                 flags + " -o " + dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir;
}

// g++ -fsyntax-only of a generated network against the stand-in dv-sdk headers.
void expect_compiles(const fs::path& dir, const std::string& name) {
  const std::string cmd = "g++ -std=c++11 -fsyntax-only -Wall -Wextra -Werror -I " +
                          std::string(INGOT_FIXTURES_DIR) + "/dv-sdk -I " + dir.string() + " " +
                          (dir / (name + "_gen.cpp")).string();
  const auto r = testing::run_command(cmd);
  EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
}

const Case kConverted[] = {
    {"Dl4jCnnBatchNorm", "dl4j-cnn-batchnorm-io/cnn_batch_norm.h5", ""},
    {"SegNetBasic", "dmp-segnet-basic/SegNet_Basic.hdf5", ""},
    {"Fer2013MiniXception", "fer2013-mini-xception/fer2013_mini_XCEPTION.102-0.66.hdf5", ""},
    {"KerasMobileNetV1", "", ""},
};

class DvSdkReference : public ::testing::TestWithParam<Case> {};

// Byte for byte and field for field the vendor's output. --vendor-compat: the one place ingot
// departs from the vendor by default (Dense weights after a device-side Flatten) is tested
// separately below.
TEST_P(DvSdkReference, WeightsAndEveryCommandFieldEqualTheVendors) {
  INGOT_REQUIRE_SHARED("dv-sdk reference test");
  const Case& c = GetParam();
  TempDir tmp(std::string("dv-") + c.name);
  const fs::path dir = emit(c, tmp, "--vendor-compat");
  const fs::path ref = reference() / c.name;
  const std::string name = c.name;
  const auto ours_w = bytes_of(dir / (name + "_weights.bin")),
             ref_w = bytes_of(ref / (name + "_weights.bin"));
  ASSERT_EQ(ours_w.size(), ref_w.size());
  std::size_t first_diff = ours_w.size();
  for (std::size_t i = 0; i < ours_w.size() && first_diff == ours_w.size(); ++i) {
    if (ours_w[i] != ref_w[i]) first_diff = i;
  }
  EXPECT_EQ(first_diff, ours_w.size()) << "weights differ first at byte " << first_diff;

  const Parsed ours = parse_source(testing::slurp(dir / (name + "_gen.cpp")));
  const Parsed theirs = parse_source(testing::slurp(ref / (name + "_gen.cpp")));
  EXPECT_EQ(ours.initialize, theirs.initialize);
  ASSERT_EQ(ours.layers.size(), theirs.layers.size());
  std::size_t compared = 0;
  for (const auto& [layer, fields] : theirs.layers) {
    const Fields& mine = ours.layers.at(layer);
    for (const auto& [key, value] : fields) {
      const auto it = mine.find(key);
      ASSERT_NE(it, mine.end()) << "Layer_" << layer << " lacks " << key;
      EXPECT_EQ(it->second, value) << "Layer_" << layer << " " << key;
      ++compared;
    }
    for (const auto& [key, _] : mine)
      EXPECT_TRUE(fields.count(key))
          << "Layer_" << layer << " sets " << key << " the vendor does not";
  }
  EXPECT_GT(compared, 10 * theirs.layers.size());
  EXPECT_EQ(parse_tables(testing::slurp(dir / (name + "_gen.h"))),
            parse_tables(testing::slurp(ref / (name + "_gen.h"))));
  expect_compiles(dir, name);
  // The stand-in headers hold what the vendor's code needs too.
  expect_compiles(ref, name);
}

INSTANTIATE_TEST_SUITE_P(Cases, DvSdkReference, ::testing::ValuesIn(kConverted),
                         [](const auto& info) { return std::string(info.param.name); });

// Without --vendor-compat, the one difference: dense_1 reads the 6x6x1 map of conv2d_2 as the
// device stores it (x-major, dv-sdk's WHC8 layout), so its 36 weights are reordered from
// Keras' HWC order; every other byte, and every field, stays the vendor's.
TEST(DvSdkDefaults, DenseAfterDeviceFlattenReadsTheDeviceOrder) {
  INGOT_REQUIRE_SHARED("dv-sdk reference test");
  TempDir tmp("dv-dl4j-default");
  const Case c = kConverted[0];
  const fs::path dir = emit(c, tmp, "");
  const auto ours = bytes_of(dir / "Dl4jCnnBatchNorm_weights.bin");
  const auto ref = bytes_of(reference() / "Dl4jCnnBatchNorm" / "Dl4jCnnBatchNorm_weights.bin");
  ASSERT_EQ(ours.size(), ref.size());
  // dense_1's run starts at 320 (its weight_buf.offs): 16 bytes of bias, then the 1x1 tile.
  for (std::size_t i = 0; i < 336; ++i) ASSERT_EQ(ours[i], ref[i]) << "byte " << i;
  const auto half_at = [](const std::vector<std::uint8_t>& b, std::size_t slot_row,
                          std::size_t slot_col) {
    const std::size_t at = 336 + 2 * (slot_row * 6 + slot_col);
    return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
  };
  // Input channel i of a 1x1 tile sits at row 11 - (i%8)/2*3 - (i%64/8)/3, column
  // (i%8)%2*3 + (i%64/8)%3 (docs/dv700.md). Device channel k = x*6 + y holds Keras' y*6 + x.
  const auto slot = [](int i) {
    return std::pair<int, int>{11 - i % 8 / 2 * 3 - i % 64 / 8 / 3, i % 8 % 2 * 3 + i % 64 / 8 % 3};
  };
  int moved = 0;
  for (int x = 0; x < 6; ++x) {
    for (int y = 0; y < 6; ++y) {
      const auto [dr, dc] = slot(x * 6 + y);
      const auto [kr, kc] = slot(y * 6 + x);
      EXPECT_EQ(half_at(ours, dr, dc), half_at(ref, kr, kc)) << "x " << x << " y " << y;
      moved += x != y;
    }
  }
  EXPECT_EQ(moved, 30);
  EXPECT_EQ(
      parse_source(testing::slurp(dir / "Dl4jCnnBatchNorm_gen.cpp")).layers,
      parse_source(testing::slurp(reference() / "Dl4jCnnBatchNorm" / "Dl4jCnnBatchNorm_gen.cpp"))
          .layers);
}

}  // namespace
}  // namespace ingot

namespace ingot {
namespace {

// -- the cases the vendor tool fails on (MnistFunctionalKeras28: a Keras 2.8 file; CaffeLeNet)
// or writes empty (CaffeCifar10Full: a V1 prototxt). No vendor output to compare with, so each
// is checked against the rules the vendor's outputs follow, with the model as the reference:
//  1. every convolution command reads its input dims (w, h, c) and offsets from the layer
//     record, and its run's kernel, stride, pads, output channels and grouping are the model
//     layer's (found by the name in the header's layer table);
//  2. the runs' weight offsets are the running sum of the table's Mem column, which adds up to
//     ReserveMemory's weight size and the weights file's size;
//  3. the weights decoded from the file (the tile layout of docs/dv700.md, which the converted
//     cases pin to the vendor's bytes) are the model's, batch norm folded in double, within
//     fp16 rounding (half an ulp: 2^-11 relative, 2^-25 absolute below fp16's normal range,
//     plus 2^-22 relative for the float32 step the vendor's arithmetic takes); a Dense's
//     weights are compared as a multiset, since they may be reordered (DvSdkDefaults);
//  4. I/O buffer: outputs lie inside ReserveMemory's I/O size, each layer reads the output of
//     an earlier layer (or the network input), and no output overlaps a buffer still to be
//     read;
//  5. output_size is 2 bytes per element (4 for an fp32 host layer).

struct Row {
  std::string id, name, type, mem;
};

std::vector<Row> table_rows(const std::string& header) {
  std::vector<Row> rows;
  for (const std::string& r : parse_tables(header)) {
    std::vector<std::string> f;
    std::stringstream ss(r);
    for (std::string part; std::getline(ss, part, '|');) f.push_back(part);
    rows.push_back({f[0], f[1], f[2], f[5]});
  }
  return rows;
}

std::int64_t field(const Fields& f, const std::string& key) {
  const auto it = f.find(key);
  EXPECT_NE(it, f.end()) << key;
  if (it == f.end()) return -1;
  return std::stoll(it->second, nullptr, 0);
}

std::vector<std::int64_t> call_args(const std::vector<std::string>& calls, const std::string& fn) {
  for (const auto& c : calls) {
    if (c.rfind(fn + "(", 0) != 0) continue;
    std::vector<std::int64_t> args;
    std::stringstream ss(c.substr(fn.size() + 1));
    for (std::string a; std::getline(ss, a, ',');) args.push_back(std::stoll(a));
    return args;
  }
  ADD_FAILURE() << "no call of " << fn;
  return {};
}

// Decodes one run's fp16 stream: bias[m] and W[m][c][p][p] (p = max(kx, ky) | 1).
struct Decoded {
  std::vector<float> bias, w;
};

Decoded decode_run(const std::vector<std::uint8_t>& file, std::size_t at, std::int64_t m,
                   std::int64_t c, std::int64_t p) {
  const auto half = [&](std::size_t i) {
    return half_to_float(static_cast<std::uint16_t>(file.at(i) | (file.at(i + 1) << 8)));
  };
  Decoded d;
  d.bias.resize(static_cast<std::size_t>(m));
  d.w.resize(static_cast<std::size_t>(m * c * p * p));
  const auto w = [&](std::int64_t o, std::int64_t i, std::int64_t y, std::int64_t x) -> float& {
    return d.w[static_cast<std::size_t>(((o * c + i) * p + y) * p + x)];
  };
  std::size_t pos = at;
  const auto tile = [&](int row, int col) {
    return half(pos + static_cast<std::size_t>(2 * (row * 6 + col)));
  };
  for (std::int64_t m0 = 0; m0 < m; m0 += 8) {
    for (std::int64_t o = m0; o < std::min(m0 + 8, m); ++o)
      d.bias[static_cast<std::size_t>(o)] = half(pos + static_cast<std::size_t>(2 * (o - m0)));
    pos += 16;
    const std::int64_t group = p == 1 ? 64 : 8;
    for (std::int64_t c0 = 0; c0 < c; c0 += group) {
      const std::int64_t c1 = std::min(c0 + group, c);
      for (std::int64_t o = m0; o < std::min(m0 + 8, m); ++o) {
        if (p == 7) {
          for (std::int64_t i = c0; i < c1; ++i, pos += 144) {
            for (int y = 0; y < 7; ++y) {
              for (int x = 0; x < 6; ++x) w(o, i, y, x) = tile(5 + y, x);
            }
            w(o, i, 0, 6) = tile(2, 5);
            for (int y = 0; y < 3; ++y) {
              w(o, i, y + 1, 6) = tile(y, 3);
              w(o, i, y + 4, 6) = tile(y, 0);
            }
          }
        } else if (p == 5) {
          for (std::int64_t i = c0; i < c1; i += 2, pos += 144) {
            for (std::int64_t j = i; j < std::min(i + 2, c1); ++j) {
              for (int y = 0; y < 5; ++y) {
                for (int x = 0; x < 5; ++x) w(o, j, y, x) = tile((j == i ? 7 : 1) + y, x);
              }
            }
          }
        } else if (p == 3) {
          for (std::int64_t i = c0; i < c1; ++i) {
            const int s = static_cast<int>(i % 8);
            for (int y = 0; y < 3; ++y) {
              for (int x = 0; x < 3; ++x) w(o, i, y, x) = tile(9 - s / 2 * 3 + y, s % 2 * 3 + x);
            }
          }
          pos += 144;
        } else {
          for (std::int64_t i = c0; i < c1; ++i) {
            const int t = static_cast<int>(i % 8), g = static_cast<int>(i % 64 / 8);
            w(o, i, 0, 0) = tile(11 - t / 2 * 3 - g / 3, t % 2 * 3 + g % 3);
          }
          pos += 144;
        }
      }
    }
  }
  return d;
}

bool near_fp16(double got, double want) {
  return std::fabs(got - want) <=
         std::fabs(want) * (std::ldexp(1.0, -11) + std::ldexp(1.0, -22)) + std::ldexp(1.0, -25);
}

// The model's weights of a Conv2D or Dense node as the device stores them ([m][c][p][p]) and
// its bias, with a following BatchNorm folded in double.
struct Expected {
  std::int64_t m = 0, c = 0, p = 1, kx = 1, ky = 1, groups = 1;
  std::vector<double> w, bias;
  std::vector<std::int64_t> strides{1, 1}, pads{0, 0, 0, 0};
};

Expected expected_weights(const ir::Graph& g, const ir::Node& n) {
  ir::ConstantCache cache(g);
  const auto tensor = [&](const ir::Node& node, const char* key) -> const Tensor* {
    const auto it = node.attrs.find(key);
    if (it == node.attrs.end()) return nullptr;
    return cache.find(std::get<TensorRef>(it->second).name);
  };
  Expected e;
  const Tensor* w = tensor(n, "weights");
  const Tensor* b = tensor(n, "bias");
  const auto& s = w->shape();
  e.m = s[0];
  e.c = s[1];
  if (n.op == "Conv2D") {
    e.ky = s[2];
    e.kx = s[3];
    e.groups = std::get<std::int64_t>(n.attrs.at("groups"));
    e.strides = std::get<std::vector<std::int64_t>>(n.attrs.at("strides"));
    e.pads = std::get<std::vector<std::int64_t>>(n.attrs.at("pads"));
    // A zero padding before the convolution (Keras ZeroPadding2D) is part of its padding.
    for (const auto& pad : g.nodes) {
      if (pad.op != "Pad" || pad.outputs[0] != n.inputs[0]) continue;
      const auto& amounts =
          std::get<std::vector<std::int64_t>>(pad.attrs.at("pads"));  // begins, then ends; NHWC
      e.pads[0] += amounts[1];
      e.pads[1] += amounts[2];
      e.pads[2] += amounts[5];
      e.pads[3] += amounts[6];
    }
  }
  e.p = std::max(e.kx, e.ky) | 1;
  e.w.assign(static_cast<std::size_t>(e.m * e.c * e.p * e.p), 0.0);
  for (std::int64_t o = 0; o < e.m; ++o) {
    for (std::int64_t i = 0; i < e.c; ++i) {
      for (std::int64_t y = 0; y < e.ky; ++y) {
        for (std::int64_t x = 0; x < e.kx; ++x) {
          e.w[static_cast<std::size_t>(((o * e.c + i) * e.p + y + (e.p - e.ky)) * e.p + x)] =
              w->data<float>()[static_cast<std::size_t>(((o * e.c + i) * e.ky + y) * e.kx + x)];
        }
      }
    }
  }
  e.bias.assign(static_cast<std::size_t>(e.m), 0.0);
  if (b != nullptr) {
    for (std::int64_t o = 0; o < e.m; ++o)
      e.bias[static_cast<std::size_t>(o)] = b->data<float>()[static_cast<std::size_t>(o)];
  }
  // A BatchNorm reading this node's output folds in.
  for (const auto& bn : g.nodes) {
    if (bn.op != "BatchNorm" || bn.inputs[0] != n.outputs[0]) continue;
    const Tensor *mean = tensor(bn, "mean"), *var = tensor(bn, "variance"),
                 *gamma = tensor(bn, "scale"), *beta = tensor(bn, "offset");
    const double eps = std::get<double>(bn.attrs.at("epsilon"));
    const std::size_t per = static_cast<std::size_t>(e.c * e.p * e.p);
    for (std::size_t o = 0; o < static_cast<std::size_t>(e.m); ++o) {
      const double f =
          (gamma ? gamma->data<float>()[o] : 1.0) / std::sqrt(double(var->data<float>()[o]) + eps);
      for (std::size_t j = 0; j < per; ++j) e.w[o * per + j] *= f;
      e.bias[o] = (e.bias[o] - mean->data<float>()[o]) * f + (beta ? beta->data<float>()[o] : 0.0);
    }
  }
  return e;
}

const Case kVendorFails[] = {
    {"MnistFunctionalKeras28", "mnist-functional-keras28/model_qg_exp_original.hdf5", ""},
    {"CaffeLeNet", "caffe-lenet/lenet.prototxt",
     "--weights @caffe-lenet/lenet_iter_10000.caffemodel"},
    {"CaffeCifar10Full", "caffe-cifar10-full-v1/cifar10_full.prototxt",
     "--weights @caffe-cifar10-full-v1/cifar10_full_iter_70000.caffemodel"},
};

class DvSdkRules : public ::testing::TestWithParam<Case> {};

TEST_P(DvSdkRules, FieldsAndWeightsFollowTheVendorsRulesAndTheModel) {
  INGOT_REQUIRE_SHARED("dv-sdk rules test");
  const Case& c = GetParam();
  TempDir tmp(std::string("dv-rules-") + c.name);
  const fs::path dir = emit(c, tmp, "");
  const std::string name = c.name;
  auto graph = format::read_model(tmp / (name + ".ingot"), default_registry());
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  const Parsed src = parse_source(testing::slurp(dir / (name + "_gen.cpp")));
  const auto rows = table_rows(testing::slurp(dir / (name + "_gen.h")));
  const auto file = bytes_of(dir / (name + "_weights.bin"));
  const auto reserve = call_args(src.initialize, "ReserveMemory");
  ASSERT_EQ(reserve.size(), 2u);
  EXPECT_EQ(reserve[0], static_cast<std::int64_t>(file.size()));  // rule 2
  EXPECT_EQ(call_args(src.initialize, "set_num_layers").at(0),
            static_cast<std::int64_t>(src.layers.size()));
  ASSERT_FALSE(src.layers.empty());

  std::int64_t weight_offset = 0;
  std::size_t conv_runs = 0;
  // Rule 4 on the layers' (input offset, output region): each input is the output of the last
  // earlier layer that wrote at that offset, and no layer in between overwrites any of it.
  std::vector<std::pair<std::int64_t, std::int64_t>> outputs;  // per layer: offset, size
  for (const auto& [index, f] : src.layers)
    outputs.emplace_back(field(f, "layer.output_offs"), field(f, "layer.output_size"));
  const auto check_read = [&](int reader, std::int64_t offs) {
    int producer = -1;
    for (int j = reader - 1; j >= 0 && producer < 0; --j) {
      if (outputs[static_cast<std::size_t>(j)].first == offs) producer = j;
    }
    if (producer < 0) {
      EXPECT_EQ(reader, 0) << "Layer_" << reader << " reads offset " << offs
                           << ", which no earlier layer wrote";
      return;
    }
    const auto [p_offs, p_size] = outputs[static_cast<std::size_t>(producer)];
    for (int k = producer + 1; k < reader; ++k) {
      const auto [k_offs, k_size] = outputs[static_cast<std::size_t>(k)];
      EXPECT_FALSE(k_offs < p_offs + p_size && p_offs < k_offs + k_size)
          << "Layer_" << k << " overwrites the output of Layer_" << producer << " before Layer_"
          << reader << " reads it";
    }
  };
  for (const auto& [index, f] : src.layers) {
    const std::string type = f.at("layer.type");
    const std::int64_t in_offs = field(f, "layer.input_offs"),
                       out_offs = field(f, "layer.output_offs");
    const std::int64_t out_size = field(f, "layer.output_size");
    std::int64_t elements = 1;
    for (int d = 0; d < field(f, "layer.output_dim_size"); ++d)
      elements *= field(f, "layer.output_dim[" + std::to_string(d) + "]");
    EXPECT_EQ(out_size, elements * (f.at("layer.is_f32_output") == "true" ? 4 : 2))
        << "Layer_" << index;                                         // rule 5
    EXPECT_LE(out_offs + out_size, reserve[1]) << "Layer_" << index;  // rule 4
    check_read(index, in_offs);
    if (f.count("conf.output_mode") && f.at("conf.output_mode") == "1")
      check_read(index, field(f, "conf.eltwise_buf.offs"));
    if (type != "LT_CONV") continue;
    EXPECT_EQ(field(f, "conf.w"), field(f, "layer.input_dim[0]"));  // rule 1
    EXPECT_EQ(field(f, "conf.h"), field(f, "layer.input_dim[1]"));
    EXPECT_EQ(field(f, "conf.c"), field(f, "layer.input_dim[2]"));
    EXPECT_EQ(field(f, "conf.input_buf.offs"), in_offs);
    EXPECT_EQ(field(f, "conf.output_buf.offs"), out_offs);
    for (int r = 0; f.count("conf.run[" + std::to_string(r) + "].m"); ++r) {
      const std::string run = "conf.run[" + std::to_string(r) + "].";
      EXPECT_EQ(field(f, run + "weight_buf.offs"), weight_offset)
          << "Layer_" << index << " run " << r;  // rule 2
      if (field(f, run + "conv_enable") == 0) continue;
      const std::string id = std::to_string(index) + "-" + std::to_string(r);
      const auto row = std::find_if(rows.begin(), rows.end(), [&](const Row& x) {
        return x.id == id && x.type != "Pooling";
      });
      ASSERT_NE(row, rows.end()) << id;
      // Keras' SeparableConv2D X is "X/depthwise" then "X" in the graph, X and X_point here.
      const ir::Node* node = graph->find_node(row->name + "/depthwise");
      if (node == nullptr && row->name.ends_with("_point"))
        node = graph->find_node(row->name.substr(0, row->name.size() - 6));
      if (node == nullptr) node = graph->find_node(row->name);
      ASSERT_NE(node, nullptr) << row->name;
      const Expected e = expected_weights(*graph, *node);
      EXPECT_EQ(field(f, run + "m"), e.m) << row->name;
      EXPECT_EQ(field(f, run + "conv_enable"), e.groups > 1 ? 3 : 1) << row->name;
      EXPECT_EQ(field(f, run + "p"), e.kx | (e.kx != e.ky ? e.ky << 8 : 0)) << row->name;
      EXPECT_EQ(field(f, run + "conv_stride"), e.strides[1] | (e.strides[0] << 8)) << row->name;
      // pads are top, left, bottom, right in the graph; left | right | top | bottom on the device
      EXPECT_EQ(field(f, run + "conv_pad"),
                e.pads[1] | (e.pads[3] << 8) | (e.pads[0] << 16) | (e.pads[2] << 24))
          << row->name;
      const std::int64_t mem = std::stoll(row->mem);
      ASSERT_LE(static_cast<std::size_t>(weight_offset + mem), file.size());
      const Decoded d =
          decode_run(file, static_cast<std::size_t>(weight_offset), e.m, e.c, e.p);  // rule 3
      for (std::size_t o = 0; o < d.bias.size(); ++o)
        EXPECT_TRUE(near_fp16(d.bias[o], e.bias[o])) << row->name << " bias " << o;
      if (node->op == "Dense") {
        std::vector<float> got(d.w.begin(), d.w.end()), want;
        for (double v : e.w) want.push_back(half_to_float(float_to_half(static_cast<float>(v))));
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
        EXPECT_EQ(got, want) << row->name;
      } else {
        std::size_t bad = 0;
        for (std::size_t i = 0; i < d.w.size(); ++i) bad += near_fp16(d.w[i], e.w[i]) ? 0 : 1;
        EXPECT_EQ(bad, 0u) << row->name << ": " << bad << " of " << d.w.size() << " weights off";
      }
      weight_offset += mem;
      ++conv_runs;
    }
  }
  EXPECT_EQ(weight_offset, reserve[0]);
  EXPECT_GE(conv_runs, 3u);
  expect_compiles(dir, name);
}

INSTANTIATE_TEST_SUITE_P(VendorFails, DvSdkRules, ::testing::ValuesIn(kVendorFails),
                         [](const auto& info) { return std::string(info.param.name); });
// The converted cases too: their outputs are the vendor's (DvSdkReference), so this checks the
// rules themselves against the vendor.
INSTANTIATE_TEST_SUITE_P(VendorConverted, DvSdkRules, ::testing::ValuesIn(kConverted),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace ingot

#include "target/target_test_util.h"

namespace ingot {
namespace {

// A model written with the C++ API (no ../shared needed) for the command's error paths.
std::string write_model(const TempDir& tmp, const ir::Graph& g, const std::string& name) {
  const std::string path = tmp / name;
  const Status st = format::write_model(path, g, default_registry());
  EXPECT_TRUE(st.ok()) << st.message();
  return path;
}

TEST(DvSdkCli, ErrorsNameTheProblemAndWriteNothing) {
  TempDir tmp("dv-cli-errors");
  targettest::GraphBuilder ok(Shape{1, 8, 8, 8});
  ok.conv("conv", 8, 3, 1, 1).relu("relu");
  const std::string model = write_model(tmp, ok.done(), "ok.ingot");

  auto other_target =
      ingot("compile " + model + " --target fp16-accelerator --emit dv-sdk -o " + (tmp / "a"));
  EXPECT_EQ(other_target.exit_code, 1);
  EXPECT_NE(other_target.err.find("--target dv700"), std::string::npos) << other_target.err;
  auto host =
      ingot("compile " + model + " --target dv700 --emit dv-sdk --host conv -o " + (tmp / "a"));
  EXPECT_EQ(host.exit_code, 1);
  EXPECT_NE(host.err.find("--host"), std::string::npos) << host.err;
  auto name =
      ingot("compile " + model + " --target dv700 --emit dv-sdk --name 2x-net -o " + (tmp / "a"));
  EXPECT_EQ(name.exit_code, 1);
  EXPECT_NE(name.err.find("C identifier"), std::string::npos) << name.err;
  auto stray = ingot("compile " + model + " --target dv700 --report -o " + (tmp / "a.ingot"));
  EXPECT_EQ(stray.exit_code, 1);
  EXPECT_FALSE(fs::exists(tmp / "a"));
  EXPECT_FALSE(fs::exists(tmp / "a.ingot"));

  // A 9x9 kernel breaks dv700's kernel <= 7: exit 7, the layer named, no folder.
  targettest::GraphBuilder wide(Shape{1, 16, 16, 8});
  wide.conv("wide", 8, 9, 1, 4);
  const std::string too_wide = write_model(tmp, wide.done(), "wide.ingot");
  auto limits = ingot("compile " + too_wide + " --target dv700 --emit dv-sdk -o " + (tmp / "w"));
  EXPECT_EQ(limits.exit_code, 7) << limits.err;
  EXPECT_NE(limits.err.find("layer 'wide'"), std::string::npos) << limits.err;
  EXPECT_FALSE(fs::exists(tmp / "w"));

  // The output folder cannot be made (a file is in the way): an i/o error, nothing beside it.
  { std::ofstream(tmp / "taken") << "x"; }
  auto blocked = ingot("compile " + model + " --target dv700 --emit dv-sdk -o " + (tmp / "taken"));
  EXPECT_EQ(blocked.exit_code, 5) << blocked.err;
  EXPECT_NE(blocked.err.find("taken"), std::string::npos) << blocked.err;
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 3u);  // ok.ingot, wide.ingot, taken

  // And the good case, through convert's one step as well as compile.
  auto good =
      ingot("compile " + model + " --target dv700 --emit dv-sdk --report -o " + (tmp / "net"));
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("dv-sdk network Cok: 1 layers (1 device, 0 host)"), std::string::npos)
      << good.out;
  EXPECT_TRUE(fs::exists(tmp.path() / "net" / "ok_gen.cpp"));
  expect_compiles(tmp.path() / "net", "ok");
}

}  // namespace
}  // namespace ingot

namespace ingot {
namespace {

// A real SSD detector (Caffe YuFaceDetectNet: Normalize, PriorBox, DetectionOutput), which the
// vendor tool cannot convert: its host layers get typed structs (Normalize's per-channel scale
// as a float list; DetectionOutput's three inputs listed), and the code compiles.
TEST(DvSdkSsd, DetectorHostLayersCarryTheirParametersAndInputs) {
  INGOT_REQUIRE_SHARED("dv-sdk SSD test");
  TempDir tmp("dv-ssd");
  const Case c{"YuFace", "caffe-yufacedetectnet-ssd/yufacedetectnet-open-v2.prototxt",
               "--weights @caffe-yufacedetectnet-ssd/yufacedetectnet-open-v2.caffemodel"};
  const fs::path dir = emit(c, tmp, "");
  const std::string header = testing::slurp(dir / "YuFace_gen.h");
  const std::string source = testing::slurp(dir / "YuFace_gen.cpp");
  EXPECT_NE(header.find("struct custom_param_DetectionOutput {"), std::string::npos);
  EXPECT_NE(header.find("struct custom_param_CaffeNormalize {"), std::string::npos);
  EXPECT_NE(header.find("struct custom_param_CaffePriorBox {"), std::string::npos);
  EXPECT_NE(header.find("  const float* scale;"), std::string::npos);  // Normalize's per-channel scale
  EXPECT_NE(source.find("3,  // input_count"), std::string::npos);    // DetectionOutput: loc, conf, priors
  EXPECT_NE(source.find("\"CENTER_SIZE\",  // code_type"), std::string::npos);
  const Parsed p = parse_source(source);
  const auto& last = p.layers.rbegin()->second;
  EXPECT_EQ(last.at("layer.name"), "\"detection_out\"");
  EXPECT_EQ(last.at("layer.type"), "LT_CUSTOM");
  EXPECT_EQ(last.at("layer.is_f32_output"), "true");
  expect_compiles(dir, "YuFace");
}

}  // namespace
}  // namespace ingot
