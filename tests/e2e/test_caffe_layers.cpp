// Caffe layers composed from IR ops (Crop, Tile, Exp, Log, Bias, Scale with a second bottom,
// Reduction, MVN, BatchNorm with the batch's statistics): each case of
// tests/fixtures/caffe-layers/ (scripts/gen_caffe_layer_refs.py) is converted and run, and its
// output compared with OpenCV DNN 4.6 or, where OpenCV lacks the layer or departs from Caffe, a
// numpy reference of the Caffe layer's documented behaviour. Then each layer's parameters are
// accepted or rejected with an error naming the layer and the field.
//
// Tolerance: |ingot - reference| <= 1e-5 * max(1, max |reference|). ingot computes in float32
// with its own order of operations (sums as ReduceMean times the count, exp(ln(base) * x)), the
// references in float32 (OpenCV) or float64 rounded once (numpy); measured at most 3e-7 of the
// blob's scale over all cases, while a wrong axis, offset or formula is O(0.1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "e2e/cli_util.h"
#include "runtime/npy.h"

namespace ingot {
namespace e2e_test_caffe_layers {

namespace fs = std::filesystem;
using testing::ingot;
using testing::TempDir;

fs::path fixtures() { return fs::path(INGOT_FIXTURES_DIR) / "caffe-layers"; }

Tensor load(const std::string& path) {
  auto t = npy::read(path);
  EXPECT_TRUE(t.ok()) << path << ": " << t.status().message();
  return t.ok() ? std::move(t).value() : Tensor();
}

nlohmann::json cases() {
  std::ifstream in(fixtures() / "cases.json");
  return nlohmann::json::parse(in);
}

TEST(CaffeLayers, EveryFixtureCaseIsListed) {
  std::size_t dirs = 0;
  for (const auto& e : fs::directory_iterator(fixtures())) dirs += e.is_directory() ? 1 : 0;
  EXPECT_EQ(cases().size(), dirs);
  EXPECT_GE(dirs, 20u);
}

class CaffeLayerCase : public ::testing::TestWithParam<std::string> {};

TEST_P(CaffeLayerCase, MatchesTheReference) {
  const std::string name = GetParam();
  nlohmann::json meta;
  for (const auto& c : cases()) {
    if (c.at("case") == name) meta = c;
  }
  ASSERT_FALSE(meta.is_null()) << name;
  const fs::path dir = fixtures() / name;
  TempDir tmp("ingot_caffe_layers_" + name);
  std::string convert = "convert " + (dir / "net.prototxt").string() + " -o " + tmp / "m.ingot";
  if (meta.at("weights").get<bool>()) convert += " --weights " + (dir / "net.caffemodel").string();
  auto r = ingot(convert);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string run = "run " + tmp / "m.ingot" + " -o " + tmp / "out";
  for (int k = 0; k < meta.at("inputs").get<int>(); ++k) run += " -i " + (dir / ("in" + std::to_string(k) + ".npy")).string();
  r = ingot(run);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor got = load(tmp / "out/output_0.npy");
  const Tensor want = load((dir / "want.npy").string());
  ASSERT_EQ(got.shape(), want.shape()) << name;
  const auto g = got.data<float>();
  const auto w = want.data<float>();
  double scale = 1, worst = 0;
  for (float v : w) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  for (std::size_t i = 0; i < w.size(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(g[i]) - w[i]));
  EXPECT_LE(worst, 1e-5 * scale) << name << " (" << meta.at("reference").get<std::string>() << "): worst |ingot - reference| "
                                 << worst << ", scale " << scale;
}

std::vector<std::string> case_names() {
  std::vector<std::string> out;
  for (const auto& c : cases()) out.push_back(c.at("case").get<std::string>());
  return out;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CaffeLayerCase, ::testing::ValuesIn(case_names()), test_name);

// ---- accept / reject ---------------------------------------------------------------------------

class CaffeLayerParams : public ::testing::Test {
 protected:
  TempDir tmp{"ingot_caffe_layer_params"};
  std::string net = tmp / "net.prototxt";
  std::string out = tmp / "out.ingot";

  // A net of input [2, 3, 4, 5] ("in0", and "in1" of `second` if given) and `layer`.
  void write(const std::string& layer, const std::string& second = "") {
    std::ofstream f(net, std::ios::binary);
    f << "layer { name: \"in0\" type: \"Input\" top: \"in0\" input_param { shape { dim: 2 dim: 3 dim: 4 dim: 5 } } }\n";
    if (!second.empty()) f << "layer { name: \"in1\" type: \"Input\" top: \"in1\" input_param { shape { " << second << " } } }\n";
    f << layer << "\n";
  }
  void accepts(const std::string& layer, const std::string& second = "") {
    write(layer, second);
    const auto r = ingot("convert " + net + " -o " + out);
    EXPECT_EQ(r.exit_code, 0) << layer << "\n" << r.err;
  }
  // Expects a failed conversion whose message has every piece of `want`.
  void rejects(const std::string& layer, const std::vector<std::string>& want, const std::string& second = "") {
    write(layer, second);
    fs::remove(out);
    const auto r = ingot("convert " + net + " -o " + out);
    EXPECT_NE(r.exit_code, 0) << layer;
    EXPECT_FALSE(fs::exists(out));
    for (const auto& w : want) EXPECT_NE(r.err.find(w), std::string::npos) << "want '" << w << "' in: " << r.err;
  }
};

TEST_F(CaffeLayerParams, Crop) {
  const std::string two = "dim: 2 dim: 3 dim: 2 dim: 2";
  accepts(R"(layer { name: "c" type: "Crop" bottom: "in0" bottom: "in1" top: "c" crop_param { offset: 2 offset: 3 } })", two);
  accepts(R"(layer { name: "c" type: "Crop" bottom: "in0" bottom: "in1" top: "c" crop_param { axis: -2 } })", two);
  rejects(R"(layer { name: "c" type: "Crop" bottom: "in0" bottom: "in1" top: "c" crop_param { offset: 3 } })",
          {"layer 'c' (Crop)", "axis 2: offset 3 plus bottom 1's size 2 must fit in bottom 0's size 4"}, two);
  rejects(R"(layer { name: "c" type: "Crop" bottom: "in0" bottom: "in1" top: "c" crop_param { offset: 0 offset: 0 offset: 0 } })",
          {"layer 'c' (Crop)", "field 'offset' must have 0, 1 or 2 values"}, two);
  rejects(R"(layer { name: "c" type: "Crop" bottom: "in0" bottom: "in1" top: "c" crop_param { axis: 4 } })",
          {"layer 'c' (Crop)", "field 'axis' must be in [-4, 4)"}, two);
  rejects(R"(layer { name: "c" type: "Crop" bottom: "in0" top: "c" })", {"layer 'c' (Crop)", "must have 2 bottoms, got 1"});
  rejects(R"(layer { name: "c" type: "Crop" bottom: "in0" bottom: "in1" top: "c" })",
          {"layer 'c' (Crop)", "both bottoms must have the same rank"}, "dim: 2 dim: 3");
}

TEST_F(CaffeLayerParams, Tile) {
  accepts(R"(layer { name: "t" type: "Tile" bottom: "in0" top: "t" tile_param { axis: -1 tiles: 2 } })");
  accepts(R"(layer { name: "t" type: "Tile" bottom: "in0" top: "t" tile_param { tiles: 1 } })");
  rejects(R"(layer { name: "t" type: "Tile" bottom: "in0" top: "t" tile_param { tiles: 0 } })",
          {"layer 't' (Tile)", "field 'tiles' must be given and >= 1, got 0"});
  rejects(R"(layer { name: "t" type: "Tile" bottom: "in0" top: "t" })", {"layer 't' (Tile)", "field 'tiles' must be given"});
  rejects(R"(layer { name: "t" type: "Tile" bottom: "in0" top: "t" tile_param { axis: 7 tiles: 2 } })",
          {"layer 't' (Tile)", "field 'axis' must be in [-4, 4)"});
}

TEST_F(CaffeLayerParams, ExpAndLog) {
  accepts(R"(layer { name: "e" type: "Exp" bottom: "in0" top: "e" exp_param { base: 1 } })");
  accepts(R"(layer { name: "l" type: "Log" bottom: "in0" top: "l" log_param { base: 2 shift: 1 } })");
  rejects(R"(layer { name: "e" type: "Exp" bottom: "in0" top: "e" exp_param { base: 0 } })",
          {"layer 'e' (Exp)", "field 'base' must be -1 (e) or a finite value > 0"});
  rejects(R"(layer { name: "e" type: "Exp" bottom: "in0" top: "e" exp_param { base: -2 } })", {"layer 'e' (Exp)", "field 'base'"});
  rejects(R"(layer { name: "l" type: "Log" bottom: "in0" top: "l" log_param { base: 1 } })",
          {"layer 'l' (Log)", "field 'base' must not be 1"});
  rejects(R"(layer { name: "l" type: "Log" bottom: "in0" top: "l" log_param { scale: inf } })",
          {"layer 'l' (Log)", "field 'scale' must be finite"});
}

TEST_F(CaffeLayerParams, BiasAndScaleWithASecondBottom) {
  accepts(R"(layer { name: "b" type: "Bias" bottom: "in0" bottom: "in1" top: "b" bias_param { axis: 1 } })", "dim: 3 dim: 4");
  accepts(R"(layer { name: "s" type: "Scale" bottom: "in0" bottom: "in1" top: "s" scale_param { axis: 0 } })", "dim: 2 dim: 3");
  rejects(R"(layer { name: "b" type: "Bias" bottom: "in0" bottom: "in1" top: "b" bias_param { axis: 2 } })",
          {"layer 'b' (Bias)", "bottom 1 [3, 4] must equal bottom 0's dims from 'axis' 2 on"}, "dim: 3 dim: 4");
  rejects(R"(layer { name: "s" type: "Scale" bottom: "in0" bottom: "in1" top: "s" })",
          {"layer 's' (Scale)", "bottom 1 [4] must equal bottom 0's dims from 'axis' 1 on"}, "dim: 4");
  rejects(R"(layer { name: "b" type: "Bias" bottom: "in0" top: "b" bias_param { num_axes: -2 } })",
          {"layer 'b' (Bias)", "field 'num_axes' must be >= -1, got -2"});
  rejects(R"(layer { name: "b" type: "Bias" bottom: "in0" top: "b" bias_param { axis: 2 num_axes: 3 } })",
          {"layer 'b' (Bias)", "reach past the bottom's 4 axes"});
  // Blob-form Bias without a caffemodel: the missing blob is named.
  rejects(R"(layer { name: "b" type: "Bias" bottom: "in0" top: "b" })", {"layer 'b' (Bias)", "1 blob"});
}

TEST_F(CaffeLayerParams, Reduction) {
  accepts(R"(layer { name: "r" type: "Reduction" bottom: "in0" top: "r" reduction_param { operation: SUMSQ axis: -1 } })");
  rejects(R"(layer { name: "r" type: "Reduction" bottom: "in0" top: "r" })",
          {"layer 'r' (Reduction)", "field 'axis' 0 reduces to a rank-0 scalar"});
  rejects(R"(layer { name: "r" type: "Reduction" bottom: "in0" top: "r" reduction_param { axis: 4 } })",
          {"layer 'r' (Reduction)", "field 'axis' must be in [-4, 4)"});
  rejects(R"(layer { name: "r" type: "Reduction" bottom: "in0" top: "r" reduction_param { axis: 1 coeff: nan } })",
          {"layer 'r' (Reduction)", "field 'coeff' must be finite"});
}

TEST_F(CaffeLayerParams, MvnAndBatchNormWithBatchStatistics) {
  accepts(R"(layer { name: "m" type: "MVN" bottom: "in0" top: "m" mvn_param { across_channels: true } })");
  accepts(R"(layer { name: "n" type: "BatchNorm" bottom: "in0" top: "n" batch_norm_param { use_global_stats: false } })");
  rejects(R"(layer { name: "m" type: "MVN" bottom: "in0" top: "m" mvn_param { eps: -1 } })",
          {"layer 'm' (MVN)", "field 'eps' must be finite and >= 0"});
  rejects(R"(layer { name: "n" type: "BatchNorm" bottom: "in0" top: "n" batch_norm_param { use_global_stats: false eps: -1 } })",
          {"layer 'n' (BatchNorm)", "field 'eps' must be finite and >= 0"});
  rejects(R"(layer { name: "m" type: "MVN" bottom: "in1" top: "m" })", {"layer 'm' (MVN)", "rank >= 3"}, "dim: 2 dim: 3");
}

}  // namespace e2e_test_caffe_layers
}  // namespace ingot
