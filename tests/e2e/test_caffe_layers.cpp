// Caffe layers composed from IR ops (Crop, Tile, Exp, Log, Bias, Scale with a second bottom,
// Reduction, MVN, BatchNorm with the batch's statistics, ArgMax, Interp, Upsample, Deconvolution
// with bilinear-filler weights): each case of
// tests/fixtures/caffe-layers/ (scripts/gen_caffe_layer_refs.py) is converted and run, and its
// output compared with OpenCV DNN 4.6 or, where OpenCV lacks the layer or departs from Caffe, a
// numpy reference of the Caffe layer's documented behaviour. Then each layer's parameters are
// accepted or rejected with an error naming the layer and the field.
//
// Tolerance: |ingot - reference| <= 1e-5 * max(1, max |reference|). ingot computes in float32
// with its own order of operations (sums as ReduceMean times the count, exp(ln(base) * x)), the
// references in float32 (OpenCV) or float64 rounded once (numpy); measured at most 3e-7 of the
// blob's scale over all cases, while a wrong axis, offset or formula is O(0.1). ArgMax writes
// indices (a wrong one is off by >= 1) and copied values: exact. Interp's bilinear weights come
// from float64 coordinates in numpy and ingot alike (Caffe rounds them to float, a 1e-7 relative
// difference); Upsample copies; the bilinear Deconvolution sums at most 4 products per output.
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
  rejects(R"(layer { name: "r" type: "Reduction" bottom: "in0" top: "r" reduction_param { axis: 0 } })",
          {"layer 'r' (Reduction)", "field 'axis' 0 reduces to a rank-0 scalar", "give an axis >= 1"});
  rejects(R"(layer { name: "r" type: "Reduction" bottom: "in0" top: "r" reduction_param { operation: MEAN axis: -4 } })",
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

TEST_F(CaffeLayerParams, ArgMax) {
  accepts(R"(layer { name: "a" type: "ArgMax" bottom: "in0" top: "a" argmax_param { axis: 1 top_k: 3 } })");
  accepts(R"(layer { name: "a" type: "ArgMax" bottom: "in0" top: "a" argmax_param { top_k: 60 out_max_val: true } })");
  rejects(R"(layer { name: "a" type: "ArgMax" bottom: "in0" top: "a" argmax_param { top_k: 0 } })",
          {"layer 'a' (ArgMax)", "field 'top_k' must be >= 1, got 0"});
  rejects(R"(layer { name: "a" type: "ArgMax" bottom: "in0" top: "a" argmax_param { top_k: 61 } })",
          {"layer 'a' (ArgMax)", "field 'top_k' must be at most the 60 values it ranks", "per sample", "got 61"});
  rejects(R"(layer { name: "a" type: "ArgMax" bottom: "in0" top: "a" argmax_param { axis: 2 top_k: 5 } })",
          {"layer 'a' (ArgMax)", "field 'top_k' must be at most the 4 values", "along 'axis' 2", "got 5"});
  rejects(R"(layer { name: "a" type: "ArgMax" bottom: "in0" top: "a" argmax_param { axis: 4 } })",
          {"layer 'a' (ArgMax)", "field 'axis' must be in [-4, 4)"});
}

TEST_F(CaffeLayerParams, Interp) {
  const std::string interp = R"(layer { name: "i" type: "Interp" bottom: "in0" top: "i" interp_param { %s } })";
  auto with = [&](const std::string& fields) {
    std::string t = interp;
    return t.replace(t.find("%s"), 2, fields);
  };
  accepts(with("zoom_factor: 2"));
  accepts(with("height: 2 width: 9 pad_beg: -1"));
  rejects(with(""), {"layer 'i' (Interp)", "exactly one of 'zoom_factor', 'shrink_factor', 'height' and 'width'", "got 0"});
  rejects(with("zoom_factor: 2 height: 3 width: 3"), {"layer 'i' (Interp)", "exactly one", "got 2"});
  rejects(with("height: 3"), {"layer 'i' (Interp)", "fields 'height' and 'width' must be given together"});
  rejects(with("zoom_factor: 0"), {"layer 'i' (Interp)", "field 'zoom_factor' must be >= 1, got 0"});
  rejects(with("shrink_factor: -1"), {"layer 'i' (Interp)", "field 'shrink_factor' must be >= 1, got -1"});
  rejects(with("zoom_factor: 2 pad_beg: 1"), {"layer 'i' (Interp)", "fields 'pad_beg' and 'pad_end' must be <= 0", "got 1 and 0"});
  rejects(with("zoom_factor: 2 pad_beg: -2 pad_end: -2"), {"layer 'i' (Interp)", "crop bottom [2, 3, 4, 5] to nothing"});
  rejects(with("height: 0 width: 3"), {"layer 'i' (Interp)", "output height and width must be >= 1, got 0 and 3"});
  rejects(with("zoom_factor: 2 interp_type: \"nearest_neighbor\""),
          {"layer 'i' (Interp)", "field 'interp_type' must be \"bilinear\", got \"nearest_neighbor\""});
  rejects(R"(layer { name: "i" type: "Interp" bottom: "in0" bottom: "in1" top: "i" interp_param { zoom_factor: 2 } })",
          {"layer 'i' (Interp)", "exactly one", "got 2"}, "dim: 2 dim: 3 dim: 8 dim: 8");
}

TEST_F(CaffeLayerParams, UpsampleNearestAndSegNetsUnpoolingRejected) {
  accepts(R"(layer { name: "u" type: "Upsample" bottom: "in0" top: "u" upsample_param { scale: 2 } })");
  rejects(R"(layer { name: "u" type: "Upsample" bottom: "in0" top: "u" upsample_param { scale: 0 } })",
          {"layer 'u' (Upsample)", "field 'scale' must be >= 1, got 0"});
  rejects(R"(layer { name: "u" type: "Upsample" bottom: "in0" bottom: "in1" top: "u" upsample_param { scale: 2 } })",
          {"layer 'u' (Upsample)", "a second bottom (SegNet's max-unpooling Upsample", "not supported"},
          "dim: 2 dim: 3 dim: 4 dim: 5");
  rejects(R"(layer { name: "u" type: "Upsample" bottom: "in0" top: "u" upsample_param { upsample_h: 8 upsample_w: 10 } })",
          {"layer 'u' (Upsample)", "field 'upsample_h' belongs to SegNet's max-unpooling Upsample"});
  // SegNet's encoder side: a Pooling layer with the mask as a second top.
  rejects(R"(layer { name: "p" type: "Pooling" bottom: "in0" top: "p" top: "mask" pooling_param { pool: MAX kernel_size: 2 stride: 2 } })",
          {"layer 'p' (Pooling)", "a second top (the max-pooling mask", "not supported"});
}

TEST_F(CaffeLayerParams, DeconvolutionWithoutBlobs) {
  const std::string deconv =
      R"(layer { name: "d" type: "Deconvolution" bottom: "in0" top: "d" convolution_param { num_output: 3 group: 3 %s } })";
  auto with = [&](const std::string& fields) {
    std::string t = deconv;
    return t.replace(t.find("%s"), 2, fields);
  };
  accepts(with(R"(kernel_size: 4 stride: 2 weight_filler { type: "bilinear" })"));
  accepts(with(R"(kernel_size: 3 weight_filler { type: "bilinear" } bias_filler { value: 1 })"));
  rejects(with("kernel_size: 4 stride: 2"),
          {"layer 'd' (Deconvolution)", "got none, and its 'weight_filler' is not given",
           "only a \"bilinear\" weight_filler defines weights"});
  rejects(with(R"(kernel_size: 4 weight_filler { type: "gaussian" std: 0.1 })"),
          {"layer 'd' (Deconvolution)", "its 'weight_filler' is \"gaussian\""});
  rejects(with(R"(kernel_h: 3 kernel_w: 4 weight_filler { type: "bilinear" })"),
          {"layer 'd' (Deconvolution)", "field 'weight_filler' \"bilinear\" needs a square kernel, got 3 x 4"});
  rejects(with(R"(kernel_size: 4 weight_filler { type: "bilinear" } bias_filler { type: "xavier" })"),
          {"layer 'd' (Deconvolution)", "field 'bias_filler' must be \"constant\"", "got \"xavier\""});
}

// ArgMax has no optimized kernel: the plan falls back to its reference kernel, and `ingot run`
// and `ingot run --reference` agree exactly with the fixture.
TEST(CaffeLayers, ArgMaxRunsOnItsReferenceKernelInBothModes) {
  const fs::path dir = fixtures() / "argmax-axis1-top2";
  TempDir tmp("ingot_caffe_argmax_modes");
  auto r = ingot("convert " + (dir / "net.prototxt").string() + " -o " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor want = load((dir / "want.npy").string());
  for (const std::string mode : {"", " --reference"}) {
    r = ingot("run " + tmp / "m.ingot" + " -i " + (dir / "in0.npy").string() + " -o " + tmp / "out" + mode);
    ASSERT_EQ(r.exit_code, 0) << mode << ": " << r.err;
    const Tensor got = load(tmp / "out/output_0.npy");
    ASSERT_EQ(got.shape(), want.shape()) << mode;
    const auto g = got.data<float>();
    const auto w = want.data<float>();
    for (std::size_t i = 0; i < w.size(); ++i) EXPECT_EQ(g[i], w[i]) << mode << " element " << i;
  }
}

}  // namespace e2e_test_caffe_layers
}  // namespace ingot
