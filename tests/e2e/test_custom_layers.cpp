// Custom layers end to end through the CLI: the missing-parameter diagnosis of `ingot check`
// and `ingot convert`, repair with --params (precedence, origins in the file, every rejection),
// Lambda layers, unknown classes with --keep-unknown, and a user op loaded from a plugin.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/cli_util.h"
#include "e2e/shared_dir.h"
#include "runtime/npy.h"

namespace ingot {
namespace e2e_test_custom_layers {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ingot;
using testing::TempDir;

const fs::path kCases = fs::path(INGOT_FIXTURES_DIR) / "keras_cases";
const fs::path kMissing = kCases / "ssd_rykov8_missing_params";
const fs::path kExample = fs::path(INGOT_SOURCE_DIR) / "examples" / "custom_op";
const std::vector<std::string> kPriorBoxes = {"conv4_3_norm_mbox_priorbox", "fc7_mbox_priorbox", "pool6_mbox_priorbox"};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

double max_abs_diff(const Tensor& a, const Tensor& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.data<float>().size(); ++i) {
    worst = std::max(worst, std::fabs(double(a.data<float>()[i]) - b.data<float>()[i]));
  }
  return worst;
}

// The case's own tolerance (index.json): atol 1e-3 + rtol 1e-3 for the SSD heads.
void expect_matches_expected(const std::string& out_dir, const fs::path& expected, double tol) {
  auto got = npy::read(out_dir + "/output_0.npy");
  auto want = npy::read(expected.string());
  ASSERT_TRUE(got.ok() && want.ok());
  ASSERT_EQ(got->shape(), want->shape());
  EXPECT_LE(max_abs_diff(*got, *want), tol);
}

TEST(KerasCheck, NamesEveryPriorBoxAndItsMissingKeysWithBothFixes) {
  auto r = ingot("check " + (kMissing / "model.h5").string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  for (const auto& layer : kPriorBoxes) {
    EXPECT_TRUE(contains(r.out, "layer '" + layer + "' (PriorBox): custom, op PriorBox")) << r.out;
  }
  EXPECT_TRUE(contains(r.out, "img_size = ?  [missing]")) << r.out;
  EXPECT_TRUE(contains(r.out, "min_size = ?  [missing]")) << r.out;
  EXPECT_TRUE(contains(r.out, "class 'PriorBox' has no get_config(), so Keras never saved its parameters")) << r.out;
  EXPECT_TRUE(contains(r.out, "def get_config(self):")) << r.out;
  EXPECT_TRUE(contains(r.out, "'img_size': self.img_size,")) << r.out;
  EXPECT_TRUE(contains(r.out, "super(PriorBox, self).get_config()")) << r.out;
  EXPECT_TRUE(contains(r.out, "conversion cannot proceed")) << r.out;
  // Normalize lacks only 'scale', which only initialises gamma (a weight): not an error.
  EXPECT_TRUE(contains(r.out, "layer 'conv4_3_norm' (Normalize): custom, op Normalize, weights: conv4_3_norm_gamma [8]")) << r.out;
  EXPECT_TRUE(contains(r.out, "note: key 'scale' not set (optional, no default)")) << r.out;
}

TEST(KerasCheck, JsonReportAndSkeletonThatConvertsOnceFilledIn) {
  TempDir tmp("ingot_check_json");
  auto r = ingot("check " + (kMissing / "model.h5").string() + " --json --params-skeleton " + tmp / "skeleton.json");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const json report = json::parse(r.out);
  EXPECT_FALSE(report["can_convert"].get<bool>());
  int missing_layers = 0;
  for (const auto& l : report["layers"]) {
    if (l["class"] != "PriorBox") continue;
    ++missing_layers;
    EXPECT_EQ(l["missing"], json({"img_size", "min_size"})) << l.dump();
  }
  EXPECT_EQ(missing_layers, 3);
  ASSERT_EQ(report["fixes"].size(), 1u);
  EXPECT_EQ(report["fixes"][0]["class"], "PriorBox");

  // The skeleton holds placeholders for the required values and defaults for the others.
  json skeleton = json::parse(testing::slurp(tmp / "skeleton.json"));
  ASSERT_EQ(skeleton.size(), 3u);
  const auto& first = skeleton["conv4_3_norm_mbox_priorbox"];
  EXPECT_TRUE(first["img_size"].is_string() && contains(first["img_size"].get<std::string>(), "<required:"));
  EXPECT_EQ(first["flip"], true);
  EXPECT_EQ(first["variances"], json({0.1}));
  // Left as is, the placeholders are rejected, naming the key.
  r = ingot("convert " + (kMissing / "model.h5").string() + " --params " + tmp / "skeleton.json" + " -o " + tmp / "m.ingot");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "key 'img_size' must be float list")) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "m.ingot"));
  // Filled in with the true values, it converts and the model matches the oracle.
  const json truth = json::parse(testing::slurp(kMissing / "params_override.json"));
  for (auto& [layer, entry] : skeleton.items()) {
    for (auto& [key, value] : entry.items()) value = truth[layer][key];
  }
  write(tmp / "filled.json", skeleton.dump());
  r = ingot("convert " + (kMissing / "model.h5").string() + " --params " + tmp / "filled.json" + " -o " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("run " + tmp / "m.ingot" + " -i " + (kMissing / "input_0.npy").string() + " -o " + tmp / "out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_matches_expected(tmp / "out", kMissing / "expected_0.npy", 2e-3);
}

TEST(KerasParams, CheckPassesWithTheFileAndInspectShowsWhereEachValueCameFrom) {
  TempDir tmp("ingot_params_origin");
  const std::string params = (kMissing / "params_override.json").string();
  auto r = ingot("check " + (kMissing / "model.h5").string() + " --params " + params);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "min_size = 10.0  [parameter file (layer)]")) << r.out;
  EXPECT_TRUE(contains(r.out, "conversion can proceed")) << r.out;
  r = ingot("convert " + (kMissing / "model.h5").string() + " --params " + params + " -o " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("inspect " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "params.fc7_mbox_priorbox.origin")) << r.out;
  EXPECT_TRUE(contains(r.out, "max_size: parameter file (layer)")) << r.out;
  EXPECT_TRUE(contains(r.out, "params_override.json")) << r.out;
}

TEST(KerasParams, LayerEntryOverridesClassEntryWhichOverridesTheModel) {
  TempDir tmp("ingot_params_precedence");
  json p = json::parse(testing::slurp(kMissing / "params_override.json"));
  for (auto& [layer, entry] : p.items()) entry.erase("min_size");
  p["class:PriorBox"] = {{"min_size", 12.5}};
  p["fc7_mbox_priorbox"]["min_size"] = 20;
  write(tmp / "p.json", p.dump());
  auto r = ingot("check " + (kMissing / "model.h5").string() + " --json --params " + tmp / "p.json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json report = json::parse(r.out);
  for (const auto& l : report["layers"]) {
    if (l["class"] != "PriorBox") continue;
    for (const auto& param : l["params"]) {
      if (param["key"] != "min_size") continue;
      if (l["name"] == "fc7_mbox_priorbox") {
        EXPECT_EQ(param["value"], 20.0);
        EXPECT_EQ(param["origin"], "parameter file (layer)");
      } else {
        EXPECT_EQ(param["value"], 12.5);
        EXPECT_EQ(param["origin"], "parameter file (class)");
      }
    }
  }
}

struct BadParams {
  const char* name;
  json file;
  std::vector<std::string> message;
};

TEST(KerasParams, RejectsBadParameterFilesNamingEntryAndKey) {
  TempDir tmp("ingot_params_bad");
  json good = json::parse(testing::slurp(kMissing / "params_override.json"));
  auto with = [&](const std::string& layer, const std::string& key, json value) {
    json p = good;
    p[layer][key] = std::move(value);
    return p;
  };
  const BadParams cases[] = {
      {"unknown layer", json{{"conv4_3_norm_mbox_priorbx", {{"min_size", 1}}}},
       {"entry 'conv4_3_norm_mbox_priorbx' must name a layer of the model", "closest: conv4_3_norm_mbox_priorbox"}},
      {"misspelt key", with("fc7_mbox_priorbox", "min_sise", 3),
       {"layer 'fc7_mbox_priorbox' (PriorBox)", "key 'min_sise'", "is not a parameter of op 'PriorBox'"}},
      {"wrong type", with("fc7_mbox_priorbox", "min_size", "big"),
       {"layer 'fc7_mbox_priorbox' (PriorBox)", "key 'min_size' must be float", "got \"big\""}},
      {"out of range", with("fc7_mbox_priorbox", "min_size", -4),
       {"layer 'fc7_mbox_priorbox' (PriorBox)", "parameter 'min_size' must be > 0, got -4"}},
      {"wrong list size", with("fc7_mbox_priorbox", "img_size", json({64, 48, 3})),
       {"layer 'fc7_mbox_priorbox' (PriorBox)", "key 'img_size' must have 2 elements"}},
      {"not an object", json{{"fc7_mbox_priorbox", 3}}, {"entry 'fc7_mbox_priorbox' must be an object of config keys"}},
      {"not a JSON object", json::array({1, 2}), {"it must be a JSON object of layer names"}},
  };
  for (const BadParams& c : cases) {
    SCOPED_TRACE(c.name);
    write(tmp / "p.json", c.file.dump());
    auto r = ingot("convert " + (kMissing / "model.h5").string() + " --params " + tmp / "p.json" + " -o " + tmp / "m.ingot");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    for (const auto& part : c.message) EXPECT_TRUE(contains(r.err, part)) << part << "\n" << r.err;
    EXPECT_FALSE(fs::exists(tmp / "m.ingot"));
  }
  write(tmp / "p.json", "{\"a\": ");
  auto r = ingot("convert " + (kMissing / "model.h5").string() + " --params " + tmp / "p.json" + " -o " + tmp / "m.ingot");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "it must be valid JSON, got a syntax error at byte")) << r.err;
  r = ingot("convert " + (kMissing / "model.h5").string() + " --params " + tmp / "absent.json" + " -o " + tmp / "m.ingot");
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_TRUE(contains(r.err, "open parameter file")) << r.err;
}

// --- user ops: the ScaledTanh layer of examples/custom_op and its plugin

TEST(KerasUserOps, UnknownClassFailsAndSuggestsAPlugin) {
  TempDir tmp("ingot_user_unknown");
  auto r = ingot("convert " + (kExample / "model.h5").string() + " -o " + tmp / "m.ingot");
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_TRUE(contains(r.err, "layer 'scaled_tanh_1' (ScaledTanh): class 'ScaledTanh' must be a known Keras layer class")) << r.err;
  EXPECT_TRUE(contains(r.err, "\"alpha\":1.7159")) << r.err;
  EXPECT_TRUE(contains(r.err, "--plugin")) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "m.ingot"));
}

TEST(KerasUserOps, PluginOpConvertsChecksAndRunsMatchingNumpy) {
  TempDir tmp("ingot_user_plugin");
  const std::string plugin = std::string(" --plugin ") + INGOT_EXAMPLE_PLUGIN;
  auto r = ingot("check " + (kExample / "model.h5").string() + plugin);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "layer 'scaled_tanh_1' (ScaledTanh): custom, op ScaledTanh")) << r.out;
  EXPECT_TRUE(contains(r.out, "beta = 0.6666  [model file]")) << r.out;
  r = ingot("convert " + (kExample / "model.h5").string() + plugin + " -o " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("run " + tmp / "m.ingot" + plugin + " -i " + (kExample / "input.npy").string() + " -o " + tmp / "out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // numpy float64 reference; float32 conv + tanh: 1e-5 absolute on values within +-1.72.
  expect_matches_expected(tmp / "out", kExample / "expected.npy", 1e-5);
}

TEST(KerasUserOps, KeepUnknownCarriesTheLayerUntilAKernelIsRegistered) {
  TempDir tmp("ingot_user_opaque");
  auto r = ingot("convert " + (kExample / "model.h5").string() + " --keep-unknown -o " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "carried as opaque op 'ScaledTanh'")) << r.err;
  // Without the library the file is still readable enough to say what it needs.
  r = ingot("inspect " + tmp / "m.ingot");
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_TRUE(contains(r.err, "op 'ScaledTanh' must be registered")) << r.err;
  EXPECT_TRUE(contains(r.err, "--plugin")) << r.err;
  r = ingot("inspect " + tmp / "m.ingot" + " --plugin " + INGOT_EXAMPLE_PLUGIN);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "ScaledTanh")) << r.out;
  EXPECT_TRUE(contains(r.out, "alpha")) << r.out;
  r = ingot("run " + tmp / "m.ingot" + " -i " + (kExample / "input.npy").string() + " -o " + tmp / "out");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "ScaledTanh")) << r.err;
  EXPECT_TRUE(contains(r.err, "--plugin")) << r.err;
  r = ingot("run " + tmp / "m.ingot" + " --plugin " + INGOT_EXAMPLE_PLUGIN + " -i " + (kExample / "input.npy").string() + " -o " +
            tmp / "out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_matches_expected(tmp / "out", kExample / "expected.npy", 1e-5);
}

// Saved ints for the plugin's float parameters ("alpha": 2): the opaque stand-in carries them
// as ints, and the file read with the plugin widens them, so the run equals that of a file
// saved with 2.0, bit for bit.
TEST(KerasUserOps, OpaqueIntsWidenToThePluginsFloats) {
  TempDir tmp("ingot_user_widen");
  const std::string script = std::string(INGOT_SOURCE_DIR) + "/tests/python/set_layer_config.py";
  const std::string plugin = std::string(" --plugin ") + INGOT_EXAMPLE_PLUGIN;
  for (const char* kind : {"int", "float"}) {
    const std::string values = std::string(kind) == "int" ? "'{\"alpha\": 2, \"beta\": 1}'" : "'{\"alpha\": 2.0, \"beta\": 1.0}'";
    auto r = testing::run_command("/usr/bin/python3 " + script + " " + (kExample / "model.h5").string() + " " + tmp / kind +
                                  ".h5 ScaledTanh " + values);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = ingot("convert " + tmp / kind + ".h5 --keep-unknown -o " + tmp / kind + ".ingot");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = ingot("run " + tmp / kind + ".ingot" + plugin + " -i " + (kExample / "input.npy").string() + " -o " + tmp / kind);
    ASSERT_EQ(r.exit_code, 0) << kind << ": " << r.err;
  }
  auto a = npy::read(tmp / "int" + "/output_0.npy");
  auto b = npy::read(tmp / "float" + "/output_0.npy");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->bit_equal(*b));
  // And the int file, inspected with the plugin, holds floats.
  auto r = ingot("inspect " + tmp / "int.ingot --json" + plugin);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  bool seen = false;
  for (const auto& node : j["nodes"]) {
    if (node["op"] != "ScaledTanh") continue;
    seen = true;
    EXPECT_EQ(node["params"]["alpha"]["type"], "float");
    EXPECT_EQ(node["params"]["alpha"]["value"], 2.0);
  }
  EXPECT_TRUE(seen) << r.out;
}

TEST(KerasUserOps, BadPluginsAreRejectedClearly) {
  TempDir tmp("ingot_user_badplugin");
  write(tmp / "not.so", "hello");
  auto r = ingot("convert " + (kExample / "model.h5").string() + " --plugin " + tmp / "not.so" + " -o " + tmp / "m.ingot");
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_TRUE(contains(r.err, "load plugin")) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "m.ingot"));
}

}  // namespace e2e_test_custom_layers
}  // namespace ingot
