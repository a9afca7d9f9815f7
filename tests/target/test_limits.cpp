// The limit check: each of the DV700's limits, broken on purpose, is reported (all of them in
// one pass), naming layer, limit, value, the target's rule and a remedy; the tile counts follow
// the width-strips rule, checked here against figures worked out by hand.
#include <gtest/gtest.h>

#include "target/limits.h"
#include "target/target_test_util.h"

namespace ingot::targettest {
namespace test_limits {

std::vector<target::Violation> violations(const ir::Graph& g, const target::Target& t,
                                          target::PartitionOptions options = {}) {
  auto p = target::partition(g, t, options);
  EXPECT_TRUE(p.ok()) << p.status().message();
  auto v = target::check_limits(g, t, *p, default_registry());
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v.ok() ? *v : std::vector<target::Violation>{};
}

// One branch per broken limit, all from one input, so a single check must list them all.
ir::Graph every_dv700_violation() {
  GraphBuilder b(Shape{1, 8, 8, 8});
  b.conv("big_kernel", 8, 9, 1, 4);                                   // kernel 9 > 7
  b.from("x").conv("big_pad", 8, 1, 1, 200);                          // pad 200 > 127
  ir::Graph& g = b.g;
  // Sizes are shapes of their own inputs.
  g.add_input("wide", Shape{1, 4, 2100, 1});
  g.add_input("tall", Shape{1, 1100, 4, 1});
  g.add_input("deep", Shape{1, 1, 1, 40000});
  g.add_input("image", Shape{1, 1024, 64, 512});
  b.from("wide").conv("wide_conv", 1, 1);                              // width 2100 > 2047
  b.from("tall").conv("tall_conv", 1, 1);                              // height 1100 > 1024
  b.from("deep").conv("deep_conv", 2, 1);                              // 40000 input channels > 32768
  b.from("image").conv("huge_tiles", 8, 3, 1, 1);                      // one-column tiles overflow 640 KB
  b.from("x");
  EXPECT_TRUE(g.add_constant("deconv/w", Tensor::from_floats(Shape{8, 4, 3, 3}, std::vector<float>(8 * 4 * 9, 0.1f))).ok());
  g.add_node("dilated_deconv", "ConvTranspose2D", {"x"},
             {{"weights", TensorRef{"deconv/w"}}, {"dilations", std::vector<std::int64_t>{2, 2}}});
  EXPECT_TRUE(ir::infer_shapes(g, default_registry()).ok());
  return b.done({"big_kernel", "big_pad", "wide_conv", "tall_conv", "deep_conv", "huge_tiles", "dilated_deconv"});
}

TEST(Limits, EveryDv700ViolationIsReportedInOnePass) {
  const auto found = violations(every_dv700_violation(), shipped("dv700"));
  std::map<std::string, std::vector<std::string>> by_layer;  // layer -> "limit=value"
  for (const auto& v : found) {
    by_layer[v.layer].push_back(v.limit + "=" + std::to_string(v.value));
    EXPECT_FALSE(v.rule.empty());
    EXPECT_NE(v.rule.find("(dv700, "), std::string::npos) << v.rule;  // the target and the rule's source
    EXPECT_NE(v.remedy.find("--host " + v.layer), std::string::npos) << v.remedy;
  }
  using L = std::vector<std::string>;
  EXPECT_EQ(by_layer["big_kernel"], (L{"kernel=9", "kernel=9"}));  // height and width
  EXPECT_EQ(by_layer["big_pad"], (L{"pad=200", "pad=200", "pad=200", "pad=200"}));
  EXPECT_EQ(by_layer["wide_conv"], (L{"input_width=2100"}));
  EXPECT_EQ(by_layer["tall_conv"], (L{"input_height=1100"}));
  EXPECT_EQ(by_layer["deep_conv"], (L{"input_channels=40000"}));
  ASSERT_EQ(by_layer["huge_tiles"].size(), 1u);
  EXPECT_EQ(by_layer["huge_tiles"][0].rfind("buffer=", 0), 0u);
  EXPECT_EQ(by_layer["dilated_deconv"], (L{"dilation=2", "dilation=2"}));
  EXPECT_EQ(by_layer.size(), 7u);
}

TEST(Limits, AViolationNamesItsRuleValueAndRemedy) {
  for (const auto& v : violations(every_dv700_violation(), shipped("dv700"))) {
    if (v.layer == "big_kernel") {
      EXPECT_EQ(v.op, "Conv2D");
      EXPECT_EQ(v.detail.rfind("kernel ", 0), 0u) << v.detail;
      EXPECT_EQ(v.rule, "kernel <= 7 (dv700, vendor-converter)");
      EXPECT_NE(v.remedy.find("use kernels of at most 7"), std::string::npos);
    }
    if (v.layer == "wide_conv") {
      EXPECT_EQ(v.detail, "input width 2100");
      EXPECT_NE(v.remedy.find("at most 2047 columns"), std::string::npos) << v.remedy;
    }
    if (v.layer == "huge_tiles") {
      EXPECT_NE(v.rule.find("tiles <= 655360 bytes (dv700, "), std::string::npos) << v.rule;
      EXPECT_NE(v.remedy.find("reduce the input's height or channels"), std::string::npos) << v.remedy;
    }
  }
}

TEST(Limits, HostLayersAndLayersWithinTheLimitsAreNotReported) {
  const ir::Graph g = every_dv700_violation();
  const target::PartitionOptions all_host{{"big_kernel", "big_pad", "wide_conv", "tall_conv", "deep_conv", "huge_tiles",
                                           "dilated_deconv"}};
  EXPECT_TRUE(violations(g, shipped("dv700"), all_host).empty());
  EXPECT_TRUE(violations(g, shipped("cpu-f32")).empty());  // no limits at all
  const ir::Graph fine = GraphBuilder(Shape{1, 32, 32, 16}).conv("c", 32, 7, 1, 3).relu("r").done();
  EXPECT_TRUE(violations(fine, shipped("dv700")).empty());
}

TEST(Limits, MinimumsAreChecked) {
  auto j = user_target_json();
  j["device_ops"]["Conv2D"]["limits"]["input_channels"] = {{"min", 4}, {"max", 256}};
  auto t = parse_json(j);
  ASSERT_TRUE(t.ok()) << t.status().message();
  const auto found = violations(GraphBuilder(Shape{1, 8, 8, 3}).conv("c", 8, 3).done(), *t);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rule, "4 <= input_channels <= 256 (my-npu)");
  EXPECT_EQ(found[0].value, 3);
}

// Worked by hand from the width-strips rule (docs/targets.md), 640 KB = 327680 fp16 values:
TEST(Tiles, WidthStripsCountsAsWorkedByHand) {
  const target::Buffer dv700{655360, target::Tiling::width_strips, 8, 2, ""};
  // MobileNet's first layer: 224x224x3 -> 32, 3x3 stride 2 (pads 0, 1, 0, 1). Input channels
  // fit one block, so no output space is needed. One strip of 224 + 2 columns:
  // 226*224*3 = 151872 values = 18984 units, raised to 18994 (2 mod 16), then to 19008
  // (a multiple of 16) = 152064 values <= 327680: 1 tile, 304128 bytes.
  target::TileShape first{224, 224, 3, 32, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, false, true};
  const target::TileFit a = target::fit_tiles(first, dv700);
  EXPECT_EQ(a.tiles, 1);
  EXPECT_EQ(a.input_bytes, 304128);
  EXPECT_EQ(a.output_bytes, 0);
  // conv_dw_1: 112x112x32 -> 32, 3x3 stride 1, pads 1. One strip: 114*112*8 = 102144 values
  // per block = 12768 units -> 12770, x4 blocks = 51080 -> 51088 units = 408704 values: too
  // many. Two strips of 56 + 2 = 58 columns: 58*112*8 / 8 = 6496 -> 6498 units, x4 = 25992 ->
  // 26000 units = 208000 values; output 58*112*8 = 51968 values; 259968 <= 327680: 2 tiles.
  target::TileShape dw{112, 112, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, true};
  const target::TileFit b = target::fit_tiles(dw, dv700);
  EXPECT_EQ(b.tiles, 2);
  EXPECT_EQ(b.input_bytes, 416000);
  EXPECT_EQ(b.output_bytes, 103936);
  // A small layer (3x3, input and output channels within one block) needs no buffer at all.
  target::TileShape small{2000, 1000, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, true};
  EXPECT_EQ(target::fit_tiles(small, dv700).tiles, 1);
  // 1024 rows of 512 channels do not fit even in three-column strips: no tile count works.
  target::TileShape huge{64, 1024, 512, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, true};
  EXPECT_EQ(target::fit_tiles(huge, dv700).tiles, 0);
}

TEST(Tiles, CompileReportsEachRunsTiles) {
  const ir::Graph g = GraphBuilder(Shape{1, 112, 112, 32}).conv("dw", 32, 3, 1, 1, 1, 32).relu("r").done();
  const target::Target t = shipped("dv700");
  auto p = target::partition(g, t);
  ASSERT_TRUE(p.ok());
  const auto tiles = target::run_tiles(g, t, *p, default_registry());
  ASSERT_EQ(tiles.size(), 1u);
  ASSERT_TRUE(tiles[0]);
  EXPECT_EQ(tiles[0]->tiles, 2);  // as conv_dw_1 above
}

}  // namespace test_limits
}  // namespace ingot::targettest
