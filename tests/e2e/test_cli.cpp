// The `ingot` CLI end to end on the bundled example model.
#include <cstring>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "e2e/cli_util.h"
#include "core/fp16.h"
#include "runtime/npy.h"

namespace ingot {
namespace e2e_test_cli {

using testing::ingot;
using testing::run_command;
using testing::TempDir;

class TinyCnn : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = run_command(std::string(INGOT_MAKE_TINY_CNN) + " " + dir_ / "model.ingot" + " " + dir_ / "input.npy");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_command(std::string(INGOT_MAKE_TINY_CNN) + " " + dir_ / "model16.ingot" + " " + dir_ / "input16.npy --f16");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  TempDir dir_{"ingot_e2e"};
};

// Expected values: scripts/gen_tiny_cnn_expected.py evaluates the same network in float64 numpy.
// Tolerance 1e-5 absolute + relative: float32 accumulation over at most 27 + 3 + 8 terms of
// magnitude < 2 stays below 1e-6; the margin covers summation order.
void expect_matches(const std::string& got_path, const std::string& expected_fixture) {
  auto got = npy::read(got_path);
  ASSERT_TRUE(got.ok()) << got.status().message();
  auto want = npy::read(std::string(INGOT_FIXTURES_DIR) + "/tiny_cnn/" + expected_fixture);
  ASSERT_TRUE(want.ok()) << want.status().message();
  ASSERT_EQ(got->shape(), want->shape());
  const auto g = got->data<float>();
  const auto w = want->data<float>();
  for (std::size_t i = 0; i < g.size(); ++i) {
    EXPECT_NEAR(g[i], w[i], 1e-5 + 1e-5 * std::fabs(w[i])) << "element " << i;
  }
}

TEST_F(TinyCnn, RunMatchesIndependentNumpyReference) {
  auto r = ingot("run " + dir_ / "model.ingot" + " --input " + dir_ / "input.npy" + " --output-dir " + dir_ / "out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("output_0.npy  scores  f32 [1, 4, 4, 4]"), std::string::npos) << r.out;
  expect_matches(dir_ / "out/output_0.npy", "expected_f32.npy");
}

// The same independent reference on the reference kernels alone, on 1 and 2 threads, and with
// XNNPACK convolutions.
TEST_F(TinyCnn, ReferenceAndThreadedRunsMatchNumpyReference) {
  for (const char* flags : {"--reference", "--threads 1", "--threads 2", "--reference --threads 2", "--conv-kernels xnnpack"}) {
    const std::string out = dir_ / (std::string("out_") + std::to_string(std::strlen(flags)));
    auto r = ingot("run " + dir_ / "model.ingot" + " -i " + dir_ / "input.npy" + " -o " + out + " " + flags);
    ASSERT_EQ(r.exit_code, 0) << flags << ": " << r.err;
    expect_matches(out + "/output_0.npy", "expected_f32.npy");
  }
  EXPECT_EQ(ingot("run " + dir_ / "model.ingot" + " -i " + dir_ / "input.npy" + " -o " + dir_ / "o --threads 0").exit_code, 1);
}

TEST_F(TinyCnn, InspectPlanListsPassesRewritesAndKernels) {
  auto r = ingot("inspect --plan " + dir_ / "model.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s : {"plan (", "CPU level", "fold_batch_norm", "fuse_residual_add", "fuse_activation", "steps (",
                        "onednn conv2d", "+ residual"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << "missing: " << s << "\n" << r.out;
  }
  r = ingot("inspect --plan --conv-kernels xnnpack " + dir_ / "model.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("xnnpack conv2d"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("onednn"), std::string::npos) << r.out;
  r = ingot("inspect --plan --reference " + dir_ / "model.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("xnnpack"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("onednn"), std::string::npos) << r.out;
  EXPECT_EQ(ingot("inspect --plan --conv-kernels blas " + dir_ / "model.ingot").exit_code, 1);
  r = ingot("inspect --plan --json " + dir_ / "model.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["plan"]["passes"].size(), 6u);
  EXPECT_FALSE(j["plan"]["steps"].empty());
}

TEST_F(TinyCnn, BenchReportsLatencyMemoryAndProfile) {
  auto r = ingot("bench " + dir_ / "model.ingot" + " --runs 5 --warmup 1 --threads 1 --profile --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["runs"], 5);
  EXPECT_EQ(j["threads"], 1);
  EXPECT_LE(j["min_ms"].get<double>(), j["median_ms"].get<double>());
  EXPECT_LE(j["median_ms"].get<double>(), j["max_ms"].get<double>());
  // conv3x3 3->8 on 8x8 (64 * 8 * 27) + conv1x1 3->8 (64 * 8 * 3) + dense 8->4 on 4x4 (16 * 4 * 8).
  EXPECT_EQ(j["macs"].get<std::uint64_t>(), 13824u + 1536u + 512u);
  EXPECT_GE(j["activation_bytes"].get<std::size_t>(), j["activation_lower_bound_bytes"].get<std::size_t>());
  EXPECT_TRUE(j["profile"].contains("Conv2D"));
  r = ingot("bench " + dir_ / "model.ingot" + " --runs 3 --warmup 0 --reference");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("kernels      reference"), std::string::npos) << r.out;
  EXPECT_EQ(ingot("bench " + dir_ / "model.ingot" + " --runs 0").exit_code, 1);
}

TEST_F(TinyCnn, F16WeightsMatchNumpyWithHalfRoundedWeights) {
  auto r = ingot("run " + dir_ / "model16.ingot" + " -i " + dir_ / "input16.npy" + " -o " + dir_ / "out16");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_matches(dir_ / "out16/output_0.npy", "expected_f16.npy");
}

TEST_F(TinyCnn, DumpAllWritesEveryValue) {
  auto r = ingot("run " + dir_ / "model.ingot" + " -i " + dir_ / "input.npy" + " -o " + dir_ / "out" +
                 " --dump-all " + dir_ / "dump");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* v : {"image", "conv3x3", "conv1x1", "residual", "relu", "pool", "scores"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / (std::string("dump/") + v + ".npy"))) << v;
  }
  auto relu = npy::read(dir_ / "dump/relu.npy");
  ASSERT_TRUE(relu.ok());
  for (float v : relu->data<float>()) EXPECT_GE(v, 0.0f);
}

TEST_F(TinyCnn, InspectShowsNodesParametersAndTensors) {
  auto r = ingot("inspect " + dir_ / "model16.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s : {"producer = \"ingot make_tiny_cnn\"", "image  f32 [1, 8, 8, 3]", "conv3x3  Conv2D v1",
                        "pads = [1, 1, 1, 1]", "weights = tensor 'conv3x3/weights'", "scores  f32 [1, 4, 4, 4]",
                        "conv3x3/weights  f32 [8, 3, 3, 3]  storage f16  432 bytes", "activation memory (planned)"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << "missing: " << s << "\n" << r.out;
  }
}

TEST_F(TinyCnn, InspectJsonIsMachineReadable) {
  auto r = ingot("inspect --json " + dir_ / "model.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["inputs"][0]["name"], "image");
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json({1, 8, 8, 3}));
  EXPECT_EQ(j["outputs"][0]["name"], "scores");
  ASSERT_EQ(j["nodes"].size(), 7u);
  const auto& conv = j["nodes"][1];
  EXPECT_EQ(conv["op"], "Conv2D");
  EXPECT_EQ(conv["params"]["pads"]["type"], "int list");
  EXPECT_EQ(conv["params"]["weights"]["value"]["tensor"], "conv3x3/weights");
  ASSERT_EQ(j["tensors"].size(), 5u);
  std::size_t total = 0;
  for (const auto& t : j["tensors"]) {
    EXPECT_EQ(t["offset"].get<std::size_t>() % 64, 0u) << t["name"];
    total += t["bytes"].get<std::size_t>();
  }
  EXPECT_EQ(j["totals"]["weight_bytes"], total);
  EXPECT_EQ(total, (216u + 8 + 24 + 32 + 4) * 4);
  EXPECT_GT(j["totals"]["activation_bytes"].get<std::size_t>(), 0u);
}

// Every tensor comes out decoded, under a file name that keeps '/' and '..' inside the folder;
// the f16 weights equal their halves, and --json marks the layer weights codebook8 would take.
TEST_F(TinyCnn, InspectExportsEveryTensorDecoded) {
  auto r = ingot("inspect --json " + dir_ / "model16.ingot" + " --export-tensors " + dir_ / "tensors");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  int layer_weights = 0;
  for (const auto& t : j["tensors"]) {
    const std::string name = t["name"];
    std::string file;
    for (char ch : name) file += ch == '/' ? std::string("%2F") : std::string(1, ch);
    auto value = npy::read((std::filesystem::path(dir_ / "tensors") / (file + ".npy")).string());
    ASSERT_TRUE(value.ok()) << name << ": " << value.status().message();
    EXPECT_EQ(value->dtype(), DType::f32) << name;
    EXPECT_EQ(value->shape().dims(), t["shape"].get<std::vector<std::int64_t>>()) << name;
    for (float v : value->data<float>()) {
      EXPECT_EQ(half_to_float(float_to_half(v)), v) << name << " holds halves";
    }
    layer_weights += t["layer_weights"].get<bool>();
  }
  EXPECT_EQ(layer_weights, 3) << "the two convolutions' and the dense layer's weights";
}

TEST_F(TinyCnn, WrongInputShapeIsABadInputError) {
  ASSERT_TRUE(npy::write(dir_ / "wrong.npy", Tensor::allocate(DType::f32, Shape{1, 8, 8, 4}).value()).ok());
  auto r = ingot("run " + dir_ / "model.ingot" + " -i " + dir_ / "wrong.npy" + " -o " + dir_ / "bad_out");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("input 'image' dim 3 is fixed at 3 by the model [1, 8, 8, 3], got 4 (shape [1, 8, 8, 4])"),
            std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "bad_out"));
  r = ingot("run " + dir_ / "model.ingot" + " -o " + dir_ / "bad_out");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("it needs 1 inputs, got 0"), std::string::npos) << r.err;
}

TEST(Cli, VersionHelpAndUsageErrors) {
  auto r = ingot("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("ingot 0."), std::string::npos) << r.out;
  for (const char* cmd : {"--help", "inspect --help", "ops --help", "run --help"}) {
    r = ingot(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << ": " << r.out;
  }
  EXPECT_EQ(ingot("").exit_code, 1);
  EXPECT_EQ(ingot("frobnicate").exit_code, 1);
  EXPECT_EQ(ingot("inspect").exit_code, 1);
  EXPECT_EQ(ingot("run --bogus x").exit_code, 1);
}

TEST(Cli, MissingAndNonModelFilesAreReported) {
  auto r = ingot("inspect /nonexistent/model.ingot");
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("open file '/nonexistent/model.ingot': No such file"), std::string::npos) << r.err;
  r = ingot(std::string("inspect ") + INGOT_FIXTURES_DIR + "/tiny_cnn/expected_f32.npy");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("expected_f32.npy"), std::string::npos) << r.err;
}

TEST(Cli, OpsListsSchemasAndDocsAreGeneratedFromThem) {
  auto r = ingot("ops");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Conv2D v1"), std::string::npos);
  EXPECT_NE(r.out.find("strides: int list"), std::string::npos) << r.out;
  r = ingot("ops --markdown");
  ASSERT_EQ(r.exit_code, 0);
  const std::string committed = testing::slurp(std::string(INGOT_SOURCE_DIR) + "/docs/ops.md");
  EXPECT_EQ(r.out, committed) << "docs/ops.md is stale: regenerate it with `ingot ops --markdown > docs/ops.md`";
}

}  // namespace e2e_test_cli
}  // namespace ingot
