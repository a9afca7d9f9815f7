// Real Keras models from ../shared/models (skipped when it is absent) against independent
// references: the TensorFlow.js oracle, or scripts/numpy_keras_ref.py (float64) where tfjs cannot
// run the model faithfully. The inputs, expected outputs, reference used and tolerance of every
// case are in tests/fixtures/real_models/<model dir>/index.json, written by
// scripts/gen_real_model_refs.py. Models with references shipped next to them are checked in
// test_keras_models.cpp instead. A case with "params" converts with `--params <repo>/<params>`
// (ssd7-anchorboxes: its Lambda layers mapped by examples/ssd7-anchorboxes.params.json; its
// AnchorBoxes output is checked here against the numpy reference, its diagnostics in
// test_keras_models.cpp).
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/cli_util.h"
#include "e2e/shared_dir.h"
#include "runtime/npy.h"

namespace ingot {
namespace e2e_test_keras_real_refs {

namespace fs = std::filesystem;
using testing::ingot;
using testing::TempDir;

fs::path models_dir() {
  const auto shared = testing::shared_dir();
  return shared ? *shared / "models" : fs::path();
}

struct Case {
  const char* dir;   // fixture folder, named after the model's folder in ../shared/models
  const char* name;  // the case in its index.json
};

// Every case of the fixtures, listed here so that a lost fixture fails instead of vanishing.
const Case kCases[] = {
    {"dl4j-channels-first-simpleconv2d", "simpleconv2d"},
    {"dl4j-dcgan-mnist", "dcgan_generator"},
    {"dl4j-dcgan-mnist", "dcgan_discriminator"},
    {"dl4j-mtcnn", "12net"},
    {"dl4j-mtcnn", "48net_complete"},
    {"dl4j-tfkeras-synthetic", "cnn2d_112"},
    {"dl4j-tfkeras-synthetic", "cnn2d_76"},
    {"dl4j-tfkeras-synthetic", "cnn2d_52"},
    {"dl4j-tfkeras-synthetic", "cnn2d_40"},
    {"dl4j-theano-backend", "conv2d_reshape_theano_2"},
    {"dl4j-theano-backend", "conv2d_reshape_tensorflow_2"},
    {"dmp-segnet-basic", "SegNet_Basic"},
    {"fer2013-mini-xception", "fer2013_mini_XCEPTION"},
    {"mnist-functional-keras28", "model_qg_exp_original"},
    {"prismanet-hair-seg", "PrismaNet_256_hair_seg"},
    {"ssd7-anchorboxes", "ssd7"},
    {"teachable-machine-nested", "keras_model_random"},
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.dir << "/" << c.name; }

std::string param_name(const ::testing::TestParamInfo<Case>& info) {
  std::string s = std::string(info.param.dir) + "__" + info.param.name;
  for (char& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

Shape shape_of(const nlohmann::json& j) {
  std::vector<std::int64_t> dims;
  for (const auto& d : j) dims.push_back(d.get<std::int64_t>());
  return Shape(std::move(dims));
}

// The model input: the stored float32 array, or a stored uint8 image mapped by
// (u8 + offset) * scale (offset an integer, scale a power of two: exact in float32). With
// "upsample_nearest": [fh, fw] the stored NHWC image is smaller than the model input and every
// pixel is repeated fh x fw times along H and W first (np.repeat on axes 1 and 2).
std::string prepare_input(const fs::path& dir, const nlohmann::json& in, const TempDir& tmp, int index) {
  const std::string file = (dir / in.at("file").get<std::string>()).string();
  if (in.at("transform").is_null()) return file;
  auto stored = npy::read(file);
  EXPECT_TRUE(stored.ok()) << stored.status().message();
  if (!stored.ok()) return file;
  if (stored->dtype() != DType::u8) {
    ADD_FAILURE() << file << ": a transformed input must be uint8, got " << dtype_name(stored->dtype());
    return file;
  }
  const auto& tr = in["transform"];
  const float offset = tr.at("offset").get<float>();
  const float scale = tr.at("scale").get<float>();
  const Shape& s = stored->shape();
  std::int64_t fh = 1, fw = 1;
  if (tr.contains("upsample_nearest")) {
    fh = tr["upsample_nearest"].at(0).get<std::int64_t>();
    fw = tr["upsample_nearest"].at(1).get<std::int64_t>();
    if (s.rank() != 4 || fh < 1 || fw < 1) {
      ADD_FAILURE() << file << ": upsample_nearest needs an NHWC image and factors >= 1";
      return file;
    }
  }
  const Shape shape = fh == 1 && fw == 1 ? s : Shape{s[0], s[1] * fh, s[2] * fw, s[3]};
  EXPECT_EQ(shape, shape_of(in.at("shape"))) << file;
  Tensor x = Tensor::allocate(DType::f32, shape).value();
  const auto u8 = stored->data<std::uint8_t>();
  auto f = x.mutable_data<float>();
  if (fh == 1 && fw == 1) {
    for (std::size_t i = 0; i < f.size(); ++i) f[i] = (static_cast<float>(u8[i]) + offset) * scale;
  } else {
    // out[n, y, x, c] = u8[n, y / fh, x / fw, c]
    const std::int64_t h = shape[1], w = shape[2], c = shape[3];
    std::size_t o = 0;
    for (std::int64_t n = 0; n < shape[0]; ++n) {
      for (std::int64_t y = 0; y < h; ++y) {
        for (std::int64_t xx = 0; xx < w; ++xx) {
          const auto src = static_cast<std::size_t>(((n * s[1] + y / fh) * s[2] + xx / fw) * c);
          for (std::int64_t k = 0; k < c; ++k) {
            f[o++] = (static_cast<float>(u8[src + static_cast<std::size_t>(k)]) + offset) * scale;
          }
        }
      }
    }
  }
  const std::string path = tmp / ("x" + std::to_string(index) + ".npy");
  EXPECT_TRUE(npy::write(path, x).ok());
  return path;
}

// Compares `got` (the full tensor) with `want` (every `stride`-th element of it, as stored) and
// reports the number of elements outside atol + rtol * |want| and the worst error.
void compare(const std::string& what, const Tensor& got, const Tensor& want, const nlohmann::json& spec,
             double atol, double rtol) {
  SCOPED_TRACE(what);
  ASSERT_EQ(got.dtype(), DType::f32);
  ASSERT_EQ(want.dtype(), DType::f32);
  ASSERT_EQ(got.shape(), shape_of(spec.at("shape")));
  const auto stride = spec.at("stride").get<std::int64_t>();
  const auto g = got.data<float>();
  const auto w = want.data<float>();
  ASSERT_EQ(static_cast<std::int64_t>(w.size()), spec.at("count").get<std::int64_t>());
  ASSERT_EQ(static_cast<std::int64_t>(w.size()), (got.num_elements() + stride - 1) / stride);

  const auto step = static_cast<std::size_t>(stride);
  std::int64_t mismatches = 0;
  std::size_t worst_at = 0;
  double worst = -1;
  for (std::size_t k = 0; k < w.size(); ++k) {
    const double err = std::fabs(static_cast<double>(g[k * step]) - w[k]);
    if (!(err <= atol + rtol * std::fabs(static_cast<double>(w[k])))) ++mismatches;
    if (!(err <= worst)) {  // NaN counts as worst
      worst = err;
      worst_at = k;
    }
  }
  std::ostringstream summary;
  summary << what << ": " << mismatches << " of " << w.size() << " compared elements outside atol " << atol
          << " + rtol " << rtol << "; worst |err| " << worst << " at flat index " << worst_at * step << " (got "
          << g[worst_at * step] << ", want " << w[worst_at] << ")";
  std::cout << "[ real-ref ] " << summary.str() << "\n";
  EXPECT_EQ(mismatches, 0) << summary.str();
}

class KerasRealRefs : public ::testing::TestWithParam<Case> {};

TEST_P(KerasRealRefs, MatchesIndependentReference) {
  INGOT_REQUIRE_SHARED("real-model test");
  const Case& c = GetParam();
  const fs::path dir = fs::path(INGOT_FIXTURES_DIR) / "real_models" / c.dir;
  const auto index = nlohmann::json::parse(testing::slurp(dir / "index.json"));
  nlohmann::json tc;
  for (const auto& e : index.at("cases")) {
    if (e.at("name") == c.name) tc = e;
  }
  ASSERT_FALSE(tc.is_null()) << "no case " << c.name << " in " << (dir / "index.json");

  TempDir tmp(std::string("ingot_realref_") + c.name);
  const std::string model = (models_dir() / tc.at("model").get<std::string>()).string();
  std::string flags = tc.at("convert_flags").get<std::string>();
  if (tc.contains("params")) {
    flags += std::string(flags.empty() ? "" : " ") + "--params " +
             (fs::path(INGOT_SOURCE_DIR) / tc["params"].get<std::string>()).string();
  }
  auto r = ingot("convert " + model + " -o " + tmp / "m.ingot" + (flags.empty() ? "" : " " + flags));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::string inputs;
  int i = 0;
  for (const auto& in : tc.at("inputs")) inputs += " -i " + prepare_input(dir, in, tmp, i++);
  const bool dump = tc.contains("intermediates");
  const std::string label = std::string(c.dir) + "/" + c.name;
  const std::string ref = tc.at("reference").at("kind").get<std::string>();
  const auto& tol = tc.at("tolerance");
  // Every output matches the reference on the optimized plan with and without --dump-all (the
  // dump keeps every value, so no plan pass runs) and on the reference kernels alone.
  std::vector<std::string> modes = {dump ? " --dump-all " + tmp / "dump" : std::string(), " --reference"};
  if (dump) modes.push_back("");
  for (std::size_t m = 0; m < modes.size(); ++m) {
    SCOPED_TRACE("ingot run" + modes[m]);
    const std::string out_dir = tmp / ("out" + std::to_string(m));
    r = ingot("run " + tmp / "m.ingot" + inputs + " -o " + out_dir + modes[m]);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    int o = 0;
    for (const auto& out : tc.at("outputs")) {
      const std::string file = "output_" + std::to_string(o);
      auto got = npy::read(out_dir + "/" + file + ".npy");
      auto want = npy::read((dir / out.at("file").get<std::string>()).string());
      ASSERT_TRUE(got.ok()) << got.status().message();
      ASSERT_TRUE(want.ok()) << want.status().message();
      compare(label + " " + file + " vs " + ref, *got, *want, out, tol.at("atol").get<double>(),
              tol.at("rtol").get<double>());
      ++o;
    }
    EXPECT_FALSE(fs::exists(out_dir + "/output_" + std::to_string(o) + ".npy")) << "more outputs than the reference";
  }
  if (!dump) return;
  const auto& itol = tc.at("intermediate_tolerance");
  for (const auto& inter : tc.at("intermediates")) {
    const std::string layer = inter.at("layer").get<std::string>();
    auto got = npy::read(tmp / ("dump/" + layer + ".npy"));
    auto want = npy::read((dir / inter.at("file").get<std::string>()).string());
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_TRUE(want.ok()) << want.status().message();
    compare(label + " layer " + layer + " vs " + ref, *got, *want, inter, itol.at("atol").get<double>(),
            itol.at("rtol").get<double>());
  }
}

INSTANTIATE_TEST_SUITE_P(RealModels, KerasRealRefs, ::testing::ValuesIn(kCases), param_name);

}  // namespace e2e_test_keras_real_refs
}  // namespace ingot
