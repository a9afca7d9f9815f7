// Bad Caffe input: each case gets a clear error naming the file, the layer, its type and the
// field or blob, a non-zero exit, and no output file. The nets are small texts written here;
// their weights are written with the generated protobuf classes.
#include <gtest/gtest.h>

#include <fstream>

#include "caffe/caffe.pb.h"
#include "e2e/cli_util.h"

namespace ingot {
namespace e2e_test_caffe_errors {

namespace fs = std::filesystem;
using testing::ingot;
using testing::TempDir;

// Input [1, 3, 8, 8] -> conv (4 x 3x3, pad 1) -> ReLU in place -> max pool 2 -> fc 5 -> softmax.
const char* const kNet = R"(name: "tiny"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
        convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "fc" type: "InnerProduct" bottom: "pool" top: "fc" inner_product_param { num_output: 5 } }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
)";

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

void add_blob(caffe::LayerParameter* l, std::vector<std::int64_t> shape) {
  caffe::BlobProto* b = l->add_blobs();
  std::int64_t n = 1;
  for (auto d : shape) {
    b->mutable_shape()->add_dim(d);
    n *= d;
  }
  for (std::int64_t i = 0; i < n; ++i) b->add_data(0.01f * static_cast<float>(i % 7) - 0.03f);
}

// The weights of kNet; `conv_shape` and `conv_blobs` let a case break them.
caffe::NetParameter tiny_weights(std::vector<std::int64_t> conv_shape = {4, 3, 3, 3}, int conv_blobs = 2) {
  caffe::NetParameter net;
  caffe::LayerParameter* conv = net.add_layer();
  conv->set_name("conv");
  conv->set_type("Convolution");
  add_blob(conv, conv_shape);
  if (conv_blobs > 1) add_blob(conv, {4});
  caffe::LayerParameter* fc = net.add_layer();
  fc->set_name("fc");
  fc->set_type("InnerProduct");
  add_blob(fc, {5, 64});
  add_blob(fc, {5});
  return net;
}

void write_weights(const std::string& path, const caffe::NetParameter& net) {
  std::ofstream out(path, std::ios::binary);
  ASSERT_TRUE(net.SerializeToOstream(&out));
}

class CaffeErrors : public ::testing::Test {
 protected:
  TempDir tmp{"ingot_caffe_errors"};
  std::string net = tmp / "net.prototxt";
  std::string weights = tmp / "net.caffemodel";
  std::string out = tmp / "out.ingot";

  void SetUp() override {
    write_text(net, kNet);
    write_weights(weights, tiny_weights());
  }
  // Converts and expects failure with `code`; returns stderr.
  std::string fails(const std::string& args, int code) {
    const auto r = ingot("convert " + args + " -o " + out);
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_FALSE(fs::exists(out)) << "a failed conversion must not leave an output file";
    return r.err;
  }
};

TEST_F(CaffeErrors, TheTinyNetConvertsAndRuns) {
  auto r = ingot("convert " + net + " --weights " + weights + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ingot("inspect " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("caffe"), std::string::npos) << r.out;
}

TEST_F(CaffeErrors, SyntaxErrorNamesFileLineAndColumn) {
  std::string text = kNet;
  text.replace(text.find("kernel_size: 3"), 14, "kernel_size: three");
  write_text(net, text);
  const std::string err = fails(net + " --weights " + weights, 2);
  EXPECT_NE(err.find("net.prototxt"), std::string::npos) << err;
  EXPECT_NE(err.find("line 4, column 56: Expected integer, got: three"), std::string::npos) << err;
}

TEST_F(CaffeErrors, WeightsThatAreNotProtobuf) {
  write_text(weights, "this is a text file, not a caffemodel\n");
  const std::string err = fails(net + " --weights " + weights, 2);
  EXPECT_NE(err.find("net.caffemodel"), std::string::npos) << err;
  EXPECT_NE(err.find("not a complete binary NetParameter"), std::string::npos) << err;
}

TEST_F(CaffeErrors, TruncatedWeights) {
  std::string bytes = testing::slurp(weights);
  write_text(weights, bytes.substr(0, bytes.size() / 2));
  const std::string err = fails(net + " --weights " + weights, 2);
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
}

TEST_F(CaffeErrors, BlobCountMismatchNamesLayerAndCount) {
  write_weights(weights, tiny_weights({4, 3, 3, 3}, 1));
  const std::string err = fails(net + " --weights " + weights, 2);
  EXPECT_NE(err.find("layer 'conv' (Convolution)"), std::string::npos) << err;
  EXPECT_NE(err.find("needs 2 blobs from the caffemodel, got 1"), std::string::npos) << err;
}

TEST_F(CaffeErrors, BlobShapeMismatchNamesBothShapes) {
  write_weights(weights, tiny_weights({8, 3, 3, 3}));
  const std::string err = fails(net + " --weights " + weights, 2);
  EXPECT_NE(err.find("layer 'conv' (Convolution)"), std::string::npos) << err;
  EXPECT_NE(err.find("must have shape [4, 3, 3, 3], got [8, 3, 3, 3]"), std::string::npos) << err;
}

TEST_F(CaffeErrors, MissingWeightsFileIsNamed) {
  const std::string err = fails(net, 2);
  EXPECT_NE(err.find("no caffemodel was given: pass --weights"), std::string::npos) << err;
}

TEST_F(CaffeErrors, MissingBottom) {
  std::string text = kNet;
  text.replace(text.find("bottom: \"pool\""), 14, "bottom: \"pool9\"");
  write_text(net, text);
  const std::string err = fails(net + " --weights " + weights, 2);
  EXPECT_NE(err.find("layer 'fc' (InnerProduct): bottom 'pool9' is not produced by any layer or input"), std::string::npos)
      << err;
}

TEST_F(CaffeErrors, CycleIsNamed) {
  write_text(net, R"(layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }
layer { name: "a" type: "Eltwise" bottom: "data" bottom: "b" top: "a" }
layer { name: "b" type: "ReLU" bottom: "a" top: "b" }
)");
  const std::string err = fails(net, 2);
  EXPECT_NE(err.find("layer 'a' (Eltwise): bottom 'b' is only produced by layer 'b', which comes later"), std::string::npos)
      << err;
  EXPECT_NE(err.find("cycle"), std::string::npos) << err;
}

TEST_F(CaffeErrors, UnknownTypesAreAllListed) {
  std::string text = kNet;
  text.replace(text.find("type: \"ReLU\""), 12, "type: \"Swish9\"");
  text.replace(text.find("type: \"Softmax\""), 15, "type: \"ArgMaxish\"");
  write_text(net, text);
  const std::string err = fails(net + " --weights " + weights, 4);
  EXPECT_NE(err.find("2 layers have types ingot does not know: 'relu' (Swish9, line 5), 'prob' (ArgMaxish, line 8)"),
            std::string::npos)
      << err;
  const auto r = ingot("check " + net + " --weights " + weights);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.out.find("ingot does not know layer type 'Swish9'"), std::string::npos) << r.out;
}

TEST_F(CaffeErrors, UnknownFieldIsAWarningWithLineAndColumn) {
  std::string text = kNet;
  text.replace(text.find("pad: 1"), 6, "pad: 1 future_field: 7");
  write_text(net, text);
  const auto r = ingot("convert " + net + " --weights " + weights + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("layer 'conv' (Convolution): prototxt line 4, column 77: Message type \"caffe.ConvolutionParameter\" has no field named \"future_field\"; ingot does not know"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("future_field"), std::string::npos) << r.err;
}

TEST_F(CaffeErrors, ParameterOutOfRangeNamesLayerAndField) {
  std::string text = kNet;
  text.replace(text.find("pool: MAX kernel_size: 2"), 24, "pool: MAX kernel_size: 2 pad: 2");
  write_text(net, text);
  const std::string err = fails(net + " --weights " + weights, 2);
  EXPECT_NE(err.find("layer 'pool' (Pooling)"), std::string::npos) << err;
  EXPECT_NE(err.find("'pads'"), std::string::npos) << err;
}

TEST_F(CaffeErrors, WrongInputDimCount) {
  write_text(net, "input: \"data\"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\n"
                  "layer { name: \"r\" type: \"ReLU\" bottom: \"data\" top: \"r\" }\n");
  const std::string err = fails(net, 2);
  EXPECT_NE(err.find("1 `input` names need 4 `input_dim` values"), std::string::npos) << err;
}

TEST_F(CaffeErrors, TrainOnlyLayersAreDroppedWithANote) {
  std::string text = kNet;
  text += "layer { name: \"acc\" type: \"Accuracy\" bottom: \"prob\" bottom: \"label\" top: \"acc\" include { phase: TRAIN } }\n";
  write_text(net, text);
  const auto r = ingot("check " + net + " --weights " + weights);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("not part of the TEST phase"), std::string::npos) << r.out;
}

TEST_F(CaffeErrors, KerasOnlyFlagsAreRefused) {
  const std::string err = fails(net + " --weights " + weights + " --bilinear-centers asymmetric", 1);
  EXPECT_NE(err.find("--bilinear-centers applies to Keras models"), std::string::npos) << err;
}

}  // namespace e2e_test_caffe_errors
}  // namespace ingot
