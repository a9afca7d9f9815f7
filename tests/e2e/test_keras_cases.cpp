// Keras oracle cases through the CLI path: ingot convert model.h5, ingot run, compare with the
// expected outputs of the independent TensorFlow.js oracle (../shared/oracle). The committed copy
// in tests/fixtures/keras_cases always runs; the full set runs when ../shared is present.
// Tolerances are each case's own (index.json): 1e-4 abs + rel for single layers, 1e-3 for the
// deeper nets; the oracle README gives the tfjs vs float64 differences they absorb.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "e2e/cli_util.h"
#include "e2e/shared_dir.h"
#include "format/format.h"
#include "runtime/npy.h"
#include "runtime/session.h"
#include "target/compile.h"

namespace ingot {
namespace e2e_test_keras_cases {

namespace fs = std::filesystem;
using testing::ingot;
using testing::TempDir;

struct Case {
  fs::path dir;
  nlohmann::json spec;
};

// So ctest lists a case by its name rather than its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.spec["name"].get<std::string>(); }

std::vector<Case> load_cases(const fs::path& root) {
  std::vector<Case> cases;
  std::ifstream in(root / "index.json");
  const auto index = nlohmann::json::parse(in);
  for (const auto& c : index["cases"]) cases.push_back({root / c["name"].get<std::string>(), c});
  return cases;
}

struct Mismatch {
  std::size_t count = 0;
  double worst = 0;
  std::size_t worst_index = 0;
};

Mismatch compare(const Tensor& got, const Tensor& want, double atol, double rtol) {
  Mismatch m;
  const auto g = got.data<float>();
  const auto w = want.data<float>();
  for (std::size_t i = 0; i < g.size(); ++i) {
    const double err = std::fabs(static_cast<double>(g[i]) - w[i]);
    if (!(err <= atol + rtol * std::fabs(w[i]))) {
      ++m.count;
      if (!(err <= m.worst)) {
        m.worst = err;
        m.worst_index = i;
      }
    }
  }
  return m;
}

// The --input-shape arguments fixing the case's batch (Keras leaves it open).
std::string case_shapes(const Case& c) {
  std::string shapes;
  for (const auto& in : c.spec["inputs"]) {
    std::string dims;
    for (const auto& d : in["shape"]) dims.append(dims.empty() ? "" : ",").append(std::to_string(d.get<int>()));
    shapes += " --input-shape " + dims;
  }
  return shapes;
}

// A case saved without its parameters converts with its parameter file.
std::string case_params(const Case& c) {
  return c.spec.contains("expect_error") ? " --params " + (c.dir / c.spec["params_override"].get<std::string>()).string()
                                         : "";
}

void run_case(const Case& c) {
  const std::string name = c.spec["name"];
  SCOPED_TRACE(name);
  TempDir tmp("ingot_case_" + name);
  const std::string model = (c.dir / "model.h5").string();
  // Keras models leave the batch open and so does the .ingot file: the cases' batches of 1 to 3
  // run on a file converted without --input-shape (re-planned for the batch fed).
  std::string params;
  if (c.spec.contains("expect_error")) {
    // Saved without its parameters: convert must fail naming every layer and key, write
    // nothing, and succeed once the case's parameter file supplies them.
    auto r = ingot("convert " + model + " -o " + tmp / "m.ingot");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    const auto& e = c.spec["expect_error"];
    // Needles built with append: g++ 12 -O2 warns (-Wrestrict, a false positive) on the
    // operator+ chain of a literal and temporaries.
    for (const auto& layer : e["layers"]) {
      std::string needle = "layer '";
      needle.append(layer.get<std::string>()).append("' (").append(e["class"].get<std::string>()).append(")");
      EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    }
    for (const auto& key : e["required_missing"]) {
      std::string needle = "key '";
      needle.append(key.get<std::string>()).append("' is required");
      EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    }
    EXPECT_FALSE(fs::exists(tmp / "m.ingot"));
    params = " --params " + (c.dir / c.spec["params_override"].get<std::string>()).string();
  }
  auto r = ingot("convert " + model + " -o " + tmp / "m.ingot" + params);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The optimized plan (the default) and the reference kernels alone both match the oracle.
  for (const std::string flags : {"", " --reference"}) {
    SCOPED_TRACE(flags.empty() ? "optimized" : "reference kernels");
    const std::string out_dir = tmp / (flags.empty() ? "out" : "out_reference");
    std::string args = "run " + tmp / "m.ingot" + " -o " + out_dir + flags;
    for (const auto& in : c.spec["inputs"]) args += " -i " + (c.dir / in["file"].get<std::string>()).string();
    r = ingot(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const double atol = c.spec["tolerance"]["atol"], rtol = c.spec["tolerance"]["rtol"];
    for (std::size_t i = 0; i < c.spec["outputs"].size(); ++i) {
      auto want = npy::read((c.dir / c.spec["outputs"][i]["file"].get<std::string>()).string());
      auto got = npy::read(out_dir + "/output_" + std::to_string(i) + ".npy");
      ASSERT_TRUE(want.ok() && got.ok());
      ASSERT_EQ(got->shape(), want->shape()) << "output " << i;
      const Mismatch m = compare(*got, *want, atol, rtol);
      EXPECT_EQ(m.count, 0u) << "output " << i << ": " << m.count << " of " << got->num_elements()
                             << " elements outside atol " << atol << " + rtol " << rtol << "; worst |err| " << m.worst
                             << " at " << m.worst_index << " (got " << got->data<float>()[m.worst_index] << ", want "
                             << want->data<float>()[m.worst_index] << ")";
    }
  }
  // A batch other than the file's 1: the re-planned file computes what a file converted for
  // that batch computes, bit for bit (the same plan for the same shapes).
  const bool batch_1 = std::all_of(c.spec["inputs"].begin(), c.spec["inputs"].end(),
                                   [](const auto& in) { return in["shape"][0].template get<int>() == 1; });
  if (batch_1) return;
  r = ingot("convert " + model + " -o " + tmp / "fixed.ingot" + case_shapes(c) + params);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string args = "run " + tmp / "fixed.ingot" + " -o " + tmp / "out_fixed";
  for (const auto& in : c.spec["inputs"]) args += " -i " + (c.dir / in["file"].get<std::string>()).string();
  r = ingot(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (std::size_t i = 0; i < c.spec["outputs"].size(); ++i) {
    const std::string file = "/output_" + std::to_string(i) + ".npy";
    auto replanned = npy::read(tmp / "out" + file);
    auto fixed = npy::read(tmp / "out_fixed" + file);
    ASSERT_TRUE(replanned.ok() && fixed.ok());
    EXPECT_TRUE(replanned->bit_equal(*fixed)) << "output " << i;
  }
}

// The case compiled for the generic fp16 accelerator (f16 weights, f16 activations at every
// run boundary, emulated) against the same oracle outputs. The tolerance comes from binary16
// arithmetic, not from ingot's output: each rounding to binary16 moves a value by at most
// u = 2^-11 of itself. A value passes through at most R device runs (R: the compiled model's
// device run count); each brings at most one rounding of its weights and one of its output,
// and a rounded input (the model's, on its way in). Sums of products can cancel, so the
// rounding errors are bounded by the magnitudes summed, which the case's largest output
// magnitude stands in for: |got - want| <= the case's own tolerance + 2 (R + 1) u (|want| +
// max |want|).
void run_compiled_case(const Case& c) {
  const std::string name = c.spec["name"];
  SCOPED_TRACE(name);
  TempDir tmp("ingot_case_f16_" + name);
  const std::string params = case_params(c);
  const std::string shapes = case_shapes(c);
  auto r = ingot("convert " + (c.dir / "model.h5").string() + " --target fp16-accelerator -o " + tmp / "m.ingot" + shapes +
                 params);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("inspect --json " + tmp / "m.ingot");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t runs = 0;
  const nlohmann::json inspected = nlohmann::json::parse(r.out);
  for (const auto& run : inspected["compilation"]["runs"]) runs += run["device"].get<bool>() ? 1 : 0;
  std::string args = "run " + tmp / "m.ingot" + " -o " + tmp / "out";
  for (const auto& in : c.spec["inputs"]) args += " -i " + (c.dir / in["file"].get<std::string>()).string();
  r = ingot(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double u = std::ldexp(1.0, -11);
  const double k = 2.0 * static_cast<double>(runs + 1) * u;
  const double atol = c.spec["tolerance"]["atol"], rtol = c.spec["tolerance"]["rtol"];
  for (std::size_t i = 0; i < c.spec["outputs"].size(); ++i) {
    auto want = npy::read((c.dir / c.spec["outputs"][i]["file"].get<std::string>()).string());
    auto got = npy::read((fs::path(tmp / "out") / ("output_" + std::to_string(i) + ".npy")).string());
    ASSERT_TRUE(want.ok() && got.ok());
    ASSERT_EQ(got->shape(), want->shape()) << "output " << i;
    double scale = 0;
    for (float v : want->data<float>()) scale = std::max(scale, static_cast<double>(std::fabs(v)));
    const Mismatch m = compare(*got, *want, atol + k * scale, rtol + k);
    EXPECT_EQ(m.count, 0u) << "output " << i << " (" << runs << " device runs): " << m.count << " of "
                           << got->num_elements() << " elements outside the f16 bound; worst |err| " << m.worst << " at "
                           << m.worst_index << " (got " << got->data<float>()[m.worst_index] << ", want "
                           << want->data<float>()[m.worst_index] << ", bound " << atol + k * scale << " + "
                           << rtol + k << " * |want|)";
  }
}

// The case compiled for the fp16 accelerator with codebook8 weights, against the oracle. The
// bound is the f16 one above with the codebook's rounding of the weights in place of
// binary16's where it is coarser: e = max(u, the largest |w_q - w| / max |w| of any layer,
// measured against the same folded weights in f32), and
// |got - want| <= the case's own tolerance + 2 (R + 1) e (|want| + max |want|).
void run_codebook8_case(const Case& c) {
  const std::string name = c.spec["name"];
  SCOPED_TRACE(name);
  TempDir tmp("ingot_case_cb8_" + name);
  const std::string shapes = case_shapes(c);
  const std::string params = case_params(c);
  auto r = ingot("convert " + (c.dir / "model.h5").string() + " -o " + tmp / "m.ingot" + shapes + params);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto g = format::read_model(tmp / "m.ingot", default_registry());
  ASSERT_TRUE(g.ok()) << g.status().message();
  auto accel = target::find_target("fp16-accelerator", default_registry());
  ASSERT_TRUE(accel.ok()) << accel.status().message();
  auto doc = nlohmann::json::parse(accel->text);
  doc["name"] = "fp16-accelerator-f32";
  doc["numerics"]["weights"].push_back("f32");
  auto accel_f32 = target::parse_target(doc.dump(), "fp16-accelerator-f32.json", default_registry());
  ASSERT_TRUE(accel_f32.ok()) << accel_f32.status().message();
  target::CompileOptions f32w, cb8;
  f32w.weights = ir::Storage::raw;
  cb8.weights = ir::Storage::codebook8;
  auto folded = target::compile(*g, *accel_f32, f32w, default_registry());
  auto quantized = target::compile(*g, *accel, cb8, default_registry());
  ASSERT_TRUE(folded.ok() && quantized.ok()) << folded.status().message() << quantized.status().message();
  const double u = std::ldexp(1.0, -11);
  double e = u;
  for (const auto& k : quantized->graph.constants) {
    if (k.storage != ir::Storage::codebook8) continue;
    const ir::Constant* f = folded->graph.find_constant(k.name);
    ASSERT_NE(f, nullptr) << k.name;
    const Tensor a = ir::decode_constant(*f).value(), b = ir::decode_constant(k).value();
    double largest = 0, worst = 0;
    for (std::size_t i = 0; i < a.data<float>().size(); ++i) {
      largest = std::max(largest, double(std::fabs(a.data<float>()[i])));
      worst = std::max(worst, std::fabs(double(a.data<float>()[i]) - b.data<float>()[i]));
    }
    if (largest > 0) e = std::max(e, worst / largest);
  }
  std::size_t runs = 0;
  for (const auto& run : quantized->graph.compilation->runs) runs += run.on_device ? 1 : 0;
  const double k = 2.0 * static_cast<double>(runs + 1) * e;
  const double atol = c.spec["tolerance"]["atol"], rtol = c.spec["tolerance"]["rtol"];
  auto session = runtime::Session::plan(quantized->graph, default_registry());
  ASSERT_TRUE(session.ok()) << session.status().message();
  std::vector<Tensor> inputs;
  for (const auto& in : c.spec["inputs"]) inputs.push_back(npy::read((c.dir / in["file"].get<std::string>()).string()).value());
  auto out = session->run(inputs);
  ASSERT_TRUE(out.ok()) << out.status().message();
  for (std::size_t i = 0; i < c.spec["outputs"].size(); ++i) {
    const Tensor want = npy::read((c.dir / c.spec["outputs"][i]["file"].get<std::string>()).string()).value();
    ASSERT_EQ(out->at(i).shape(), want.shape());
    double scale = 0;
    for (float v : want.data<float>()) scale = std::max(scale, static_cast<double>(std::fabs(v)));
    const Mismatch m = compare(out->at(i), want, atol + k * scale, rtol + k);
    EXPECT_EQ(m.count, 0u) << "output " << i << " (" << runs << " device runs, e " << e << "): " << m.count << " of "
                           << want.num_elements() << " elements outside the codebook bound; worst |err| " << m.worst;
  }
}

std::vector<Case> committed_cases() { return load_cases(fs::path(INGOT_FIXTURES_DIR) / "keras_cases"); }

std::vector<Case> shared_cases() {
  const auto shared = testing::shared_dir();
  return shared ? load_cases(*shared / "oracle" / "cases") : std::vector<Case>{};
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.spec["name"]; }

class CommittedKerasCase : public ::testing::TestWithParam<Case> {};
TEST_P(CommittedKerasCase, ConvertsRunsAndMatchesTheOracle) { run_case(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Oracle, CommittedKerasCase, ::testing::ValuesIn(committed_cases()), case_name);

class SharedKerasCase : public ::testing::TestWithParam<Case> {};
TEST_P(SharedKerasCase, ConvertsRunsAndMatchesTheOracle) { run_case(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Oracle, SharedKerasCase, ::testing::ValuesIn(shared_cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SharedKerasCase);

class SharedKerasCaseForFp16 : public ::testing::TestWithParam<Case> {};
TEST_P(SharedKerasCaseForFp16, CompiledMatchesTheOracleWithinTheF16Bound) { run_compiled_case(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Oracle, SharedKerasCaseForFp16, ::testing::ValuesIn(shared_cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SharedKerasCaseForFp16);

class SharedKerasCaseForCodebook8 : public ::testing::TestWithParam<Case> {};
TEST_P(SharedKerasCaseForCodebook8, CompiledMatchesTheOracleWithinTheCodebookBound) { run_codebook8_case(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Oracle, SharedKerasCaseForCodebook8, ::testing::ValuesIn(shared_cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SharedKerasCaseForCodebook8);

std::vector<Case> committed_cases();

// The oracle's "same"-padded convolutions and poolings (strides 1 and 2, even and odd kernels,
// transposed, depthwise, separable) saved with open image sizes: at the case's own size the file
// matches the oracle, and at sizes of both parities it computes what a file converted for
// that size computes, bit for bit (TF's "same" pads depend on the size's parity).
TEST(KerasOpenImageSizes, SamePaddingFollowsTheSizeFed) {
  const fs::path root = fs::path(INGOT_FIXTURES_DIR) / "keras_cases";
  const fs::path script = fs::path(INGOT_SOURCE_DIR) / "tests" / "python" / "open_image_sizes.py";
  for (const char* name : {"conv2d_same_s2", "conv2d_same_s2_k4", "conv2d_dilation2_same", "depthwise_same_s2_nobias",
                           "separable_same", "conv2d_transpose_same_s2", "maxpool_same_3x3_s2", "avgpool_same_2x2_s2"}) {
    SCOPED_TRACE(name);
    const Case c{root / name, {}};
    nlohmann::json spec;
    for (const Case& k : committed_cases()) {
      if (k.spec["name"] == name) spec = k.spec;
    }
    ASSERT_FALSE(spec.is_null());
    TempDir tmp(std::string("ingot_open_sizes_") + name);
    auto r = testing::run_command("/usr/bin/python3 " + script.string() + " " + (c.dir / "model.h5").string() + " " +
                                  tmp / "open.h5");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = ingot("convert " + tmp / "open.h5" + " -o " + tmp / "open.ingot");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = ingot("inspect " + tmp / "open.ingot");
    EXPECT_NE(r.out.find("=224, "), std::string::npos) << r.out;  // the stored instance: 224 x 224
    // The case's own input, against the oracle (its tolerance).
    const std::vector<std::int64_t> case_shape = spec["inputs"][0]["shape"];
    r = ingot("run " + tmp / "open.ingot" + " -i " + (c.dir / "input_0.npy").string() + " -o " + tmp / "out_case");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto want = npy::read((c.dir / "expected_0.npy").string());
    auto got = npy::read(tmp / "out_case/output_0.npy");
    ASSERT_TRUE(want.ok() && got.ok());
    ASSERT_EQ(got->shape(), want->shape());
    EXPECT_EQ(compare(*got, *want, spec["tolerance"]["atol"], spec["tolerance"]["rtol"]).count, 0u);
    // Other sizes, odd and even, against files converted for them.
    for (const auto& [h, w] : {std::pair{7, 10}, std::pair{12, 5}, std::pair{16, 16}}) {
      SCOPED_TRACE(std::to_string(h) + " x " + std::to_string(w));
      const Shape shape{2, h, w, case_shape.back()};
      std::vector<float> values(static_cast<std::size_t>(shape.num_elements()));
      for (std::size_t k = 0; k < values.size(); ++k) values[k] = std::sin(0.37f * static_cast<float>(k));
      const std::string x = tmp / ("x_" + std::to_string(h) + ".npy");
      ASSERT_TRUE(npy::write(x, Tensor::from_floats(shape, values)).ok());
      const std::string dims = "2," + std::to_string(h) + "," + std::to_string(w) + "," + std::to_string(case_shape.back());
      r = ingot("convert " + tmp / "open.h5" + " -o " + tmp / "fixed.ingot --input-shape " + dims);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      r = ingot("run " + tmp / "open.ingot" + " -i " + x + " -o " + tmp / "out_open");
      ASSERT_EQ(r.exit_code, 0) << r.err;
      r = ingot("run " + tmp / "fixed.ingot" + " -i " + x + " -o " + tmp / "out_fixed");
      ASSERT_EQ(r.exit_code, 0) << r.err;
      auto open = npy::read(tmp / "out_open/output_0.npy");
      auto fixed = npy::read(tmp / "out_fixed/output_0.npy");
      ASSERT_TRUE(open.ok() && fixed.ok());
      EXPECT_TRUE(open->bit_equal(*fixed)) << open->shape().to_string() << " vs " << fixed->shape().to_string();
    }
  }
}

TEST(KerasOracleCases, AllCasesAreThere) {
  EXPECT_GE(committed_cases().size(), 75u);
  INGOT_REQUIRE_SHARED("the 78 oracle cases there");
  EXPECT_EQ(shared_cases().size(), 78u);
}

}  // namespace e2e_test_keras_cases
}  // namespace ingot
