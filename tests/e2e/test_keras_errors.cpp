// Bad Keras input through `ingot convert`: each file in tests/fixtures/keras_bad (written by
// scripts/gen_keras_bad_fixtures.py) is rejected with a message naming the file, the layer and
// the key or weight, a non-zero exit, and no output file.
#include <gtest/gtest.h>

#include "e2e/cli_util.h"

namespace ingot {
namespace e2e_test_keras_errors {

using testing::ingot;
using testing::TempDir;

struct BadCase {
  const char* file;
  int exit_code;
  std::vector<const char*> fragments;
};

const BadCase kCases[] = {
    {"not_hdf5.h5", 2, {"must be a Keras HDF5 model", "without the HDF5 signature"}},
    {"truncated.h5", 2, {"truncated.h5"}},
    {"no_model_config.h5", 2, {"attribute 'model_config' is required, got nothing"}},
    {"invalid_json.h5", 2, {"'model_config'", "must be valid JSON, got a syntax error at byte"}},
    {"unknown_class.h5", 4, {"layer 'conv2d_1' (Conv2d)", "must be a known Keras layer class", "closest known: Conv2D",
                            "its saved config"}},
    {"bad_padding.h5", 2, {"import layer 'conv2d_1' (Conv2D)", "key 'padding' must be one of", "got \"reflect\""}},
    {"absurd_input_shape.h5", 2, {"import input layer", "element count must be at most 2^40"}},
    {"missing_weight.h5", 2, {"import layer 'conv2d_1' (Conv2D)", "weight 'bias' is required, got only kernel"}},
    {"listed_weight_absent.h5", 2, {"import layer 'conv2d_1' (Conv2D)", "conv2d_1/bias:0", "dataset is required"}},
    {"wrong_weight_shape.h5", 2, {"import layer 'conv2d_1' (Conv2D)", "weight 'kernel' must have shape [3, 3, 3, 4]",
                                 "got [3, 3, 2, 4]"}},
    {"cyclic_inbound.h5", 2, {"(dangling or cyclic inbound_nodes)", "must be computed by the model"}},
    {"dangling_inbound.h5", 2, {"import layer 'conv2d_2' (Conv2D)", "'no_such_layer'", "no such layer"}},
};

TEST(KerasBadInput, EachFileIsRejectedClearlyAndNothingIsWritten) {
  TempDir tmp("ingot_keras_bad");
  for (const BadCase& c : kCases) {
    SCOPED_TRACE(c.file);
    const std::string path = std::string(INGOT_FIXTURES_DIR) + "/keras_bad/" + c.file;
    auto r = ingot("convert " + path + " -o " + tmp / "out.ingot");
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_NE(r.err.find("ingot: "), std::string::npos) << r.err;
    for (const char* f : c.fragments) EXPECT_NE(r.err.find(f), std::string::npos) << "missing: " << f << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(tmp / "out.ingot"));
    EXPECT_TRUE(std::filesystem::is_empty(tmp.path())) << "a temporary file was left behind";
  }
}

TEST(KerasBadInput, InputShapeFlagFixesUnknownDims) {
  TempDir tmp("ingot_keras_shape");
  const std::string path = std::string(INGOT_FIXTURES_DIR) + "/keras_bad/unknown_dims.h5";
  auto r = ingot("convert " + path + " -o " + tmp / "m.ingot --input-shape 1,9,11,3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("inspect " + tmp / "m.ingot");
  EXPECT_NE(r.out.find("conv2d_1_input  f32 [1, 9, 11, 3]"), std::string::npos) << r.out;
  for (const char* bad : {"1,x,11,3", "1,-9,11,3", "", "1,9,11,3 --input-shape 1,2,3,4"}) {
    r = ingot("convert " + path + " -o " + tmp / "m2.ingot --input-shape " + bad);
    EXPECT_EQ(r.exit_code, 1) << bad << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(tmp / "m2.ingot"));
  }
  r = ingot("convert /nonexistent.h5 -o " + tmp / "m3.ingot");
  EXPECT_EQ(r.exit_code, 5) << r.err;
}

}  // namespace e2e_test_keras_errors
}  // namespace ingot
