// The DV700 network (src/target/dv700): the vendor converter's order, layers and buffer
// placement on small graphs, the weight stream's tiles for every kernel form, the codebook8
// stream, and the custom-layer structs of the generated code. The vendor's own outputs are
// the reference in tests/e2e/test_dv_sdk.cpp; these pin the rules case by case.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "core/fp16.h"
#include "target/dv700/emit.h"
#include "target/dv700/network.h"
#include "target/dv700/weights.h"
#include "target/target_test_util.h"

namespace ingot {
namespace {

using targettest::GraphBuilder;

dv700::Network build(const ir::Graph& g, bool codebook8 = false) {
  auto net = dv700::build_network(g, default_registry(), {.codebook8 = codebook8});
  EXPECT_TRUE(net.ok()) << net.status().message();
  return net.ok() ? std::move(*net) : dv700::Network{};
}

std::vector<std::string> layer_names(const dv700::Network& net) {
  std::vector<std::string> out;
  for (const auto& l : net.layers)
    out.push_back(net.nodes[static_cast<std::size_t>(l.node_out)].name);
  return out;
}

const dv700::Node& node_named(const dv700::Network& net, const std::string& name) {
  for (const auto& n : net.nodes) {
    if (n.name == name) return n;
  }
  ADD_FAILURE() << "no node " << name;
  return net.nodes.front();
}

// The vendor walks back from the outputs depth first, taking a node once all its readers are
// taken: the branch of a merge's last input comes right before the merge, that of its first
// input before it, and a branching node ends its layer.
TEST(Dv700Network, OrderIsTheVendorsDepthFirstWalkAndBranchesEndLayers) {
  GraphBuilder b(Shape{1, 8, 8, 8});
  b.conv("a", 8, 1)
      .conv("b", 8, 3, 1, 1)
      .conv("c", 8, 1)
      .from("a")
      .conv("d", 8, 1)
      .add_from("sum", "c");
  const dv700::Network net = build(b.done());
  // sum = d + c: c's branch (b, c) is the last input's
  EXPECT_EQ(layer_names(net), (std::vector<std::string>{"a", "d", "b", "c", "sum"}));
  const auto& sum = net.layers.back();
  ASSERT_EQ(sum.runs.size(), 1u);
  EXPECT_EQ(net.nodes[static_cast<std::size_t>(sum.runs[0].pool)].kind, dv700::NodeKind::eltwise);
  // The sum reads d (its first input) and c through the eltwise buffer.
  ASSERT_EQ(sum.input_offsets.size(), 2u);
  EXPECT_EQ(sum.input_offsets[0], net.layers[1].output_offset);
  EXPECT_EQ(sum.input_offsets[1], net.layers[3].output_offset);
  EXPECT_NE(sum.input_offsets[0], sum.input_offsets[1]);
}

// Outputs first at 0, then walking back each layer's inputs at the lowest 16-byte offset no
// buffer alive at the same time holds.
TEST(Dv700Network, BuffersArePlacedBackwardsFirstFit) {
  GraphBuilder b(Shape{1, 8, 8, 8});
  b.conv("c1", 8, 1).conv("c2", 16, 1).conv("c3", 8, 1);
  const dv700::Network net = build(b.done());
  ASSERT_EQ(net.layers.size(), 3u);
  // sizes: input, c1 and c3 1024 bytes (8x8x8 fp16), c2 2048
  EXPECT_EQ(net.layers[2].output_offset, 0);           // c3, the output
  EXPECT_EQ(net.layers[1].output_offset, 1024);        // c2: alive with c3
  EXPECT_EQ(net.layers[0].output_offset, 0);           // c1: alive with c2 only
  EXPECT_EQ(net.layers[0].input_offsets.at(0), 1024);  // the input: alive with c1
  EXPECT_EQ(net.buffer_size, 3072);
  EXPECT_FALSE(net.layers[0].input_from_conv);
  EXPECT_TRUE(net.layers[1].input_from_conv);
}

// Batch norm and the activation fold into the convolution; a max pooling joins its layer (one
// tile each); an activation after the pooling folds back through it (max commutes with a
// growing function); a lone batch norm becomes a 1x1 depthwise convolution.
TEST(Dv700Network, FoldsAndJoinsAsTheDeviceRunsThem) {
  GraphBuilder b(Shape{1, 16, 16, 8});
  b.conv("conv", 8, 3, 1, 1).batch_norm("bn").pool("pool").relu("relu").batch_norm("lone_bn");
  const dv700::Network net = build(b.done());
  ASSERT_EQ(layer_names(net), (std::vector<std::string>{"pool", "lone_bn"}));
  const auto& conv = node_named(net, "conv");
  EXPECT_EQ(conv.actfunc, 2);  // the device's leaky ReLU with slope 0
  ASSERT_TRUE(conv.norm);
  EXPECT_EQ(conv.folded, (std::vector<std::string>{"bn", "relu"}));
  ASSERT_EQ(net.layers[0].runs.size(), 1u);
  EXPECT_GE(net.layers[0].runs[0].pool, 0);
  const auto& lone = node_named(net, "lone_bn");
  EXPECT_EQ(lone.kind, dv700::NodeKind::convolution);
  EXPECT_EQ(lone.groups, 8);
  EXPECT_EQ(lone.kx, 1);
  ASSERT_TRUE(lone.norm);
}

// What the device has no form for runs on the host as a custom layer, with its parameters;
// what it writes depends on who reads it: fp16 (WHC8) for the device, fp32 for the caller.
TEST(Dv700Network, WhatTheDeviceLacksRunsOnTheHostInTheFormatItsReadersRead) {
  GraphBuilder b(Shape{1, 8, 8, 8});
  b.conv("conv", 8, 1)
      .node("thresholded", "ReLU", {{"threshold", 0.5}})
      .pad("pad", 1)
      .relu("relu")  // a pad before an activation: the host pads
      .conv("conv2", 8, 3)
      .node("out", "ReLU", {{"max_value", 4.0}});
  const dv700::Network net = build(b.done());
  const auto& thresholded = node_named(net, "thresholded");
  EXPECT_EQ(thresholded.kind, dv700::NodeKind::custom);
  EXPECT_EQ(std::get<double>(thresholded.custom_params.at("threshold")), 0.5);
  // Read by the host's pad only: fp32.
  EXPECT_FALSE(thresholded.fp16_output);
  EXPECT_EQ(thresholded.output_size, 8 * 8 * 8 * 4);
  // Read by the device: fp16 (in WHC8).
  const auto& pad = node_named(net, "pad");
  EXPECT_EQ(pad.kind, dv700::NodeKind::custom);
  EXPECT_TRUE(pad.device_reads_output);
  EXPECT_EQ(pad.output_size, 10 * 10 * 8 * 2);
  // The ReLU after the host pad runs on the device as a 1x1 depthwise convolution.
  EXPECT_EQ(node_named(net, "relu").kind, dv700::NodeKind::convolution);
  const auto& out = node_named(net, "out");
  EXPECT_EQ(out.kind, dv700::NodeKind::custom);
  EXPECT_FALSE(out.fp16_output);
  EXPECT_EQ(out.output_size, 8 * 8 * 8 * 4);
  std::size_t callbacks = 0;
  for (const auto& note : net.notes) callbacks += note.find("provide custom_callback_") != std::string::npos ? 1 : 0;
  EXPECT_EQ(callbacks, 3u);
}

std::uint16_t half_at(const std::vector<std::uint8_t>& b, std::size_t byte) {
  return static_cast<std::uint16_t>(b.at(byte) | (b.at(byte + 1) << 8));
}

// A 12x6 tile cell of the fp16 stream, tiles counted from `first` bytes in.
std::uint16_t cell(const std::vector<std::uint8_t>& b, std::size_t first, int tile, int row,
                   int col) {
  return half_at(b, first + static_cast<std::size_t>(tile) * 144 +
                        static_cast<std::size_t>(2 * (row * 6 + col)));
}

// A Conv2D node with weights w[o][i][y][x] = o * 1000 + i * 100 + y * 10 + x (exact in fp16
// up to 2048) and bias o + 0.5, for checking where each weight lands.
dv700::Node numbered_conv(std::int64_t m, std::int64_t c, std::int64_t ky, std::int64_t kx,
                          std::int64_t dilation = 1) {
  dv700::Node n{.name = "conv", .kind = dv700::NodeKind::convolution};
  n.in_dim = {16, 16, c};
  n.out_dim = {16, 16, m};
  n.kx = kx;
  n.ky = ky;
  n.dilation_x = n.dilation_y = dilation;
  std::vector<float> w;
  for (std::int64_t o = 0; o < m; ++o) {
    for (std::int64_t i = 0; i < c; ++i) {
      for (std::int64_t y = 0; y < ky; ++y) {
        for (std::int64_t x = 0; x < kx; ++x)
          w.push_back(static_cast<float>(o * 1000 + i * 100 + y * 10 + x) / 64.0f);
      }
    }
  }
  n.weights = Tensor::from_floats(Shape{m, c, ky, kx}, w);
  for (std::int64_t o = 0; o < m; ++o) n.bias.push_back(static_cast<float>(o) + 0.5f);
  return n;
}

std::uint16_t weight_half(std::int64_t o, std::int64_t i, std::int64_t y, std::int64_t x) {
  return float_to_half(static_cast<float>(o * 1000 + i * 100 + y * 10 + x) / 64.0f);
}

TEST(Dv700Weights, ThreeByThreeTilesHoldEightChannelsAfterTheBias) {
  const dv700::Node n = numbered_conv(2, 10, 3, 3);
  auto bytes = dv700::pack_run_weights(n, false);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  // 1 block of 8 outputs: 16 bias bytes, then per channel group (8 + 2) one tile per output.
  ASSERT_EQ(bytes->size(), 16u + 2 * 2 * 144);
  EXPECT_EQ(half_at(*bytes, 0), float_to_half(0.5f));
  EXPECT_EQ(half_at(*bytes, 2), float_to_half(1.5f));
  EXPECT_EQ(half_at(*bytes, 4), 0);  // outputs 2..7 do not exist
  // group 0, output 1 is tile 1; channel 5: rows 9 - 2 * 3 + y, columns 3 + x
  EXPECT_EQ(cell(*bytes, 16, 1, 3 + 2, 3 + 1), weight_half(1, 5, 2, 1));
  EXPECT_EQ(cell(*bytes, 16, 0, 9, 0), weight_half(0, 0, 0, 0));
  // group 1 (channels 8, 9), output 0 is tile 2: slots 0 and 1; slots 2.. stay zero
  EXPECT_EQ(cell(*bytes, 16, 2, 9 + 1, 0 + 2), weight_half(0, 8, 1, 2));
  EXPECT_EQ(cell(*bytes, 16, 2, 9, 3), weight_half(0, 9, 0, 0));
  EXPECT_EQ(cell(*bytes, 16, 2, 6, 0), 0);
}

TEST(Dv700Weights, EvenKernelsPadToTheNextOddSquareAboveAndRight) {
  const dv700::Node n = numbered_conv(1, 1, 2, 2);
  auto bytes = dv700::pack_run_weights(n, false);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  ASSERT_EQ(bytes->size(), 16u + 144);
  // a 3x3 slot 0 (rows 9..11, columns 0..2): row 9 and column 2 are the padding
  for (int x = 0; x < 3; ++x) EXPECT_EQ(cell(*bytes, 16, 0, 9, x), 0);
  EXPECT_EQ(cell(*bytes, 16, 0, 10, 0), weight_half(0, 0, 0, 0));
  EXPECT_EQ(cell(*bytes, 16, 0, 11, 1), weight_half(0, 0, 1, 1));
  EXPECT_EQ(cell(*bytes, 16, 0, 10, 2), 0);
}

TEST(Dv700Weights, FiveByFiveTilesPairChannelsAndSevenBySevenFillTheCorners) {
  const dv700::Node five = numbered_conv(1, 3, 5, 5);
  auto b5 = dv700::pack_run_weights(five, false);
  ASSERT_TRUE(b5.ok()) << b5.status().message();
  ASSERT_EQ(b5->size(), 16u + 2 * 144);  // channels (0, 1), then (2)
  EXPECT_EQ(cell(*b5, 16, 0, 7 + 4, 4), weight_half(0, 0, 4, 4));
  EXPECT_EQ(cell(*b5, 16, 0, 1 + 2, 3), weight_half(0, 1, 2, 3));
  EXPECT_EQ(cell(*b5, 16, 1, 7, 0), weight_half(0, 2, 0, 0));
  EXPECT_EQ(cell(*b5, 16, 1, 1, 0), 0);

  const dv700::Node seven = numbered_conv(1, 1, 7, 7);
  auto b7 = dv700::pack_run_weights(seven, false);
  ASSERT_TRUE(b7.ok()) << b7.status().message();
  ASSERT_EQ(b7->size(), 16u + 144);
  EXPECT_EQ(cell(*b7, 16, 0, 5 + 6, 5), weight_half(0, 0, 6, 5));
  EXPECT_EQ(cell(*b7, 16, 0, 2, 5), weight_half(0, 0, 0, 6));
  EXPECT_EQ(cell(*b7, 16, 0, 0, 3), weight_half(0, 0, 1, 6));
  EXPECT_EQ(cell(*b7, 16, 0, 2, 0), weight_half(0, 0, 6, 6));
}

TEST(Dv700Weights, OneByOneTilesHoldSixtyFourChannels) {
  const dv700::Node n = numbered_conv(1, 70, 1, 1);
  // weights up to 6900 / 64: exact in fp16? 107.8 needs 1/64 steps below 128: yes
  auto bytes = dv700::pack_run_weights(n, false);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  ASSERT_EQ(bytes->size(), 16u + 2 * 144);
  // channel i: row 11 - (i % 8) / 2 * 3 - (i % 64 / 8) / 3, column (i % 8) % 2 * 3 + (i % 64 / 8) %
  // 3
  EXPECT_EQ(cell(*bytes, 16, 0, 11, 0), weight_half(0, 0, 0, 0));
  EXPECT_EQ(cell(*bytes, 16, 0, 11 - 3 * 3 - 2, 3 + 1),
            weight_half(0, 63, 0, 0));                                      // 63: t 7, group 7
  EXPECT_EQ(cell(*bytes, 16, 1, 11 - 1 * 3, 3), weight_half(0, 67, 0, 0));  // 67: t 3, group 0
}

// A dilated convolution: one 1x1 stream per tap, the bias only in the last; each 16-byte aligned.
TEST(Dv700Weights, DilatedConvolutionIsAOneByOneStreamPerTap) {
  const dv700::Node n = numbered_conv(2, 8, 3, 3, 2);
  auto bytes = dv700::pack_run_weights(n, false);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  const std::size_t tap = 16 + 2 * 144;
  ASSERT_EQ(bytes->size(), 9 * tap);
  EXPECT_EQ(half_at(*bytes, 0), 0);                          // no bias before the last tap
  EXPECT_EQ(half_at(*bytes, 8 * tap), float_to_half(0.5f));  // the last tap's
  EXPECT_EQ(cell(*bytes, 4 * tap + 16, 1, 11, 0), weight_half(1, 0, 1, 1));  // tap (1, 1), output 1
}

// weight_fmt 3: 256 fp16 entries (entry 0 is 0, what unused cells read as), then one u8 per
// weight in the same tiles; biases stay fp16.
TEST(Dv700Weights, CodebookStreamStartsWithItsTableAndIndexesIt) {
  GraphBuilder b(Shape{1, 8, 8, 16});
  b.conv("conv", 8, 3, 1, 1).batch_norm("bn");
  const dv700::Network net = build(b.done(), true);
  const dv700::Node& conv = node_named(net, "conv");
  auto bytes = dv700::pack_run_weights(conv, true);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  EXPECT_EQ(static_cast<std::int64_t>(bytes->size()), dv700::conv_weight_size(conv, true));
  EXPECT_EQ(bytes->size(), 512u + 16 + 8 * 2 * 72);  // 16 channels: two 8-channel tiles per output
  std::vector<float> table;
  for (int e = 0; e < 256; ++e)
    table.push_back(half_to_float(half_at(*bytes, 2 * static_cast<std::size_t>(e))));
  EXPECT_EQ(table[0], 0.0f);
  auto fp16 = dv700::pack_run_weights(conv, false);
  ASSERT_TRUE(fp16.ok());
  // Every cell decodes to its fp16 weight up to the codebook's spacing; empty cells to 0.
  double worst = 0;
  for (int t = 0; t < 16; ++t) {
    for (int slot = 0; slot < 72; ++slot) {
      const float got = table[(*bytes)[512 + 16 + static_cast<std::size_t>(t * 72 + slot)]];
      const float want =
          half_to_float(half_at(*fp16, 16 + static_cast<std::size_t>(t * 144 + 2 * slot)));
      if (want == 0.0f) {
        EXPECT_EQ(got, 0.0f);
      }
      worst = std::max(worst, std::abs(double(got) - want));
    }
  }
  EXPECT_LT(worst, 0.01);  // 255 entries over at most 16 * 9 * 8 distinct values: nearly exact
  EXPECT_EQ(half_at(*bytes, 512), half_at(*fp16, 0));  // the bias block, fp16 in both
}

// Custom layers: a typed struct per op; lists are pointer + count (layers of one class may
// differ in length), unset optional parameters carry a has_ flag; the code compiles.
TEST(Dv700Emit, CustomLayerStructsHoldListsOfAnyLengthAndUnsetParameters) {
  GraphBuilder b(Shape{1, 8, 8, 8});
  b.conv("conv", 8, 1)
      .node("priors_a", "PriorBox",
            {{"img_size", std::vector<double>{300.0, 300.0}},
             {"min_size", 30.0},
             {"aspect_ratios", std::vector<double>{2.0}}})
      .node("priors_b", "PriorBox",
            {{"img_size", std::vector<double>{300.0, 300.0}},
             {"min_size", 60.0},
             {"max_size", 111.0},
             {"aspect_ratios", std::vector<double>{2.0, 3.0}}},
            {"conv"});
  const ir::Graph g = b.done({"priors_a", "priors_b"});
  const dv700::Network net = build(g);
  auto files = dv700::emit_sdk(net, "Priors", false, default_registry());
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_NE(files->header.find("struct custom_param_PriorBox {"), std::string::npos);
  EXPECT_NE(files->header.find("bool has_max_size;"), std::string::npos);
  EXPECT_NE(files->header.find("const float* aspect_ratios;"), std::string::npos);
  EXPECT_NE(files->header.find("uint32_t aspect_ratios_count;"), std::string::npos);
  EXPECT_NE(
      files->header.find(
          "void custom_callback_PriorBox(fpga_layer &layer, void *custom_param, uint8_t *io_ptr);"),
      std::string::npos);
  EXPECT_NE(files->source.find("static const float param_aspect_ratios[] = {2.0f};"),
            std::string::npos);
  EXPECT_NE(files->source.find("static const float param_aspect_ratios[] = {2.0f, 3.0f};"),
            std::string::npos);
  EXPECT_NE(files->source.find("false,  // has_max_size"), std::string::npos);
  EXPECT_NE(files->source.find("111.0f,  // max_size"), std::string::npos);
  EXPECT_NE(files->source.find("layer.custom_proc_ptr = &custom_callback_PriorBox;"),
            std::string::npos);
  // The host layers write fp32 (what the dv-sdk's custom layers do).
  EXPECT_NE(files->source.find("layer.is_f32_output = true;"), std::string::npos);

  const auto dir = std::filesystem::temp_directory_path() / "ingot-dv700-custom";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(dv700::write_sdk(dir.string(), "Priors", *files, net, false).ok());
  const std::string cmd = "g++ -std=c++11 -fsyntax-only -Wall -Wextra -Werror -I " +
                          std::string(INGOT_FIXTURES_DIR) + "/dv-sdk -I " + dir.string() + " " +
                          (dir / "Priors_gen.cpp").string() + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::filesystem::remove_all(dir);
}

TEST(Dv700Emit, RejectsNamesThatAreNoIdentifiersAndOpsTheSdkCannotHold) {
  GraphBuilder b(Shape{1, 8, 8, 8});
  b.conv("conv", 8, 1);
  const dv700::Network net = build(b.done());
  auto bad_name = dv700::emit_sdk(net, "3d-net", false, default_registry());
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.status().kind(), ErrorKind::usage);
  EXPECT_NE(bad_name.status().message().find("C identifier"), std::string::npos);

  GraphBuilder w(Shape{1, 8, 8, 8});
  w.conv("left", 8, 1)
      .from("x")
      .conv("right", 8, 1)
      .node("cat", "Concat", {{"axis", std::int64_t{2}}}, {"left", "right"});
  auto across_width = dv700::build_network(w.done(), default_registry(), {});
  ASSERT_FALSE(across_width.ok());
  EXPECT_NE(across_width.status().message().find("layer 'cat' (Concat)"), std::string::npos)
      << across_width.status().message();
  EXPECT_NE(across_width.status().message().find("channel axis"), std::string::npos);

  ir::Graph compiled = b.done();
  compiled.compilation = ir::Compilation{.target = "dv700"};
  auto again = dv700::build_network(compiled, default_registry(), {});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("uncompiled"), std::string::npos);
}

}  // namespace
}  // namespace ingot
