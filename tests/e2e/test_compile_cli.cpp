// `ingot targets` and `ingot compile` as a user runs them: listing and showing targets, a
// user-written target on $INGOT_TARGET_PATH, the limit check's exit code 7 with nothing
// written, JSON for tools, `inspect` of a compiled file, and real models compiled for DV700.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "e2e/cli_util.h"
#include "e2e/shared_dir.h"
#include "e2e/teachable_photo.h"
#include "runtime/npy.h"

namespace ingot {
namespace e2e_test_compile_cli {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ingot;
using testing::run_command;
using testing::TempDir;

class CompileCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = run_command(std::string(INGOT_MAKE_TINY_CNN) + " " + dir_ / "model.ingot" + " " + dir_ / "input.npy");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  TempDir dir_{"ingot_compile_cli"};
};

TEST(TargetsCli, ListsAndShowsTheShippedTargets) {
  auto r = ingot("targets");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"cpu-f32", "dv700", "fp16-accelerator"}) EXPECT_NE(r.out.find(name), std::string::npos) << name;
  r = ingot("targets show dv700 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["buffer"]["bytes"], 655360);
  EXPECT_EQ(j["device_ops"]["Conv2D"]["limits"]["kernel"]["max"], 7);
  EXPECT_EQ(j["device_ops"]["ConvTranspose2D"]["limits"]["dilation"]["max"], 1);
  EXPECT_EQ(j["numerics"]["activations"], "f16");
  r = ingot("targets show dv700");
  EXPECT_NE(r.out.find("kernel <= 7  [vendor-converter]"), std::string::npos) << r.out;
  r = ingot("targets show nosuch");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no target named 'nosuch'"), std::string::npos) << r.err;
}

TEST(TargetsCli, ABrokenUserTargetIsListedWithItsProblemAndFailsTheListing) {
  TempDir dir("ingot_user_targets");
  std::ofstream(dir / "npu.json") << R"({"format": "ingot-target", "format_version": 1, "name": "npu", "description": "x",
    "numerics": {"activations": "f8", "accumulation": "f32", "weights": ["f16"], "default_weights": "f16"},
    "device_ops": {"Conv2D": {}}})";
  const auto r = run_command("INGOT_TARGET_PATH=" + dir.path().string() + " " + INGOT_CLI + " targets");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("npu  does not load"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("field numerics.activations"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dv700"), std::string::npos) << r.out;  // the others are still listed
}

TEST_F(CompileCli, CheckThenCompileThenInspectAndRun) {
  auto r = ingot("compile " + dir_ / "model.ingot" + " --target dv700 --check --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json check = json::parse(r.out);
  EXPECT_TRUE(check["ok"]);
  EXPECT_GE(check["device_runs"].get<int>(), 1);
  EXPECT_FALSE(fs::exists(dir_ / "out.ingot"));
  r = ingot("compile " + dir_ / "model.ingot" + " --target dv700 --weights codebook8 -o " + dir_ / "out.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote "), std::string::npos) << r.out;
  r = ingot("inspect " + dir_ / "out.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("format version 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("compiled for dv700: activations f16, accumulation f32, device weights codebook8"), std::string::npos)
      << r.out;
  r = ingot("inspect --json " + dir_ / "out.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json inspected = json::parse(r.out);
  EXPECT_EQ(inspected["format_version"], 2);
  EXPECT_EQ(inspected["compilation"]["target"], "dv700");
  EXPECT_EQ(inspected["compilation"]["runs"].size(), check["runs"].size());
  r = ingot("run " + dir_ / "out.ingot" + " -i " + dir_ / "input.npy" + " -o " + dir_ / "out");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // A compiled file is not compiled again.
  r = ingot("compile " + dir_ / "out.ingot" + " --target dv700 -o " + dir_ / "again.ingot");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already"), std::string::npos) << r.err;
}

TEST_F(CompileCli, ViolationsExitWith7AndWriteNothing) {
  // A user target whose convolutions take 1x1 kernels only.
  std::ofstream(dir_ / "tiny-npu.json") << R"({"format": "ingot-target", "format_version": 1, "name": "tiny-npu",
    "description": "1x1 convolutions only", "sources": {"spec": "the spec"},
    "numerics": {"activations": "f16", "accumulation": "f32", "weights": ["f16"], "default_weights": "f16"},
    "device_ops": {"Conv2D": {"limits": {"kernel": {"max": 1, "source": "spec section 2"}}}, "ReLU": {}}})";
  auto r = ingot("compile " + dir_ / "model.ingot" + " --target " + dir_ / "tiny-npu.json" + " -o " + dir_ / "out.ingot");
  EXPECT_EQ(r.exit_code, 7) << r.out << r.err;
  EXPECT_NE(r.err.find("does not fit the target"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("kernel height 3 breaks kernel <= 1 (tiny-npu, spec section 2)"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("fix: use kernels of at most 1"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "out.ingot"));
  r = ingot("compile " + dir_ / "model.ingot" + " --target " + dir_ / "tiny-npu.json" + " --check --json");
  EXPECT_EQ(r.exit_code, 7);
  const json j = json::parse(r.out);
  EXPECT_FALSE(j["ok"]);
  ASSERT_FALSE(j["violations"].empty());
  EXPECT_EQ(j["violations"][0]["limit"], "kernel");
  EXPECT_EQ(j["violations"][0]["value"], 3);
  // Running the layer on the host clears it.
  std::string hosts;
  for (const auto& v : j["violations"]) hosts += (hosts.empty() ? "" : ",") + v["layer"].get<std::string>();
  r = ingot("compile " + dir_ / "model.ingot" + " --target " + dir_ / "tiny-npu.json" + " --check --host " + hosts);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(CompileCli, UsageErrors) {
  EXPECT_EQ(ingot("compile " + dir_ / "model.ingot" + " --target dv700").exit_code, 1);  // no -o, no --check
  auto r = ingot("compile " + dir_ / "model.ingot" + " --target dv700 --weights f32 -o " + dir_ / "o.ingot");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("reads weights as f16, codebook8"), std::string::npos) << r.err;
  r = ingot("compile " + dir_ / "model.ingot" + " --target dv700 --weights int4 -o " + dir_ / "o.ingot");
  EXPECT_EQ(r.exit_code, 1);
  r = ingot("compile " + dir_ / "model.ingot" + " --target dv700 --host nosuch --check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--host names layer 'nosuch'"), std::string::npos) << r.err;
  // The review's missing cases: bad choices of other commands' options.
  r = ingot("run " + dir_ / "model.ingot" + " -i " + dir_ / "input.npy" + " -o " + dir_ / "o" + " --winograd maybe");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--winograd: maybe not in {on,off}"), std::string::npos) << r.err;
  r = ingot("convert x.h5 -o y.ingot --storage codebook4");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--storage: codebook4 not in {f32,f16,codebook8}"), std::string::npos) << r.err;
}

// The teachable-machine photo compiled for DV700: the class stays GLASS and, with f16 weights,
// no probability moves by 1 percentage point (issue 11's bar); codebook8 is reported.
TEST(CompileRealModels, TeachableMachineForDv700KeepsItsClass) {
  INGOT_REQUIRE_SHARED("compile real-model test");
  TempDir tmp("ingot_compile_tm");
  ASSERT_TRUE(npy::write(tmp / "x.npy", testing::teachable_photo_input()).ok());
  const std::string model = (*testing::shared_dir() / "models" / "teachable-machine-nested" / "keras_model.h5").string();
  auto r = ingot("convert " + model + " -o " + tmp / "f32.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::vector<float>> p;
  for (const std::string weights : {"", "f16", "codebook8"}) {
    const std::string name = weights.empty() ? "f32" : weights;
    if (!weights.empty()) {
      r = ingot("compile " + tmp / "f32.ingot" + " --target dv700 --weights " + weights + " -o " + tmp / (name + ".ingot"));
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    r = ingot("run " + tmp / (name + ".ingot") + " -i " + tmp / "x.npy" + " -o " + tmp / name);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Tensor t = npy::read((fs::path(tmp / name) / "output_0.npy").string()).value();
    p[name].assign(t.data<float>().begin(), t.data<float>().end());
  }
  for (const std::string name : {"f16", "codebook8"}) {
    const auto& q = p[name];
    EXPECT_EQ(std::max_element(q.begin(), q.end()) - q.begin(), testing::kTeachableGlass) << name;
    double worst = 0;
    for (std::size_t i = 0; i < q.size(); ++i) worst = std::max(worst, 100.0 * std::abs(q[i] - p["f32"][i]));
    std::cout << "dv700 " << name << ": GLASS " << 100.0 * q[testing::kTeachableGlass] << " % (f32 "
              << 100.0 * p["f32"][testing::kTeachableGlass] << " %), largest move " << worst << " percentage points\n";
    if (name == "f16") {
      EXPECT_LT(worst, 1.0);
    }
  }
}


TEST_F(CompileCli, CompareWritesTextJsonAndAStaticHtmlPage) {
  auto r = ingot("compile " + dir_ / "model.ingot" + " --target dv700 --weights codebook8 -o " + dir_ / "dv.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::create_directories(dir_ / "samples");
  fs::copy_file(dir_ / "input.npy", dir_ / "samples/a.npy");
  fs::copy_file(dir_ / "input.npy", dir_ / "samples/b.npy");
  r = ingot("compare " + dir_ / "model.ingot" + " " + dir_ / "dv.ingot" + " -i " + dir_ / "samples" + " --json --html " +
            dir_ / "report.html");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["samples"], 2);
  ASSERT_FALSE(j["values"].empty());
  for (const auto& v : j["values"]) {
    EXPECT_TRUE(v.contains("snr_db") && v.contains("cosine") && v.contains("max_abs") && v.contains("max_rel")) << v;
  }
  ASSERT_TRUE(j["jump"].is_string());
  const std::string page = testing::slurp(dir_ / "report.html");
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("<polyline"), std::string::npos);
  EXPECT_NE(page.find("Error jumps most at <b>" + j["jump"].get<std::string>() + "</b>"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);  // a static page
  r = ingot("compare " + dir_ / "model.ingot" + " " + dir_ / "dv.ingot" + " -i " + dir_ / "input.npy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("error jumps most at"), std::string::npos) << r.out;
  r = ingot("compare " + dir_ / "model.ingot" + " " + dir_ / "dv.ingot" + " -i " + dir_ / "nothing.npy");
  EXPECT_EQ(r.exit_code, 5) << r.err;
  fs::create_directories(dir_ / "empty");
  r = ingot("compare " + dir_ / "model.ingot" + " " + dir_ / "dv.ingot" + " -i " + dir_ / "empty");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("holds no .npy file"), std::string::npos) << r.err;
}

// YuFaceDetectNet (Caffe, its two photos) compiled for DV700 with f16 and codebook8 weights,
// run with the device's f16 activations: `ingot compare` against the f32 file matches the
// detections (same label, IoU >= 0.5). Every face the f32 model scores >= 0.5 is found again;
// missed, extra faces and score deltas are printed for the closing note.
TEST(CompileRealModels, FaceDetectorForDv700KeepsItsFaces) {
  INGOT_REQUIRE_SHARED("compile real-model test");
  TempDir tmp("ingot_compile_faces");
  const fs::path models = *testing::shared_dir() / "models" / "caffe-yufacedetectnet-ssd";
  auto r = ingot("convert " + (models / "yufacedetectnet-open-v2.prototxt").string() + " --weights " +
                 (models / "yufacedetectnet-open-v2.caffemodel").string() + " -o " + tmp / "f32.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string photos = std::string(" -i ") + INGOT_FIXTURES_DIR + "/caffe/yufacedetectnet-faces1/input.npy -i " +
                             INGOT_FIXTURES_DIR + "/caffe/yufacedetectnet-faces2/input.npy";
  for (const std::string weights : {"f16", "codebook8"}) {
    r = ingot("compile " + tmp / "f32.ingot" + " --target dv700 --weights " + weights + " -o " + tmp / (weights + ".ingot"));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    r = ingot("compare " + tmp / "f32.ingot" + " " + tmp / (weights + ".ingot") + photos + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    ASSERT_EQ(j["detections"].size(), 1u);
    const json& d = j["detections"][0];
    EXPECT_GT(d["reference_boxes"].get<int>(), 5);
    EXPECT_EQ(d["missed"], 0) << weights;
    EXPECT_EQ(d["extra"], 0) << weights;
    std::cout << "dv700 " << weights << ": " << d["matched"] << " of " << d["reference_boxes"] << " faces matched, "
              << d["missed"] << " missed, " << d["extra"] << " extra, score delta max " << d["max_score_delta"] << ", mean "
              << d["mean_score_delta"] << "; error jumps most at " << j["jump"] << "\n";
  }
}


// `convert --target` is `convert` then `compile`, byte for byte.
TEST(CompileRealModels, ConvertWithATargetIsConvertThenCompile) {
  INGOT_REQUIRE_SHARED("compile real-model test");
  TempDir tmp("ingot_convert_target");
  const std::string model = (*testing::shared_dir() / "models" / "teachable-machine-nested" / "keras_model.h5").string();
  auto r = ingot("convert " + model + " -o " + tmp / "f32.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("compile " + tmp / "f32.ingot" + " --target dv700 --weights codebook8 -o " + tmp / "two_steps.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("convert " + model + " --target dv700 --storage codebook8 -o " + tmp / "one_step.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(dv700, device weights codebook8)"), std::string::npos) << r.out;
  EXPECT_EQ(testing::slurp(tmp / "one_step.ingot"), testing::slurp(tmp / "two_steps.ingot"));
  r = ingot("convert " + model + " --host conv1 -o " + tmp / "x.ingot");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--host needs --target"), std::string::npos) << r.err;
}


// A file converted with the source framework's outputs stored (--test-expected, here the
// oracle's for a committed case) keeps them through compile, and compare checks both models
// against them on the stored input.
TEST(CompareCli, ComparesBothModelsWithTheFrameworksStoredOutputs) {
  TempDir tmp("ingot_compare_framework");
  const fs::path c = fs::path(INGOT_FIXTURES_DIR) / "keras_cases" / "conv2d_same_s1_relu";
  auto r = ingot("convert " + (c / "model.h5").string() + " --input-shape 1,9,11,3 --test-input " +
                 (c / "input_0.npy").string() + " --test-expected " + (c / "expected_0.npy").string() + " -o " +
                 tmp / "f32.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("compile " + tmp / "f32.ingot" + " --target fp16-accelerator -o " + tmp / "f16.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The stored vectors survive compile: check re-runs them (within f16's error, not 1e-4).
  r = ingot("check " + tmp / "f16.ingot" + " --atol 0.01 --rtol 0.01");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = ingot("compare " + tmp / "f32.ingot" + " " + tmp / "f16.ingot" + " -i " + (c / "input_0.npy").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["framework"].size(), 2u);
  EXPECT_EQ(j["framework"][0]["model"], "reference");
  EXPECT_EQ(j["framework"][1]["model"], "test");
  // The f32 model agrees with Keras to float rounding; the f16 one to binary16's.
  EXPECT_GT(j["framework"][0]["snr_db"].get<double>(), 90.0);
  EXPECT_GT(j["framework"][1]["snr_db"].get<double>(), 50.0);
  EXPECT_LT(j["framework"][1]["snr_db"].get<double>(), j["framework"][0]["snr_db"].get<double>());
}

}  // namespace e2e_test_compile_cli
}  // namespace ingot
