// codebook8 storage on real models (../shared): every layer's weight error is no worse than
// the vendor-style seeded k-means (OpenCV's, recorded by scripts/gen_codebook_baseline.py), a
// codebook8 model computes exactly what the same model with the decoded weights in f32 does,
// and the teachable-machine photo keeps its class.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "e2e/bench_models.h"
#include "e2e/cli_util.h"
#include "e2e/shared_dir.h"
#include "e2e/teachable_photo.h"
#include "format/format.h"
#include "ir/builder.h"
#include "runtime/npy.h"
#include "runtime/compare.h"
#include "runtime/session.h"
#include "target/compile.h"

namespace ingot {
namespace e2e_test_codebook_models {

namespace fs = std::filesystem;
using testing::ingot;
using testing::TempDir;

fs::path models_dir() { return *testing::shared_dir() / "models"; }

// The models of scripts/gen_codebook_baseline.py, with the same convert arguments ('@' marks a
// path under ../shared/models); mobilenet_v1 is generated from ../shared/bench.
struct Model {
  const char* key;
  const char* path;
  const char* extra;
};
const Model kModels[] = {
    {"mobilenet_v1", "", ""},
    {"teachable-machine-nested", "teachable-machine-nested/keras_model.h5", ""},
    {"fer2013-mini-xception", "fer2013-mini-xception/fer2013_mini_XCEPTION.102-0.66.hdf5", ""},
    {"prismanet-hair-seg", "prismanet-hair-seg/CelebA_PrismaNet_256_hair_seg_model_opt_001.hdf5", ""},
    {"mnist-functional-keras28", "mnist-functional-keras28/model_qg_exp_original.hdf5", ""},
    {"dmp-segnet-basic", "dmp-segnet-basic/SegNet_Basic.hdf5", ""},
    {"dl4j-dcgan-generator", "dl4j-dcgan-mnist/dcgan_generator.h5", ""},
    {"dl4j-dcgan-discriminator", "dl4j-dcgan-mnist/dcgan_discriminator.h5", ""},
    {"dl4j-mtcnn-48net", "dl4j-mtcnn/48net_complete.h5", ""},
    {"dl4j-simpleconv2d", "dl4j-channels-first-simpleconv2d/simpleconv2d.hdf5", ""},
    {"dl4j-cnn-batchnorm", "dl4j-cnn-batchnorm-io/cnn_batch_norm.h5", ""},
    {"ssd7-anchorboxes", "ssd7-anchorboxes/ssd7_epoch-24_loss-2.0928_val_loss-2.2581.h5",
     "--params examples/ssd7-anchorboxes.params.json"},
    {"caffe-lenet", "caffe-lenet/lenet.prototxt", "--weights @caffe-lenet/lenet_iter_10000.caffemodel"},
    {"caffe-cifar10-full-v1", "caffe-cifar10-full-v1/cifar10_full.prototxt",
     "--weights @caffe-cifar10-full-v1/cifar10_full_iter_70000.caffemodel"},
    {"caffe-yufacedetectnet-ssd", "caffe-yufacedetectnet-ssd/yufacedetectnet-open-v2.prototxt",
     "--weights @caffe-yufacedetectnet-ssd/yufacedetectnet-open-v2.caffemodel"},
};

std::string expand(const std::string& extra) {
  std::string out;
  std::istringstream words(extra);
  for (std::string w; words >> w;) {
    if (w[0] == '@') w = (models_dir() / w.substr(1)).string();
    if (w.rfind("examples/", 0) == 0) w = (fs::path(INGOT_SOURCE_DIR) / w).string();
    out += " " + w;
  }
  return out;
}

ir::Graph convert_and_read(const TempDir& tmp, const Model& m, const std::string& storage) {
  const std::string source = m.path[0] ? (models_dir() / m.path).string() : testing::mobilenet_h5(tmp);
  const std::string out = tmp / (std::string(m.key) + "." + storage + ".ingot");
  auto r = ingot("convert " + source + expand(m.extra) + " --storage " + storage + " -o " + out);
  EXPECT_EQ(r.exit_code, 0) << m.key << ": " << r.err;
  auto g = format::read_model(out, default_registry());
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? std::move(*g) : ir::Graph();
}

double rmse(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.data<float>().size(); ++i) {
    const double d = double(a.data<float>()[i]) - b.data<float>()[i];
    s += d * d;
  }
  return std::sqrt(s / double(a.data<float>().size()));
}

// The baseline rounds its entries to binary16 as ingot does, so on a layer with at most 256
// distinct values both are exact up to that rounding and equal; 1e-9 relative covers the
// summation order of the two RMSE computations.
TEST(Codebook8RealModels, EveryLayerRmseIsNoWorseThanOpenCvKMeans) {
  INGOT_REQUIRE_SHARED("codebook8 real-model test");
  const auto baseline = nlohmann::json::parse(
      testing::slurp(fs::path(INGOT_FIXTURES_DIR) / "codebook" / "opencv_kmeans_rmse.json"))["models"];
  ASSERT_EQ(baseline.size(), std::size(kModels)) << "the test and the generator list the same models";
  TempDir tmp("ingot_codebook_rmse");
  std::vector<double> ratios;
  for (const Model& m : kModels) {
    SCOPED_TRACE(m.key);
    ASSERT_TRUE(baseline.contains(m.key));
    const auto& layers = baseline[m.key];
    const ir::Graph g = convert_and_read(tmp, m, "f32");
    const auto weights = ir::layer_weight_constants(g, default_registry());
    EXPECT_EQ(weights.size(), layers.size());
    for (const auto& name : weights) {
      ASSERT_TRUE(layers.contains(name)) << name;
      const Tensor f32 = ir::decode_constant(*g.find_constant(name)).value();
      ASSERT_EQ(layers[name]["elements"].get<std::int64_t>(), f32.num_elements()) << name;
      auto c = ir::make_constant(name, f32, ir::Storage::codebook8);
      ASSERT_TRUE(c.ok()) << c.status().message();
      const double ours = rmse(f32, ir::decode_constant(*c).value());
      const double theirs = layers[name]["rmse"].get<double>();
      EXPECT_LE(ours, theirs * (1 + 1e-9)) << name << ": " << f32.num_elements() << " weights";
      if (theirs > 0) ratios.push_back(ours / theirs);
    }
  }
  ASSERT_FALSE(ratios.empty());
  std::sort(ratios.begin(), ratios.end());
  std::cout << "ingot RMSE / OpenCV k-means RMSE over " << ratios.size() << " layers: min " << ratios.front()
            << ", median " << ratios[ratios.size() / 2] << ", max " << ratios.back() << "\n";
}

// Same model, same bytes: the codebooks do not depend on the thread count, and two conversions
// write identical files.
TEST(Codebook8RealModels, DeterministicAcrossThreadsAndRuns) {
  INGOT_REQUIRE_SHARED("codebook8 real-model test");
  TempDir tmp("ingot_codebook_determinism");
  const Model& m = kModels[2];
  ASSERT_STREQ(m.key, "fer2013-mini-xception");
  const ir::Graph f32 = convert_and_read(tmp, m, "f32");
  ir::Graph one = f32, two = f32;
  ASSERT_TRUE(ir::convert_storage(one, ir::Storage::codebook8, default_registry(), 1).ok());
  ASSERT_TRUE(ir::convert_storage(two, ir::Storage::codebook8, default_registry(), 2).ok());
  ASSERT_EQ(one.constants.size(), two.constants.size());
  for (std::size_t i = 0; i < one.constants.size(); ++i) {
    EXPECT_EQ(one.constants[i].storage, two.constants[i].storage);
    EXPECT_TRUE(one.constants[i].payload.bit_equal(two.constants[i].payload)) << one.constants[i].name;
    if (one.constants[i].storage == ir::Storage::codebook8) {
      EXPECT_TRUE(one.constants[i].codebook.bit_equal(two.constants[i].codebook)) << one.constants[i].name;
    }
  }
  const std::string source = (models_dir() / m.path).string();
  for (const char* out : {"a.ingot", "b.ingot"}) {
    ASSERT_EQ(ingot("convert " + source + " --storage codebook8 -o " + tmp / out).exit_code, 0);
  }
  EXPECT_EQ(testing::slurp(tmp / "a.ingot"), testing::slurp(tmp / "b.ingot"));
}

// Run-time decoding is exact: the kernels see entries[index] and nothing else, so a codebook8
// file and the same graph with those decoded values stored as f32 give bit-identical outputs.
TEST(Codebook8RealModels, RunExactlyAsTheirDecodedWeightsInF32) {
  INGOT_REQUIRE_SHARED("codebook8 real-model test");
  TempDir tmp("ingot_codebook_run");
  for (const char* key : {"fer2013-mini-xception", "caffe-yufacedetectnet-ssd", "dl4j-mtcnn-48net"}) {
    SCOPED_TRACE(key);
    const Model& m = *std::find_if(std::begin(kModels), std::end(kModels),
                                   [&](const Model& x) { return std::string(x.key) == key; });
    const ir::Graph coded = convert_and_read(tmp, m, "codebook8");
    ir::Graph plain = coded;
    int quantized = 0;
    for (ir::Constant& c : plain.constants) {
      quantized += c.storage == ir::Storage::codebook8;
      c = ir::make_constant(c.name, ir::decode_constant(c).value(), ir::Storage::raw).value();
    }
    EXPECT_GT(quantized, 0);
    std::vector<Tensor> inputs;
    for (const auto& name : coded.inputs) {
      const TensorInfo& info = coded.find_value(name)->info;
      Tensor x = Tensor::allocate(DType::f32, info.shape).value();
      auto v = x.mutable_data<float>();
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 7919) % 255) / 255.0f;
      inputs.push_back(std::move(x));
    }
    auto a = runtime::Session::plan(coded, default_registry(), {});
    auto b = runtime::Session::plan(plain, default_registry(), {});
    ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.status().message() : a.status().message());
    auto ya = a->run(inputs);
    auto yb = b->run(inputs);
    ASSERT_TRUE(ya.ok() && yb.ok());
    ASSERT_EQ(ya->size(), yb->size());
    for (std::size_t i = 0; i < ya->size(); ++i) EXPECT_TRUE((*ya)[i].bit_equal((*yb)[i])) << "output " << i;
  }
}

// The photo of TeachableMachineReproducesThePublishedProbabilities (test_keras_models.cpp):
// GLASS at 99.34 %. f16 weights move no probability by 1 percentage point (the bar);
// codebook8 keeps the class, and the test prints how far the probabilities move.
TEST(Codebook8RealModels, TeachableMachinePhotoKeepsItsClass) {
  INGOT_REQUIRE_SHARED("codebook8 real-model test");
  TempDir tmp("ingot_codebook_tm");
  const Tensor x = testing::teachable_photo_input();
  ASSERT_TRUE(npy::write(tmp / "x.npy", x).ok());
  const std::string model = (models_dir() / "teachable-machine-nested/keras_model.h5").string();
  std::map<std::string, Tensor> p;
  for (const std::string storage : {"f32", "f16", "codebook8"}) {
    auto r = ingot("convert " + model + " --storage " + storage + " -o " + tmp / (storage + ".ingot"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = ingot("run " + tmp / (storage + ".ingot") + " -i " + tmp / "x.npy" + " -o " + tmp / storage);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    p[storage] = npy::read((fs::path(tmp / storage) / "output_0.npy").string()).value();
  }
  for (const std::string storage : {"f16", "codebook8"}) {
    const auto q = p[storage].data<float>();
    EXPECT_EQ(std::max_element(q.begin(), q.end()) - q.begin(), 4) << storage << ": GLASS stays first";
    double worst = 0;
    for (std::size_t i = 0; i < q.size(); ++i) worst = std::max(worst, 100.0 * std::abs(q[i] - p["f32"].data<float>()[i]));
    std::cout << storage << ": GLASS " << 100.0 * q[4] << " % (f32 " << 100.0 * p["f32"].data<float>()[4]
              << " %), largest move " << worst << " percentage points\n";
    if (storage == "f16") {
      EXPECT_LT(worst, 1.0);
    }
  }
}

// YuFaceDetectNet on its two photos (inputs of tests/fixtures/caffe): detections of the f16 and
// codebook8 files matched to the f32 file's (same label, IoU >= 0.5). With f16 weights every
// face the f32 model finds with score >= 0.6 is found again and no new one reaches 0.6 (the
// 0.1 margin keeps faces scored near the 0.5 cut from flapping); codebook8 is reported.
TEST(Codebook8RealModels, FaceDetectorKeepsItsFaces) {
  INGOT_REQUIRE_SHARED("codebook8 real-model test");
  TempDir tmp("ingot_codebook_faces");
  const Model& m = kModels[std::size(kModels) - 1];
  ASSERT_STREQ(m.key, "caffe-yufacedetectnet-ssd");
  using Box = std::array<float, 7>;  // image, label, score, x1, y1, x2, y2
  auto iou = [](const Box& a, const Box& b) {
    const double w = std::max(0.0f, std::min(a[5], b[5]) - std::max(a[3], b[3]));
    const double h = std::max(0.0f, std::min(a[6], b[6]) - std::max(a[4], b[4]));
    const double inter = w * h;
    const double area_a = double(a[5] - a[3]) * (a[6] - a[4]), area_b = double(b[5] - b[3]) * (b[6] - b[4]);
    return inter / (area_a + area_b - inter);
  };
  for (const std::string storage : {"f32", "f16", "codebook8"}) {
    auto r = ingot("convert " + (models_dir() / m.path).string() + expand(m.extra) + " --storage " + storage + " -o " +
                   tmp / (storage + ".ingot"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  for (const char* photo : {"yufacedetectnet-faces1", "yufacedetectnet-faces2"}) {
    std::map<std::string, std::vector<Box>> found;
    for (const std::string storage : {"f32", "f16", "codebook8"}) {
      const std::string input = (fs::path(INGOT_FIXTURES_DIR) / "caffe" / photo / "input.npy").string();
      const std::string out = tmp / (storage + "_" + photo);
      auto r = ingot("run " + tmp / (storage + ".ingot") + " -i " + input + " -o " + out);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const Tensor y = npy::read((fs::path(out) / "output_0.npy").string()).value();
      const auto v = y.data<float>();
      for (std::size_t i = 0; i + 7 <= v.size(); i += 7) {
        Box b;
        std::copy(v.begin() + i, v.begin() + i + 7, b.begin());
        if (b[1] >= 0) found[storage].push_back(b);
      }
    }
    const auto& ref = found["f32"];
    ASSERT_FALSE(ref.empty()) << photo;
    for (const std::string storage : {"f16", "codebook8"}) {
      int matched = 0, missed = 0, extra = 0;
      double worst_delta = 0;
      for (const Box& a : ref) {
        const Box* best = nullptr;
        for (const Box& b : found[storage]) {
          if (b[1] == a[1] && iou(a, b) >= 0.5 && (!best || std::abs(b[2] - a[2]) < std::abs((*best)[2] - a[2]))) best = &b;
        }
        if (best) {
          ++matched, worst_delta = std::max(worst_delta, double(std::abs((*best)[2] - a[2])));
        } else if (a[2] >= 0.6) {
          ++missed;
        }
      }
      for (const Box& b : found[storage]) {
        const bool known = std::any_of(ref.begin(), ref.end(), [&](const Box& a) { return a[1] == b[1] && iou(a, b) >= 0.5; });
        extra += !known && b[2] >= 0.6;
      }
      std::cout << photo << " " << storage << ": " << matched << " of " << ref.size()
                << " f32 detections matched, largest score change " << worst_delta << ", missed (score >= 0.6) "
                << missed << ", extra (score >= 0.6) " << extra << "\n";
      if (storage == "f16") {
        EXPECT_EQ(missed, 0) << photo;
        EXPECT_EQ(extra, 0) << photo;
      }
    }
  }
}


// A seeded input for a model: uniform in [-1, 1) from a fixed linear congruential sequence.
Tensor seeded_input(const TensorInfo& info) {
  Tensor t = Tensor::allocate(DType::f32, info.shape).value();
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  for (float& v : t.mutable_data<float>()) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<float>(static_cast<double>(state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  }
  return t;
}

double snr_db(const Tensor& ref, const Tensor& test) {
  double signal = 0, noise = 0;
  for (std::size_t i = 0; i < ref.data<float>().size(); ++i) {
    const double a = ref.data<float>()[i], d = double(test.data<float>()[i]) - a;
    signal += a * a;
    noise += d * d;
  }
  return noise == 0 ? runtime::kExactSnrDb : 10 * std::log10(signal / noise);
}

// Every real model (MobileNet v1 aside: scripts/bench-codebook.sh compiles it) compiled for
// DV700 with f16 and with codebook8 weights, run with the device's f16 activations, against its
// f32 self on a seeded input. The bound comes from binary16 arithmetic: one rounding to binary16
// (relative error uniform within +-u, u = 2^-11) leaves an SNR of 10 log10(3 / u^2) = 70.9 dB; a
// value passes at most 2R + 1 roundings over R device runs (each run's weights and output, and
// the input), whose noise powers add: 70.9 - 10 log10(2R + 1) dB. A network may amplify relative
// noise; 20 dB (a tenfold amplitude) is allowed for that. Under codebook8 the weights' rounding
// is the codebook's: the worst layer's weight SNR (measured against the same folded weights
// in f32) takes the place of 70.9 dB where it is lower.
TEST(CompiledRealModels, EveryModelForDv700StaysWithinItsRoundingBound) {
  INGOT_REQUIRE_SHARED("compiled real-model test");
  TempDir tmp("ingot_compiled_models");
  auto dv700 = target::find_target("dv700", default_registry());
  ASSERT_TRUE(dv700.ok()) << dv700.status().message();
  // The same device reading f32 weights: the reference for the codebook's weight SNR.
  auto doc = nlohmann::json::parse(dv700->text);
  doc["name"] = "dv700-f32";
  doc["numerics"]["weights"].push_back("f32");
  auto dv700_f32 = target::parse_target(doc.dump(), "dv700-f32.json", default_registry());
  ASSERT_TRUE(dv700_f32.ok()) << dv700_f32.status().message();
  const double one_rounding_db = 10 * std::log10(3.0 / std::ldexp(1.0, -22));
  for (const Model& m : kModels) {
    if (m.path[0] == '\0') continue;
    SCOPED_TRACE(m.key);
    const ir::Graph g = convert_and_read(tmp, m, "f32");
    target::CompileOptions f32w, f16, cb8;
    f32w.weights = ir::Storage::raw;
    f16.weights = ir::Storage::f16;
    cb8.weights = ir::Storage::codebook8;
    auto folded = target::compile(g, *dv700_f32, f32w, default_registry());
    ASSERT_TRUE(folded.ok()) << folded.status().message();
    double weight_snr = one_rounding_db;
    auto quantized = target::compile(g, *dv700, cb8, default_registry());
    ASSERT_TRUE(quantized.ok()) << quantized.status().message();
    for (const auto& c : quantized->graph.constants) {
      if (c.storage != ir::Storage::codebook8) continue;
      const ir::Constant* f = folded->graph.find_constant(c.name);
      ASSERT_NE(f, nullptr) << c.name;
      weight_snr = std::min(weight_snr, snr_db(ir::decode_constant(*f).value(), ir::decode_constant(c).value()));
    }
    std::vector<std::vector<Tensor>> sample(1);
    for (const auto& name : g.inputs) sample[0].push_back(seeded_input(g.find_value(name)->info));
    for (const auto& [weights, options] : {std::pair{"f16", f16}, std::pair{"codebook8", cb8}}) {
      auto compiled = target::compile(g, *dv700, options, default_registry());
      ASSERT_TRUE(compiled.ok()) << compiled.status().message();
      std::size_t runs = 0;
      for (const auto& run : compiled->graph.compilation->runs) runs += run.on_device ? 1 : 0;
      const double per_rounding = std::string(weights) == "f16" ? one_rounding_db : std::min(one_rounding_db, weight_snr);
      const double bound = per_rounding - 10 * std::log10(2.0 * static_cast<double>(runs) + 1) - 20;
      auto report = runtime::compare_models(g, compiled->graph, sample, default_registry());
      ASSERT_TRUE(report.ok()) << report.status().message();
      double worst_value = runtime::kExactSnrDb;
      for (const auto& v : report->values) worst_value = std::min(worst_value, v.snr_db);
      for (const auto& v : report->values) {
        if (std::find(g.outputs.begin(), g.outputs.end(), v.name) == g.outputs.end()) continue;
        EXPECT_GE(v.snr_db, bound) << weights << " output " << v.name << " (" << runs << " device runs)";
        std::cout << m.key << " dv700 " << weights << ": output " << v.name << " SNR " << v.snr_db << " dB (bound " << bound
                  << ", " << runs << " device runs" << (std::string(weights) == "codebook8" ? ", worst layer's weight SNR " + std::to_string(weight_snr) : std::string())
                  << "); lowest of " << report->values.size() << " values " << worst_value << " dB\n";
      }
    }
  }
}

}  // namespace e2e_test_codebook_models
}  // namespace ingot
