// Standard layers' saved keys against what ingot reads (issue 4, section 1): a saved key ingot
// does not read is a warning naming file, layer, class, key and value; defaults used for keys
// the file does not store are reported; values ingot cannot honour are errors. Every real model
// and every oracle case must be free of unread keys: otherwise the list of keys without effect
// (layer_table.cpp) is incomplete or a key is really ignored. Fixtures:
// scripts/gen_keras_key_fixtures.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "e2e/cli_util.h"
#include "e2e/shared_dir.h"
#include "frontends/keras/importer.h"
#include "runtime/npy.h"

namespace ingot {
namespace e2e_test_keras_keys {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ingot;
using testing::TempDir;

const fs::path kKeys = fs::path(INGOT_FIXTURES_DIR) / "keras_keys";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const json* find_layer(const json& report, const std::string& name) {
  for (const json& l : report["layers"]) {
    if (l["name"] == name) return &l;
  }
  return nullptr;
}

TEST(KerasStandardKeys, UnreadKeyIsAWarningNamingFileLayerClassKeyAndValue) {
  TempDir tmp("ingot_keys_unknown");
  const std::string model = (kKeys / "unknown_key.h5").string();
  auto r = ingot("convert " + model + " -o " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;  // a warning does not stop the conversion
  EXPECT_TRUE(fs::exists(tmp / "m.ingot"));
  std::string line = "ingot: warning: file '";
  line.append(model).append("', layer 'conv2d_1' (Conv2D): key 'future_key' = 7 is not read by ingot; results may differ if it matters\n");
  EXPECT_TRUE(contains(r.err, line)) << r.err;

  r = ingot("check " + model);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "check " + model + ": 1 layers")) << r.out;
  EXPECT_TRUE(contains(r.out, "layer 'conv2d_1' (Conv2D): standard")) << r.out;
  EXPECT_TRUE(contains(r.out, "  warning: key 'future_key' = 7 is not read by ingot; results may differ if it matters\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "0 errors, 1 warnings: conversion can proceed")) << r.out;

  r = ingot("check --json " + model);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["file"], model);
  EXPECT_EQ(j["counts"]["warnings"], 1);
  const json* conv = find_layer(j, "conv2d_1");
  ASSERT_NE(conv, nullptr) << j.dump(2);
  EXPECT_EQ((*conv)["class"], "Conv2D");
  EXPECT_EQ((*conv)["keys"]["unread"], json({{"future_key", 7}}));
  ASSERT_EQ((*conv)["diagnostics"].size(), 2u) << conv->dump(2);  // the warning and the note on defaults
  const json& warning = (*conv)["diagnostics"][0];
  EXPECT_EQ(warning["severity"], "warning");
  EXPECT_EQ(warning["key"], "future_key");
  EXPECT_EQ(warning["message"], "key 'future_key' = 7 is not read by ingot; results may differ if it matters");
}

TEST(KerasStandardKeys, KeyAClassDoesNotHaveIsNotSilentlyIgnored) {
  // Pooling has no dilation_rate: a file that says [2, 2] describes something ingot does not do.
  TempDir tmp("ingot_keys_pool");
  const std::string model = (kKeys / "maxpool_dilation.h5").string();
  auto r = ingot("convert " + model + " -o " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "layer 'max_pooling2d_1' (MaxPooling2D): key 'dilation_rate' = [2,2] is not read by ingot")) << r.err;
  EXPECT_TRUE(contains(r.err, "file '" + model + "'")) << r.err;
}

TEST(KerasStandardKeys, CheckReportsKeysFoundDefaultedAndWithoutEffect) {
  // A Keras 2.2.4 Conv2D: no 'groups' (tf.keras 2.3+) in the file, so ingot uses 1.
  const std::string model = (fs::path(INGOT_FIXTURES_DIR) / "keras_cases" / "conv2d_valid_s1" / "model.h5").string();
  auto r = ingot("check --json " + model);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["counts"]["warnings"], 0);
  const json* conv = find_layer(j, "conv2d_1");
  ASSERT_NE(conv, nullptr) << j.dump(2);
  const json& keys = (*conv)["keys"];
  EXPECT_EQ(keys["defaulted"], json({{"groups", 1}})) << keys.dump(2);
  EXPECT_EQ(keys["found"]["filters"], 4);
  EXPECT_EQ(keys["found"]["kernel_size"], json({3, 3}));
  EXPECT_EQ(keys["found"]["padding"], "valid");
  EXPECT_EQ(keys["found"]["dilation_rate"], json({1, 1}));
  EXPECT_EQ(keys["found"]["use_bias"], true);
  EXPECT_EQ(keys["found"]["activation"], "linear");
  EXPECT_EQ(keys["unread"], json::object());
  for (const char* k : {"name", "trainable", "dtype", "batch_input_shape", "kernel_initializer", "bias_regularizer",
                        "activity_regularizer", "kernel_constraint"}) {
    EXPECT_NE(std::find(keys["no_effect"].begin(), keys["no_effect"].end(), k), keys["no_effect"].end()) << k;
  }
  ASSERT_EQ((*conv)["diagnostics"].size(), 1u) << conv->dump(2);
  EXPECT_EQ((*conv)["diagnostics"][0]["severity"], "note");
  EXPECT_EQ((*conv)["diagnostics"][0]["message"], "not saved, defaults used: groups = 1");

  r = ingot("check " + model);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "    found: activation = \"linear\", data_format = \"channels_last\", dilation_rate = [1,1], "
                              "filters = 4, kernel_size = [3,3], padding = \"valid\", strides = [1,1], use_bias = true\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "    no effect on inference: ")) << r.out;
  EXPECT_TRUE(contains(r.out, "  note: not saved, defaults used: groups = 1\n")) << r.out;
}

TEST(KerasStandardKeys, DefaultsComputedByTheImporterAreReported) {
  // A Keras 2.2.4 Conv2DTranspose saves output_padding: null (found: the file's choice) but
  // no dilation_rate (defaulted).
  const std::string model = (fs::path(INGOT_FIXTURES_DIR) / "keras_cases" / "conv2d_transpose_valid_s1" / "model.h5").string();
  auto r = ingot("check --json " + model);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const json* deconv = find_layer(j, "conv2d_transpose_1");
  ASSERT_NE(deconv, nullptr);
  EXPECT_EQ((*deconv)["keys"]["found"]["output_padding"], nullptr);
  EXPECT_EQ((*deconv)["keys"]["defaulted"], json({{"dilation_rate", {1, 1}}})) << deconv->dump(2);
}

TEST(KerasStandardKeys, GroupedConv2DMatchesTheNumpyReference) {
  TempDir tmp("ingot_keys_groups");
  auto r = ingot("convert " + (kKeys / "conv2d_groups2.h5").string() + " -o " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  r = ingot("inspect --json " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json inspected = json::parse(r.out);
  std::size_t grouped = 0;
  for (const json& node : inspected["nodes"]) {
    if (node["op"] == "Conv2D") grouped += node["params"]["groups"]["value"] == 2;
  }
  EXPECT_EQ(grouped, 1u) << r.out;
  r = ingot("run " + tmp / "m.ingot" + " -i " + (kKeys / "conv2d_groups2.input_0.npy").string() + " -o " + tmp / "out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = npy::read(tmp / "out/output_0.npy");
  auto want = npy::read((kKeys / "conv2d_groups2.expected_0.npy").string());
  ASSERT_TRUE(got.ok() && want.ok());
  ASSERT_EQ(got->shape(), (Shape{1, 9, 11, 6}));
  ASSERT_EQ(got->shape(), want->shape());
  // 18 float32 products per output against float64: 1e-4 abs + rel, as the oracle cases.
  std::size_t outside = 0;
  for (std::size_t i = 0; i < got->data<float>().size(); ++i) {
    const double w = want->data<float>()[i];
    outside += !(std::fabs(got->data<float>()[i] - w) <= 1e-4 + 1e-4 * std::fabs(w));
  }
  EXPECT_EQ(outside, 0u);
}

TEST(KerasStandardKeys, ValuesIngotCannotHonourAreErrors) {
  TempDir tmp("ingot_keys_errors");
  struct Bad {
    const char* file;
    const char* layer;
    const char* message;
  };
  const Bad cases[] = {
      {"conv2d_transpose_groups2.h5", "layer 'conv2d_transpose_1' (Conv2DTranspose)",
       "key 'groups' must be 1 (Conv2DTranspose does not group its channels), got 2"},
      {"upsampling_area.h5", "layer 'up_sampling2d_1' (UpSampling2D)",
       "key 'interpolation' must be one of \"nearest\", \"bilinear\", got \"area\""},
      {"prelu_shared_mismatch.h5", "layer 'p_re_lu_1' (PReLU)",
       "weight 'alpha' must have shape [1, 5, 4] (the input shape without the batch, 1 on shared_axes), got [1, 1, 4]"},
  };
  for (const Bad& b : cases) {
    SCOPED_TRACE(b.file);
    const std::string model = (kKeys / b.file).string();
    auto r = ingot("convert " + model + " -o " + tmp / "m.ingot");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "convert file '" + model + "'")) << r.err;
    EXPECT_TRUE(contains(r.err, b.layer)) << r.err;
    EXPECT_TRUE(contains(r.err, b.message)) << r.err;
    EXPECT_FALSE(fs::exists(tmp / "m.ingot"));
  }
}

// --- every committed case, oracle case and real model: no unread key, every standard layer reviewed

struct Source {
  fs::path model;
  std::vector<Shape> input_shapes;
  fs::path params;  // empty: none
};

// The keys of every standard layer: "<file>: layer 'x' (Class) key 'k' = v" for each unread one.
std::vector<std::string> unread_keys(const Source& s, std::size_t& standard_layers) {
  keras::ImportOptions options;
  options.input_shapes = s.input_shapes;
  std::optional<keras::ParamFile> params;
  if (!s.params.empty()) {
    auto loaded = keras::ParamFile::load(s.params.string());
    EXPECT_TRUE(loaded.ok()) << loaded.status().message();
    if (loaded.ok()) params = *loaded;
    options.params = params ? &*params : nullptr;
  }
  keras::ImportReport report;
  auto graph = keras::import_file(s.model.string(), options, default_registry(), &report);
  EXPECT_TRUE(graph.ok()) << s.model << ": " << graph.status().message();
  std::vector<std::string> out;
  for (const keras::LayerReport& l : report.layers) {
    if (l.kind != keras::LayerKind::standard) continue;
    ++standard_layers;
    EXPECT_TRUE(l.keys.reviewed) << s.model << ": layer " << l.name;
    for (const auto& [key, value] : l.keys.unread) {
      out.push_back(s.model.string() + ": layer '" + l.name + "' (" + l.class_name + ") key '" + key + "' = " + value.dump());
    }
  }
  return out;
}

std::vector<Source> oracle_sources(const fs::path& root) {
  std::vector<Source> out;
  std::ifstream in(root / "index.json");
  const json index = json::parse(in);
  for (const auto& c : index["cases"]) {
    Source s{root / c["name"].get<std::string>() / "model.h5", {}, {}};
    for (const auto& i : c["inputs"]) s.input_shapes.emplace_back(i["shape"].get<std::vector<std::int64_t>>());
    if (c.contains("params_override")) s.params = root / c["name"].get<std::string>() / c["params_override"].get<std::string>();
    out.push_back(std::move(s));
  }
  return out;
}

void expect_no_unread_keys(const std::vector<Source>& sources, std::size_t min_standard_layers) {
  std::size_t standard = 0;
  std::vector<std::string> unread;
  for (const Source& s : sources) {
    for (auto& u : unread_keys(s, standard)) unread.push_back(std::move(u));
  }
  std::string list;
  for (const auto& u : unread) list.append("\n  ").append(u);
  EXPECT_TRUE(unread.empty()) << unread.size() << " unread keys:" << list;
  EXPECT_GE(standard, min_standard_layers);  // the check really ran over the layers
}

TEST(KerasStandardKeys, CommittedOracleCasesHaveNoUnreadKeys) {
  const auto sources = oracle_sources(fs::path(INGOT_FIXTURES_DIR) / "keras_cases");
  EXPECT_GE(sources.size(), 75u);
  expect_no_unread_keys(sources, 150);
}

TEST(KerasStandardKeys, SharedOracleCasesHaveNoUnreadKeys) {
  INGOT_REQUIRE_SHARED("the unread-keys check of ../shared");
  const auto shared = testing::shared_dir();
  const auto sources = oracle_sources(*shared / "oracle" / "cases");
  EXPECT_EQ(sources.size(), 78u);
  expect_no_unread_keys(sources, 150);
}

TEST(KerasStandardKeys, RealModelsHaveNoUnreadKeys) {
  INGOT_REQUIRE_SHARED("the unread-keys check of ../shared");
  const auto shared = testing::shared_dir();
  const fs::path m = *shared / "models";
  const fs::path ssd7_params = fs::path(INGOT_SOURCE_DIR) / "examples" / "ssd7-anchorboxes.params.json";
  const std::vector<Source> sources = {
      {m / "dl4j-activations-io/LeakyReLU_0_model.h5", {}, {}},
      {m / "dl4j-activations-io/ReLU_2_model.h5", {}, {}},
      {m / "dl4j-channels-first-simpleconv2d/simpleconv2d.hdf5", {}, {}},
      {m / "dl4j-cnn-batchnorm-io/cnn_batch_norm.h5", {}, {}},
      {m / "dl4j-dcgan-mnist/dcgan_discriminator.h5", {}, {}},
      {m / "dl4j-dcgan-mnist/dcgan_generator.h5", {}, {}},
      {m / "dl4j-mtcnn/12net.h5", {Shape{1, 12, 12, 3}}, {}},
      {m / "dl4j-mtcnn/48net_complete.h5", {}, {}},
      {m / "dl4j-tfkeras-synthetic/cnn2d_112.h5", {}, {}},
      {m / "dl4j-tfkeras-synthetic/cnn2d_40.h5", {}, {}},
      {m / "dl4j-tfkeras-synthetic/cnn2d_52.h5", {}, {}},
      {m / "dl4j-tfkeras-synthetic/cnn2d_76.h5", {}, {}},
      {m / "dl4j-theano-backend/conv2d_reshape_tensorflow_2.h5", {}, {}},
      {m / "dl4j-theano-backend/conv2d_reshape_theano_2.h5", {}, {}},
      {m / "dmp-segnet-basic/SegNet_Basic.hdf5", {}, {}},
      {m / "fer2013-mini-xception/fer2013_mini_XCEPTION.102-0.66.hdf5", {}, {}},
      {m / "mnist-functional-keras28/model_qg_exp_original.hdf5", {}, {}},
      {m / "prismanet-hair-seg/CelebA_PrismaNet_256_hair_seg_model_opt_001.hdf5", {}, {}},
      {m / "ssd7-anchorboxes/ssd7_epoch-24_loss-2.0928_val_loss-2.2581.h5", {}, ssd7_params},
      {m / "teachable-machine-nested/keras_model.h5", {}, {}},
  };
  expect_no_unread_keys(sources, 400);
}

}  // namespace e2e_test_keras_keys
}  // namespace ingot
