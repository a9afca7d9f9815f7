// Self-checking models: convert --test-input/--test-expected/--test-layers store test vectors in
// the .ingot file; `ingot check MODEL.ingot` re-runs them and names the first diverging value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/cli_util.h"

namespace ingot {
namespace e2e_test_self_check {

namespace fs = std::filesystem;
using testing::ingot;
using testing::TempDir;

const fs::path kCase = fs::path(INGOT_FIXTURES_DIR) / "keras_cases" / "ssd_rykov8_missing_params";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string convert_args(const std::string& params) {
  return "convert " + (kCase / "model.h5").string() + " --params " + params + " --test-input " +
         (kCase / "input_0.npy").string();
}

// The expected outputs come from the tfjs oracle (float32): the case's own tolerance, 1e-3
// absolute + 1e-3 relative, covers float32 summation-order differences on outputs up to ~14.
const std::string kCaseTolerance = " --test-atol 1e-3 --test-rtol 1e-3";

TEST(SelfCheck, StoredReferenceOutputsAndLayersPassCheck) {
  TempDir tmp("ingot_selfcheck_ok");
  auto r = ingot(convert_args((kCase / "params_override.json").string()) + " --test-expected " +
                 (kCase / "expected_0.npy").string() + kCaseTolerance + " --test-layers conv1_1,conv4_3_norm,fc7_mbox_priorbox -o " +
                 tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("check " + tmp / "m.ingot");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "expected outputs from the source framework")) << r.out;
  EXPECT_TRUE(contains(r.out, "ok    layer 'conv1_1'")) << r.out;
  EXPECT_TRUE(contains(r.out, "ok    layer 'fc7_mbox_priorbox'")) << r.out;
  EXPECT_TRUE(contains(r.out, "ok    output 0 'predictions'")) << r.out;
  EXPECT_TRUE(contains(r.out, "all stored values match")) << r.out;
  r = ingot("check --json " + tmp / "m.ingot");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["values"].size(), 4u);
}

TEST(SelfCheck, AReferenceCatchesAWrongParameterAtConversion) {
  TempDir tmp("ingot_selfcheck_wrong");
  auto p = nlohmann::json::parse(testing::slurp(kCase / "params_override.json"));
  p["fc7_mbox_priorbox"]["min_size"] = 22;  // built with 20
  std::ofstream(tmp / "p.json") << p.dump();
  auto r = ingot(convert_args(tmp / "p.json") + " --test-expected " + (kCase / "expected_0.npy").string() + kCaseTolerance +
                 " -o " + tmp / "m.ingot");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "does not compute what the source framework did")) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "m.ingot"));
}

TEST(SelfCheck, NamesTheFirstDivergingValue) {
  // f16 weights against the f32 reference outputs: within 1e-2 at conversion, but not exactly.
  // The stored layers are ingot's own (f16) values and re-run bit-exactly, so with tolerance 0
  // the check passes them and names the output as the first diverging value.
  TempDir tmp("ingot_selfcheck_diverge");
  auto r = ingot(convert_args((kCase / "params_override.json").string()) + " --weights f16 --test-expected " +
                 (kCase / "expected_0.npy").string() + " --test-atol 1e-2 --test-rtol 1e-2 --test-layers fc7,conv1_1 -o " +
                 tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("check " + tmp / "m.ingot" + " --atol 0 --rtol 0");
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_TRUE(contains(r.out, "ok    layer 'conv1_1'")) << r.out;
  EXPECT_TRUE(contains(r.out, "FAIL  output 0 'predictions'")) << r.out;
  EXPECT_TRUE(contains(r.err, "value 'predictions' is the first")) << r.err;
}

TEST(SelfCheck, RejectsMisuse) {
  TempDir tmp("ingot_selfcheck_misuse");
  auto r = ingot(convert_args((kCase / "params_override.json").string()) + " --test-layers no_such_layer -o " + tmp / "m.ingot");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "--test-layers names 'no_such_layer'")) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "m.ingot"));
  r = ingot("convert " + (kCase / "model.h5").string() + " --params " + (kCase / "params_override.json").string() + " -o " +
            tmp / "plain.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Without test vectors, check still recomputes the folded PriorBox constants.
  r = ingot("check " + tmp / "plain.ingot");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "3 folded constants recomputed from their parameters")) << r.out;
  EXPECT_TRUE(contains(r.out, "ok    folded PriorBox 'fc7_mbox_priorbox': max abs difference 0")) << r.out;
  // A file with neither has nothing to check.
  const fs::path conv = fs::path(INGOT_FIXTURES_DIR) / "keras_cases" / "conv2d_valid_s1" / "model.h5";
  r = ingot("convert " + conv.string() + " -o " + tmp / "conv.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("check " + tmp / "conv.ingot");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "the file has none")) << r.err;
}

}  // namespace e2e_test_self_check
}  // namespace ingot
