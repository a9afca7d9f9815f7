// The get_config() that `ingot check` prints must work on the class it is for. Every op that
// declares the Python class it mirrors (PythonClass: rykov8 PriorBox and Normalize,
// pierluigiferrari AnchorBoxes, L2Normalization, DecodeDetections), and one generic class, get
// their generated method run by /usr/bin/python3 on stand-ins that build themselves as the
// originals do (tests/python/keras_standins.py): the config must be JSON-serialisable and
// cls(**config) must rebuild an equal layer. Then a model re-saved with those configs
// (expanded ratios, flip False) must convert to the same outputs, priors included, as the
// original with its parameters supplied by file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/cli_util.h"
#include "frontends/keras/repair.h"
#include "ingot/op.h"
#include "runtime/npy.h"

namespace ingot {
namespace e2e_test_get_config {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ingot;
using testing::run_command;
using testing::TempDir;

const fs::path kPython = fs::path(INGOT_SOURCE_DIR) / "tests" / "python";
const fs::path kMissing = fs::path(INGOT_FIXTURES_DIR) / "keras_cases" / "ssd_rykov8_missing_params";

std::string python(const std::string& script, const std::string& args) {
  return "PYTHONPATH=" + kPython.string() + " PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 " +
         (kPython / script).string() + " " + args;
}

// The generated methods of every op that names its Python class.
json known_class_methods() {
  json methods = json::object();
  for (const OpDef* def : default_registry().all()) {
    if (def->schema.python_class) methods[def->schema.name] = keras::get_config_source(def->schema.name, def->schema);
  }
  return methods;
}

TEST(GeneratedGetConfig, EveryKnownClassIsDeclared) {
  const json methods = known_class_methods();
  for (const char* cls : {"PriorBox", "Normalize", "AnchorBoxes", "L2Normalization", "DecodeDetections"})
    EXPECT_TRUE(methods.contains(cls)) << cls;
}

TEST(GeneratedGetConfig, RebuildsEqualLayersOfTheRealClasses) {
  TempDir dir("get_config");
  json methods = known_class_methods();
  // The generic form, on a class that stores its arguments as given (what it assumes).
  OpSchema generic{.name = "GenericScale"};
  generic.params.push_back({.name = "factor", .type = AttrType::float_, .required = true});
  generic.params.push_back({.name = "offsets", .type = AttrType::float_list});
  methods["GenericScale"] = keras::get_config_source("GenericScale", generic);
  EXPECT_NE(methods["GenericScale"].get<std::string>().find("it assumes"), std::string::npos);
  EXPECT_EQ(methods["PriorBox"].get<std::string>().find("it assumes"), std::string::npos);
  std::ofstream(dir / "methods.json") << methods.dump(2);
  const auto r = run_command(python("check_get_config.py", dir / "methods.json"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  // One line per stand-in case: 4 PriorBox, 2 Normalize, 3 AnchorBoxes, 2 L2Normalization,
  // 2 DecodeDetections, 2 GenericScale.
  std::size_t ok = 0;
  for (std::size_t at = r.out.find("ok "); at != std::string::npos; at = r.out.find("\nok ", at + 1)) ++ok;
  EXPECT_EQ(ok, 15u) << r.out;
  // What the issue was about: the rykov8 PriorBox config holds the expanded ratios, flip False
  // and plain lists (here for ratios [2, 3] with max_size and flip).
  EXPECT_NE(r.out.find("\"aspect_ratios\": [1.0, 1.0, 2.0, 0.5, 3.0, 0.3333333333333333]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"flip\": false"), std::string::npos) << r.out;
}

// The method the issue found broken, 'flip': self.flip, fails on the real class: the check
// above would catch a regression to it.
TEST(GeneratedGetConfig, TheOldGenericPriorBoxMethodFailsOnTheRealClass) {
  TempDir dir("get_config_old");
  OpSchema schema = default_registry().find("PriorBox")->schema;
  schema.python_class.reset();
  std::ofstream(dir / "methods.json") << json{{"PriorBox", keras::get_config_source("PriorBox", schema)}}.dump();
  const auto r = run_command(python("check_get_config.py", dir / "methods.json"));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("AttributeError"), std::string::npos) << r.out;
}

TEST(GeneratedGetConfig, ResavedModelConvertsToTheOriginalsPriors) {
  TempDir dir("get_config_resave");
  std::ofstream(dir / "methods.json") << known_class_methods().dump();
  const std::string params = (kMissing / "params_override.json").string();
  const auto saved = run_command(python("resave_with_get_config.py", (kMissing / "model.h5").string() + " " + params +
                                                                          " " + (dir / "methods.json") + " " + (dir / "resaved.h5")));
  ASSERT_EQ(saved.exit_code, 0) << saved.out << saved.err;

  // The re-saved file needs no parameter file, and ingot checks it clean.
  const auto check = ingot("check " + (dir / "resaved.h5"));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  ASSERT_EQ(ingot("convert " + (dir / "resaved.h5") + " -o " + (dir / "resaved.ingot")).exit_code, 0);
  ASSERT_EQ(ingot("convert " + (kMissing / "model.h5").string() + " --params " + params + " -o " + (dir / "original.ingot")).exit_code, 0);
  const std::string input = (kMissing / "input_0.npy").string();
  for (const char* m : {"resaved", "original"}) {
    const auto run = ingot(std::string("run ") + (dir / (std::string(m) + ".ingot")) + " --input " + input + " --output-dir " +
                           (dir / m) + " --dump-all " + (dir / (std::string(m) + "_all")));
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  // Every PriorBox layer's table, and the model output, bit for bit.
  std::size_t priors = 0;
  for (const auto& entry : fs::directory_iterator(dir.path() / "original_all")) {
    const std::string file = entry.path().filename().string();
    auto a = npy::read(entry.path().string());
    auto b = npy::read((dir.path() / "resaved_all" / file).string());
    ASSERT_TRUE(a.ok() && b.ok()) << file;
    EXPECT_TRUE(a->bit_equal(*b)) << file;
    for (const char* layer : {"conv4_3_norm_mbox_priorbox", "fc7_mbox_priorbox", "pool6_mbox_priorbox"})
      priors += file == std::string(layer) + ".npy" ? 1 : 0;
  }
  EXPECT_EQ(priors, 3u);
  auto a = npy::read((dir.path() / "original" / "output_0.npy").string());
  auto b = npy::read((dir.path() / "resaved" / "output_0.npy").string());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->bit_equal(*b));
}

}  // namespace e2e_test_get_config
}  // namespace ingot
