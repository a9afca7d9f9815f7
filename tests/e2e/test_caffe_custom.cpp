// Caffe layer types ingot does not know, made first-class: a user op registered by a plugin
// (examples/custom_op, ScaledTanh: alpha * tanh(beta * x)) takes the layer, its parameters read
// from the prototxt block caffe.proto lacks; --keep-unknown carries an unknown type as an opaque
// op that runs once the plugin is loaded.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "e2e/cli_util.h"
#include "runtime/npy.h"

namespace ingot {
namespace e2e_test_caffe_custom {

using testing::ingot;
using testing::TempDir;

std::string net_text(const std::string& params) {
  return R"(name: "custom"
input: "data"
input_shape { dim: 1 dim: 2 dim: 3 }
layer { name: "st" type: "ScaledTanh" bottom: "data" top: "st"
        scaled_tanh_param { )" + params + R"( } }
)";
}

class CaffeCustom : public ::testing::Test {
 protected:
  TempDir tmp{"ingot_caffe_custom"};
  std::string net = tmp / "net.prototxt";
  std::string model = tmp / "m.ingot";
  std::string plugin = std::string(" --plugin ") + INGOT_EXAMPLE_PLUGIN;
  std::vector<float> x{-2.0f, -0.5f, 0.0f, 0.25f, 1.0f, 3.0f};

  void SetUp() override { ASSERT_TRUE(npy::write(tmp / "x.npy", Tensor::from_floats(Shape{1, 2, 3}, x)).ok()); }
  void write(const std::string& params) { std::ofstream(net) << net_text(params); }
  // Runs the model on x and checks alpha * tanh(beta * x) (float32 tanh: within 1e-6).
  void expect_scaled_tanh(const std::string& run_flags, float alpha, float beta) {
    const auto r = ingot("run " + model + " -i " + tmp / "x.npy" + " -o " + tmp / "out" + run_flags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto y = npy::read(tmp / "out/output_0.npy");
    ASSERT_TRUE(y.ok()) << y.status().message();
    ASSERT_EQ(y->shape(), (Shape{1, 2, 3}));
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(y->data<float>()[i], alpha * std::tanh(beta * x[i]), 1e-6) << "element " << i;
    }
  }
};

TEST_F(CaffeCustom, ARegisteredUserOpTakesTheLayerWithItsParameters) {
  write("alpha: 2 beta: 0.5");  // alpha written as an int: widened to the op's float
  auto r = ingot("check " + net + plugin);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("layer 'st' (ScaledTanh): custom, op ScaledTanh"), std::string::npos) << r.out;
  r = ingot("convert " + net + plugin + " -o " + model);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("inspect " + model + plugin);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("alpha"), std::string::npos) << r.out;
  expect_scaled_tanh(plugin, 2.0f, 0.5f);
}

TEST_F(CaffeCustom, AMisspelledParameterIsNamed) {
  write("alpah: 2");
  const auto r = ingot("convert " + net + plugin + " -o " + model);
  EXPECT_EQ(r.exit_code, 2) << r.err;  // bad input, as for a Keras layer's parameters
  EXPECT_NE(r.err.find("'st' (ScaledTanh)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("alpah"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(model));
}

TEST_F(CaffeCustom, AnUnknownTypeIsAnErrorThatSaysHowToProceed) {
  write("alpha: 2.0");
  const auto r = ingot("convert " + net + " -o " + model);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("'st' (ScaledTanh, line 4)"), std::string::npos) << r.err;
  const auto c = ingot("check " + net);
  EXPECT_NE(c.out.find("register an op of that name (--plugin), or carry it as an opaque op with --keep-unknown"),
            std::string::npos)
      << c.out;
}

TEST_F(CaffeCustom, KeepUnknownCarriesItAsAnOpaqueOpThatRunsOnceRegistered) {
  write("alpha: 2.0 beta: 0.5 note: \"from a fork\" levels: 1 levels: 2");
  auto r = ingot("convert " + net + " --keep-unknown -o " + model);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("carried as opaque op 'ScaledTanh'"), std::string::npos) << r.err;
  r = ingot("check " + net + " --keep-unknown");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("layer 'st' (ScaledTanh): opaque, op ScaledTanh"), std::string::npos) << r.out;
  for (const char* attr : {"alpha = 2.0", "beta = 0.5", "note = \"from a fork\"", "levels = [1,2]"}) {
    EXPECT_NE(r.out.find(attr), std::string::npos) << attr << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("has no field named \"scaled_tanh_param\""), std::string::npos) << "the block is read, not ignored";
  // Without a kernel it cannot run. With the plugin it does, once the file holds only the
  // parameters the plugin's schema declares (a schema rejects unknown attributes).
  r = ingot("run " + model + " -i " + tmp / "x.npy" + " -o " + tmp / "out");
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("op 'ScaledTanh' must be registered in this build"), std::string::npos) << r.err;
  write("alpha: 2.0 beta: 0.5");
  r = ingot("convert " + net + " --keep-unknown -o " + model);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_scaled_tanh(plugin, 2.0f, 0.5f);
}

// The parameter file works for Caffe as for Keras (frontends/common/params.h): by layer name or
// "class:<LayerType>", over the prototxt's values, each value's origin reported and recorded.
TEST_F(CaffeCustom, AParameterFileSuppliesAndOverridesTheBlocksValues) {
  write("beta: 0.5");  // alpha, required, is not in the prototxt
  auto r = ingot("convert " + net + plugin + " -o " + model);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("'st' (ScaledTanh): key 'alpha' is required"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(model));

  const std::string params = tmp / "p.json";
  std::ofstream(params) << R"({"st": {"alpha": 3}, "class:ScaledTanh": {"alpha": 9.0, "beta": 0.25}})";
  r = ingot("check " + net + plugin + " --params " + params);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The layer entry beats the class entry, which beats the prototxt.
  EXPECT_NE(r.out.find("alpha = 3.0  [parameter file (layer)]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("beta = 0.25  [parameter file (class)]"), std::string::npos) << r.out;
  r = ingot("convert " + net + plugin + " --params " + params + " -o " + model);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("inspect " + model + plugin + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("alpha: parameter file (layer)"), std::string::npos) << r.out;
  expect_scaled_tanh(plugin, 3.0f, 0.25f);
}

TEST_F(CaffeCustom, AParameterFileEntryMustNameACustomLayer) {
  write("alpha: 2 beta: 0.5");
  const std::string params = tmp / "p.json";
  std::ofstream(params) << R"({"sst": {"alpha": 3}})";
  auto r = ingot("convert " + net + plugin + " --params " + params + " -o " + model);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("entry 'sst' must name a layer of the model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("closest: st"), std::string::npos) << r.err;
  std::ofstream(net, std::ios::app) << R"(layer { name: "relu" type: "ReLU" bottom: "st" top: "relu" })" << "\n";
  std::ofstream(params) << R"({"relu": {"negative_slope": 0.1}})";
  r = ingot("convert " + net + plugin + " --params " + params + " -o " + model);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("entry 'relu' must name a custom layer, got the standard ReLU layer"), std::string::npos) << r.err;
  std::ofstream(params) << R"({"st": {"alpha": "big"}})";
  r = ingot("convert " + net + plugin + " --params " + params + " -o " + model);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("'alpha' must be float"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("from the parameter file's layer entry"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(model));
}

}  // namespace e2e_test_caffe_custom
}  // namespace ingot
