// Target descriptions: the shipped files load and say what their sources say, every malformed
// field gets its own error naming it, and a user-written target is found on the search path.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "target/target_test_util.h"

namespace ingot::targettest {
namespace test_targets {

namespace fs = std::filesystem;
using nlohmann::json;

const target::Limit* find_limit(const target::DeviceOp& op, target::Quantity q) {
  for (const auto& l : op.limits) {
    if (l.quantity == q) return &l;
  }
  return nullptr;
}

std::optional<std::int64_t> max_of(const target::Target& t, const std::string& op, target::Quantity q) {
  const target::DeviceOp* d = t.device_op(op);
  if (d == nullptr) return std::nullopt;
  const target::Limit* l = find_limit(*d, q);
  return l ? l->max : std::nullopt;
}

TEST(Targets, Dv700ReproducesTheVendorConvertersLimits) {
  using Q = target::Quantity;
  const target::Target t = shipped("dv700");
  EXPECT_EQ(t.name, "dv700");
  // Issue 11's list: widths above 2047, heights above 1024, more than 32768 channels, kernels
  // larger than 7, dilated deconvolution, tiles beyond the 640 KB unified buffer.
  for (const char* op : {"Conv2D", "ConvTranspose2D"}) {
    EXPECT_EQ(max_of(t, op, Q::input_width), 2047) << op;
    EXPECT_EQ(max_of(t, op, Q::input_height), 1024) << op;
    EXPECT_EQ(max_of(t, op, Q::input_channels), 32768) << op;
    EXPECT_EQ(max_of(t, op, Q::output_channels), 32768) << op;
    EXPECT_EQ(max_of(t, op, Q::kernel), 7) << op;
    EXPECT_TRUE(t.device_op(op)->tiled) << op;
  }
  EXPECT_EQ(max_of(t, "ConvTranspose2D", Q::dilation), 1);
  EXPECT_EQ(max_of(t, "Conv2D", Q::dilation), std::nullopt);  // dilated convolution is fine
  ASSERT_TRUE(t.buffer);
  EXPECT_EQ(t.buffer->bytes, 640 * 1024);
  EXPECT_EQ(t.buffer->channel_block, 8);
  EXPECT_EQ(t.numerics.activations, target::NumericType::f16);
  EXPECT_TRUE(t.accepts_weights(ir::Storage::f16));
  EXPECT_TRUE(t.accepts_weights(ir::Storage::codebook8));
  EXPECT_FALSE(t.accepts_weights(ir::Storage::raw));
  EXPECT_EQ(t.numerics.default_weights, ir::Storage::f16);
  // Custom SSD layers and softmax fall back to the host.
  for (const char* op : {"PriorBox", "CaffePriorBox", "DetectionOutput", "DecodeDetections", "AnchorBoxes", "Softmax"}) {
    EXPECT_EQ(t.device_op(op), nullptr) << op;
    EXPECT_EQ(t.host_ops.count(op), 1u) << op;
  }
  // Every figure says where it comes from.
  for (const auto& d : t.device_ops) {
    for (const auto& l : d.limits) EXPECT_FALSE(l.source.empty()) << d.op << " " << target::quantity_name(l.quantity);
  }
  EXPECT_FALSE(t.buffer->source.empty());
}

TEST(Targets, CpuF32RunsEveryOpAndTheGenericAcceleratorLoads) {
  const target::Target cpu = shipped("cpu-f32");
  for (const OpDef* op : default_registry().all()) EXPECT_NE(cpu.device_op(op->schema.name), nullptr) << op->schema.name;
  EXPECT_EQ(cpu.numerics.activations, target::NumericType::f32);
  EXPECT_EQ(cpu.numerics.default_weights, ir::Storage::raw);
  EXPECT_FALSE(cpu.buffer);
  const target::Target fp16 = shipped("fp16-accelerator");
  EXPECT_EQ(fp16.numerics.activations, target::NumericType::f16);
  EXPECT_NE(fp16.device_op("Conv2D"), nullptr);
  EXPECT_EQ(fp16.device_op("PriorBox"), nullptr);
  EXPECT_FALSE(fp16.fusions.empty());
}

TEST(Targets, TheEmbeddedSchemaIsTheDocumentedFile) {
  std::ifstream in(fs::path(INGOT_SOURCE_DIR) / "targets" / "target.schema.json");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), target::target_schema_text());
}

struct Spoil {
  const char* name;
  std::function<void(json&)> spoil;
  const char* fragment;  // in the message, after "field "
};

// Each case breaks one field; the message must name that field (and say what is wrong).
TEST(Targets, EveryMalformedFieldIsNamed) {
  const Spoil cases[] = {
      // caught by the schema
      {"format tag", [](json& j) { j["format"] = "onnx"; }, "field format:"},
      {"future version", [](json& j) { j["format_version"] = 2; }, "field format_version:"},
      {"missing name", [](json& j) { j.erase("name"); }, "'name'"},
      {"upper-case name", [](json& j) { j["name"] = "My NPU"; }, "field name:"},
      {"unknown top-level key", [](json& j) { j["devices"] = 1; }, "'devices'"},
      {"activation type", [](json& j) { j["numerics"]["activations"] = "bf16"; }, "field numerics.activations:"},
      {"weight storage", [](json& j) { j["numerics"]["weights"] = json::array({"int4"}); }, "field numerics.weights[0]:"},
      {"no weights", [](json& j) { j["numerics"]["weights"] = json::array(); }, "field numerics.weights:"},
      {"buffer size text", [](json& j) { j["buffer"]["bytes"] = "64K"; }, "field buffer.bytes: "},
      {"buffer too small", [](json& j) { j["buffer"]["bytes"] = 100; }, "field buffer.bytes: "},
      {"tiling rule", [](json& j) { j["buffer"]["tiling"] = "height-strips"; }, "field buffer.tiling:"},
      {"negative limit", [](json& j) { j["device_ops"]["Conv2D"]["limits"]["kernel"]["max"] = -1; },
       "field device_ops.Conv2D.limits.kernel.max:"},
      {"limit without bound", [](json& j) { j["device_ops"]["Conv2D"]["limits"]["kernel"] = json::object({{"source", "datasheet"}}); },
       "field device_ops.Conv2D.limits.kernel:"},
      {"unknown limit", [](json& j) { j["device_ops"]["Conv2D"]["limits"]["kernal"] = {{"max", 3}}; }, "'kernal'"},
      {"tiled as text", [](json& j) { j["device_ops"]["Conv2D"]["tiled"] = "yes"; }, "field device_ops.Conv2D.tiled:"},
      {"fusion without steps", [](json& j) { j["fusions"][0]["steps"] = json::array(); }, "field fusions[0].steps:"},
      // caught after the schema
      {"unknown op", [](json& j) { j["device_ops"]["Conv3D"] = json::object(); }, "field device_ops.Conv3D: names op 'Conv3D'"},
      {"min above max", [](json& j) { j["device_ops"]["Conv2D"]["limits"]["kernel"] = {{"min", 9}, {"max", 5}}; },
       "field device_ops.Conv2D.limits.kernel: min 9 is above max 5"},
      {"limit on the wrong op", [](json& j) { j["device_ops"]["ReLU"]["limits"] = {{"kernel", {{"max", 3}}}}; },
       "field device_ops.ReLU.limits.kernel: does not apply to op 'ReLU'"},
      {"fusion op on the host", [](json& j) { j["fusions"][0]["steps"][1]["ops"] = json::array({"Softmax"}); },
       "field fusions[0].steps[1].ops: names op 'Softmax', which is not in device_ops"},
      {"optional first step", [](json& j) { j["fusions"][0]["steps"][0]["optional"] = true; },
       "field fusions[0].steps[0].optional: the first step of a fusion cannot be optional"},
      {"default storage not read", [](json& j) { j["numerics"]["weights"] = json::array({"f16"}); j["numerics"]["default_weights"] = "codebook8"; },
       "field numerics.default_weights: is not one of numerics.weights"},
      {"tiled without buffer", [](json& j) { j.erase("buffer"); }, "field device_ops.Conv2D.tiled: needs a 'buffer'"},
      {"unknown source key", [](json& j) { j["device_ops"]["Conv2D"]["limits"]["kernel"]["source"] = "a forum post"; },
       "field device_ops.Conv2D.limits.kernel.source: must begin with a key of 'sources' (datasheet)"},
      {"both host and device", [](json& j) { j["host_ops"]["ReLU"] = "why not"; }, "field host_ops.ReLU: the op is also in device_ops"},
  };
  for (const Spoil& c : cases) {
    json j = user_target_json();
    c.spoil(j);
    const auto t = parse_json(j);
    ASSERT_FALSE(t.ok()) << c.name;
    EXPECT_EQ(t.status().kind(), ErrorKind::bad_input) << c.name;
    EXPECT_NE(t.status().message().find("target file 'my-npu.json'"), std::string::npos) << c.name;
    EXPECT_NE(t.status().message().find(c.fragment), std::string::npos) << c.name << ":\n" << t.status().message();
  }
}

TEST(Targets, SeveralProblemsAreListedTogether) {
  json j = user_target_json();
  j["device_ops"]["Conv3D"] = json::object();
  j["device_ops"]["Conv2D"]["limits"]["kernel"] = {{"min", 9}, {"max", 5}};
  const auto t = parse_json(j);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("Conv3D"), std::string::npos);
  EXPECT_NE(t.status().message().find("min 9 is above max 5"), std::string::npos);
}

TEST(Targets, NotJsonAndAMisnamedFileAreReported) {
  const auto broken = target::parse_target("{\"format\": ", "broken.json", default_registry());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("target file 'broken.json' is not valid JSON"), std::string::npos)
      << broken.status().message();
  const auto misnamed = parse_json(user_target_json(), "/somewhere/other-npu.json");
  ASSERT_FALSE(misnamed.ok());
  EXPECT_NE(misnamed.status().message().find("field name: is \"my-npu\" but the file is 'other-npu.json'"), std::string::npos)
      << misnamed.status().message();
}

class TargetPath : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ingot-targets-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    ::setenv("INGOT_TARGET_PATH", dir_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("INGOT_TARGET_PATH");
    fs::remove_all(dir_);
  }
  void write(const std::string& file, const json& j) { std::ofstream(dir_ / file) << j.dump(2); }
  fs::path dir_;
};

TEST_F(TargetPath, AUserWrittenTargetIsFoundListedAndCanShadowAShippedOne) {
  write("my-npu.json", user_target_json());
  json shadow = user_target_json();
  shadow["name"] = "dv700";
  shadow["description"] = "my own dv700 description";
  write("dv700.json", shadow);
  json broken = user_target_json();
  broken["name"] = "broken";
  broken["numerics"]["activations"] = "f8";
  write("broken.json", broken);

  const auto mine = target::find_target("my-npu", default_registry());
  ASSERT_TRUE(mine.ok()) << mine.status().message();
  EXPECT_EQ(mine->path, (dir_ / "my-npu.json").string());
  EXPECT_EQ(target::find_target("dv700", default_registry())->description, "my own dv700 description");
  const auto by_path = target::find_target((dir_ / "my-npu.json").string(), default_registry());
  ASSERT_TRUE(by_path.ok()) << by_path.status().message();

  std::map<std::string, bool> listed;  // name -> loads
  for (const auto& e : target::list_targets(default_registry())) {
    EXPECT_EQ(listed.count(e.name), 0u) << e.name << " listed twice";
    listed[e.name] = e.target.ok();
  }
  EXPECT_TRUE(listed.at("my-npu"));
  EXPECT_TRUE(listed.at("cpu-f32"));
  EXPECT_TRUE(listed.at("dv700"));
  EXPECT_FALSE(listed.at("broken"));
  EXPECT_EQ(listed.count("target.schema"), 0u);

  const auto missing = target::find_target("nope", default_registry());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no target named 'nope' (known: "), std::string::npos) << missing.status().message();
  EXPECT_NE(missing.status().message().find(dir_.string()), std::string::npos);
}

}  // namespace test_targets
}  // namespace ingot::targettest
