// The plan passes: each applied where it must be, not where it must not, and the optimized
// plan's outputs equal to the unoptimized reference within 1e-4 of the output's largest
// magnitude (the runtime's stated target; folding a norm into weights reorders K + 2 roundings,
// orders of magnitude below it for these sizes).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "ir/passes.h"
#include "runtime/session.h"

namespace ingot {
namespace plan_test_passes {

Tensor random_tensor(const Shape& shape, std::mt19937& rng, float lo = -1, float hi = 1) {
  Tensor t = Tensor::allocate(DType::f32, shape).value();
  std::uniform_real_distribution<float> d(lo, hi);
  for (float& v : t.mutable_data<float>()) v = d(rng);
  return t;
}

struct Builder {
  ir::Graph g;
  std::mt19937 rng{5};

  void input(const Shape& s) { g.add_input("x", s); }
  std::string conv(const std::string& name, const std::string& in, std::int64_t cin, std::int64_t cout,
                   const std::string& layout = "NHWC", std::int64_t k = 3) {
    EXPECT_TRUE(g.add_constant(name + "/w", random_tensor(Shape{cout, cin, k, k}, rng)).ok());
    g.add_node(name, "Conv2D", {in}, {{"weights", TensorRef{name + "/w"}}, {"pads", std::vector<std::int64_t>{1, 1, 1, 1}},
                                       {"layout", layout}});
    return name;
  }
  std::string batch_norm(const std::string& name, const std::string& in, std::int64_t c, std::int64_t axis = -1) {
    for (const char* p : {"mean", "variance", "scale", "offset"}) {
      const bool var = std::string(p) == "variance";
      EXPECT_TRUE(g.add_constant(name + "/" + p, random_tensor(Shape{c}, rng, var ? 0.5f : -1.0f, var ? 2.0f : 1.0f)).ok());
    }
    g.add_node(name, "BatchNorm", {in}, {{"mean", TensorRef{name + "/mean"}}, {"variance", TensorRef{name + "/variance"}},
                                         {"scale", TensorRef{name + "/scale"}}, {"offset", TensorRef{name + "/offset"}},
                                         {"axis", axis}});
    return name;
  }
  std::string relu(const std::string& name, const std::string& in, AttrMap attrs = {{"max_value", 6.0}}) {
    g.add_node(name, "ReLU", {in}, std::move(attrs));
    return name;
  }
  void output(const std::string& v) { g.add_output(v); }
};

struct Planned {
  std::vector<std::string> log;
  std::vector<runtime::StepProfile> steps;
  std::vector<Tensor> optimized, reference;
};

Planned plan_and_compare(ir::Graph g, const std::vector<Tensor>& inputs, bool keep_all = false,
                         kernels::ConvLibrary library = kernels::ConvLibrary::onednn) {
  Planned p;
  EXPECT_TRUE(ir::infer_shapes(g, default_registry()).ok());
  runtime::PlanOptions ref;
  ref.reference = true;
  auto ref_session = runtime::Session::plan(g, default_registry(), ref);
  EXPECT_TRUE(ref_session.ok()) << ref_session.status().message();
  p.reference = ref_session->run(inputs).value();
  runtime::PlanOptions opt;
  opt.keep_all_values = keep_all;
  opt.conv_library = library;
  auto session = runtime::Session::plan(g, default_registry(), opt);
  EXPECT_TRUE(session.ok()) << session.status().message();
  p.optimized = session->run(inputs).value();
  p.log = session->pass_log();
  p.steps = session->profile_template();
  for (std::size_t i = 0; i < p.optimized.size(); ++i) {
    const auto got = p.optimized[i].data<float>(), want = p.reference[i].data<float>();
    EXPECT_EQ(got.size(), want.size());
    float scale = 0;
    for (float v : want) scale = std::max(scale, std::fabs(v));
    for (std::size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], want[k], 1e-4 * scale) << "output " << i << " element " << k;
  }
  return p;
}

bool starts_ends(const std::string& s, const std::string& head, const std::string& tail) {
  return s.rfind(head, 0) == 0 && s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool logged(const Planned& p, const std::string& text) {
  return std::any_of(p.log.begin(), p.log.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

TEST(PlanPasses, ConvBatchNormReLU6BecomesOneKernel) {
  Builder b;
  b.input({2, 9, 7, 5});
  b.output(b.relu("act", b.batch_norm("bn", b.conv("conv", "x", 5, 8), 8)));
  std::mt19937 rng(1);
  const Tensor x = random_tensor(Shape{2, 9, 7, 5}, rng);
  const Planned p = plan_and_compare(b.g, {x});
  EXPECT_TRUE(logged(p, "fold_batch_norm: BatchNorm 'bn' into Conv2D 'conv'"));
  EXPECT_TRUE(logged(p, "fuse_activation: ReLU 'act' (clamp [0, 6]) into Conv2D 'conv'"));
  ASSERT_EQ(p.steps.size(), 1u);
  EXPECT_TRUE(starts_ends(p.steps[0].kernel, "onednn conv2d", " + clamp [0, 6]")) << p.steps[0].kernel;
  const Planned q = plan_and_compare(b.g, {x}, false, kernels::ConvLibrary::xnnpack);
  ASSERT_EQ(q.steps.size(), 1u);
  EXPECT_EQ(q.steps[0].kernel, "xnnpack conv2d igemm + clamp [0, 6]");
}

TEST(PlanPasses, NCHWBatchNormOnChannelAxisFolds) {
  Builder b;
  b.input({1, 4, 6, 6});
  b.output(b.batch_norm("bn", b.conv("conv", "x", 4, 3, "NCHW"), 3, 1));
  std::mt19937 rng(2);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 4, 6, 6}, rng)});
  EXPECT_TRUE(logged(p, "fold_batch_norm"));
}

// Caffe's BatchNorm then Scale on one convolution: both fold. The weights are not copied: the
// conv keeps the model's weights and gets the product of both factors as weights_scale.
TEST(PlanPasses, BatchNormThenScaleFoldIntoOneWeightsScale) {
  Builder b;
  b.input({2, 7, 9, 6});
  const std::string bn = b.batch_norm("bn", b.conv("conv", "x", 6, 5), 5);
  std::mt19937 rng(3);
  EXPECT_TRUE(b.g.add_constant("sc/scale", random_tensor(Shape{5}, rng)).ok());
  EXPECT_TRUE(b.g.add_constant("sc/bias", random_tensor(Shape{5}, rng)).ok());
  b.g.add_node("sc", "Scale", {bn}, {{"scale", TensorRef{"sc/scale"}}, {"bias", TensorRef{"sc/bias"}}, {"axis", std::int64_t{-1}}});
  b.output("sc");
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{2, 7, 9, 6}, rng)});
  EXPECT_TRUE(logged(p, "fold_batch_norm: BatchNorm 'bn' into Conv2D 'conv'"));
  EXPECT_TRUE(logged(p, "fold_batch_norm: Scale 'sc' into Conv2D 'conv'"));
  ASSERT_EQ(p.steps.size(), 1u);

  ir::Graph g = b.g;
  ASSERT_TRUE(ir::infer_shapes(g, default_registry()).ok());
  auto session = runtime::Session::plan(g, default_registry(), {});
  ASSERT_TRUE(session.ok()) << session.status().message();
  const ir::Graph& planned = session->graph();
  const auto conv = std::find_if(planned.nodes.begin(), planned.nodes.end(), [](const ir::Node& n) { return n.op == "Conv2D"; });
  ASSERT_NE(conv, planned.nodes.end());
  EXPECT_EQ(std::count_if(planned.nodes.begin(), planned.nodes.end(),
                          [](const ir::Node& n) { return n.op == "BatchNorm" || n.op == "Scale"; }),
            0);
  const AttrMap& attrs = conv->attrs;
  EXPECT_EQ(std::get<TensorRef>(attrs.at("weights")).name, "conv/w");
  ASSERT_TRUE(attrs.count("weights_scale"));
  for (const ir::Constant& c : planned.constants) {  // no folded copy of the weights
    EXPECT_FALSE(c.name.rfind("conv/weights", 0) == 0 && c.name.rfind("conv/weights_scale", 0) != 0) << c.name;
  }
}

TEST(PlanPasses, BatchNormNotOnChannelAxisStays) {
  Builder b;
  b.input({1, 6, 6, 6});
  b.output(b.batch_norm("bn", b.conv("conv", "x", 6, 6), 6, 1));  // axis 1 is H in NHWC
  std::mt19937 rng(3);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 6, 6, 6}, rng)});
  EXPECT_FALSE(logged(p, "fold_batch_norm"));
  EXPECT_EQ(p.steps.size(), 2u);
}

TEST(PlanPasses, BatchNormWhoseInputHasASecondReaderStays) {
  Builder b;
  b.input({1, 5, 5, 3});
  const std::string c = b.conv("conv", "x", 3, 4);
  b.output(b.batch_norm("bn", c, 4));
  b.output(b.relu("side", c));
  std::mt19937 rng(4);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 5, 5, 3}, rng)});
  EXPECT_FALSE(logged(p, "fold_batch_norm"));
  EXPECT_FALSE(logged(p, "fuse_activation"));  // the conv's output has two readers
  EXPECT_EQ(p.steps.size(), 3u);
}

TEST(PlanPasses, ActivationOnAGraphOutputStays) {
  Builder b;
  b.input({1, 5, 5, 3});
  const std::string c = b.conv("conv", "x", 3, 4);
  b.output(c);
  b.output(b.relu("act", c));
  std::mt19937 rng(5);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 5, 5, 3}, rng)});
  EXPECT_FALSE(logged(p, "fuse_activation"));
  EXPECT_EQ(p.steps.size(), 2u);
}

TEST(PlanPasses, LeakyReLUIsNotAClamp) {
  Builder b;
  b.input({1, 5, 5, 3});
  b.output(b.relu("act", b.conv("conv", "x", 3, 4), {{"negative_slope", 0.2}}));
  std::mt19937 rng(6);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 5, 5, 3}, rng)});
  EXPECT_FALSE(logged(p, "fuse_activation"));
}

TEST(PlanPasses, ResidualAddReLUFuses) {
  Builder b;
  b.input({1, 6, 6, 4});
  const std::string c = b.conv("conv", "x", 4, 4);
  b.g.add_node("add", "Add", {c, "x"});
  b.output(b.relu("act", "add", {}));
  std::mt19937 rng(7);
  const Tensor x = random_tensor(Shape{1, 6, 6, 4}, rng);
  // oneDNN adds the summand inside the convolution, then clamps: one kernel.
  const Planned p = plan_and_compare(b.g, {x});
  EXPECT_TRUE(logged(p, "fuse_residual_add: Add 'add' into Conv2D 'conv' (summand 'x')"));
  EXPECT_TRUE(logged(p, "fuse_activation: ReLU 'act' (clamp [0, inf]) into Conv2D 'conv'"));
  ASSERT_EQ(p.steps.size(), 1u);
  EXPECT_TRUE(starts_ends(p.steps[0].kernel, "onednn conv2d", " + residual + clamp [0, inf]")) << p.steps[0].kernel;
  // XNNPACK's convolution takes no summand: the ReLU fuses into the Add instead.
  const Planned q = plan_and_compare(b.g, {x}, false, kernels::ConvLibrary::xnnpack);
  EXPECT_FALSE(logged(q, "fuse_residual_add"));
  EXPECT_TRUE(logged(q, "fuse_activation: ReLU 'act' (clamp [0, inf]) into Add 'add'"));
  ASSERT_EQ(q.steps.size(), 2u);
  EXPECT_EQ(q.steps[1].kernel, "xnnpack add + clamp [0, inf]");
}

// Add(convA, convB) with convB later in the node order: convA takes the Add over and reads
// convB's output, so the plan must run convB first.
TEST(PlanPasses, ResidualFromALaterConvFusesInDependencyOrder) {
  Builder b;
  b.input({2, 5, 7, 3});
  const std::string a = b.conv("convA", "x", 3, 6);
  const std::string pre = b.relu("pre", "x", {});
  const std::string c = b.conv("convB", pre, 3, 6);
  b.g.add_node("add", "Add", {a, c});
  b.output("add");
  std::mt19937 rng(17);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{2, 5, 7, 3}, rng)});
  EXPECT_TRUE(logged(p, "fuse_residual_add: Add 'add' into Conv2D 'convA' (summand 'convB')"));
  ASSERT_EQ(p.steps.size(), 3u);
  EXPECT_EQ(p.steps[2].node, "convA");
}

TEST(PlanPasses, ResidualAddThatMustStay) {
  std::mt19937 rng(18);
  const Tensor x = random_tensor(Shape{1, 6, 6, 4}, rng);
  {  // the convolution's output is also a graph output
    Builder b;
    b.input({1, 6, 6, 4});
    b.g.add_node("add", "Add", {b.conv("conv", "x", 4, 4), "x"});
    b.output("add");
    b.output("conv");
    EXPECT_FALSE(logged(plan_and_compare(b.g, {x}), "fuse_residual_add"));
  }
  {  // a second reader of the convolution's output
    Builder b;
    b.input({1, 6, 6, 4});
    b.g.add_node("add", "Add", {b.conv("conv", "x", 4, 4), "x"});
    b.output("add");
    b.output(b.relu("side", "conv"));
    EXPECT_FALSE(logged(plan_and_compare(b.g, {x}), "fuse_residual_add"));
  }
  {  // broadcasting: the other operand is smaller than the output
    Builder b;
    b.input({1, 6, 6, 4});
    b.g.add_input("y", Shape{1, 1, 1, 4});
    b.g.add_node("add", "Add", {b.conv("conv", "x", 4, 4), "y"});
    b.output("add");
    EXPECT_FALSE(logged(plan_and_compare(b.g, {x, random_tensor(Shape{1, 1, 1, 4}, rng)}), "fuse_residual_add"));
  }
  {  // a ReLU between the convolution and the Add: relu(conv) + x is not conv + x
    Builder b;
    b.input({1, 6, 6, 4});
    b.g.add_node("add", "Add", {b.relu("act", b.conv("conv", "x", 4, 4), {}), "x"});
    b.output("add");
    const Planned p = plan_and_compare(b.g, {x});
    EXPECT_FALSE(logged(p, "fuse_residual_add"));
    EXPECT_TRUE(logged(p, "fuse_activation: ReLU 'act' (clamp [0, inf]) into Conv2D 'conv'"));
  }
  {  // three operands
    Builder b;
    b.input({1, 6, 6, 4});
    b.g.add_node("add", "Add", {b.conv("conv", "x", 4, 4), "x", "x"});
    b.output("add");
    EXPECT_FALSE(logged(plan_and_compare(b.g, {x}), "fuse_residual_add"));
  }
  {  // NCHW: nhwc_layout runs conv and Add on NHWC twins (x's twin feeds both), so it fuses there
    Builder b;
    b.input({1, 4, 6, 6});
    b.g.add_node("add", "Add", {b.conv("conv", "x", 4, 4, "NCHW"), "x"});
    b.output("add");
    const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 4, 6, 6}, rng)});
    EXPECT_TRUE(logged(p, "fuse_residual_add: Add 'add'")) << ::testing::PrintToString(p.log);
    EXPECT_TRUE(logged(p, "nhwc_layout: Add 'add'")) << ::testing::PrintToString(p.log);
  }
}

TEST(PlanPasses, ZeroSpatialPadFoldsIntoConv) {
  Builder b;
  b.input({1, 7, 7, 3});
  b.g.add_node("pad", "Pad", {"x"}, {{"pads", std::vector<std::int64_t>{0, 0, 1, 0, 0, 1, 0, 0}}});
  b.output(b.conv("conv", "pad", 3, 5));
  std::mt19937 rng(8);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 7, 7, 3}, rng)});
  EXPECT_TRUE(logged(p, "fold_pad: Pad 'pad' into Conv2D 'conv'"));
  EXPECT_EQ(p.steps.size(), 1u);
}

TEST(PlanPasses, PadsThatAreNotConvPaddingStay) {
  const std::vector<std::pair<AttrMap, std::string>> cases = {
      {{{"pads", std::vector<std::int64_t>{0, 1, 1, 0, 0, 1, 1, 0}}, {"value", 0.5f}}, "conv"},  // non-zero value
      {{{"pads", std::vector<std::int64_t>{0, 0, 0, 1, 0, 0, 0, 0}}}, "conv"},                  // channel axis
      {{{"pads", std::vector<std::int64_t>{0, 1, 1, 0, 0, 1, 1, 0}}}, "pool"}};                 // a pool reads it
  for (const auto& [attrs, reader] : cases) {
    Builder b;
    b.input({1, 6, 6, 3});
    b.g.add_node("pad", "Pad", {"x"}, attrs);
    if (reader == "conv") {
      const bool channel = std::get<std::vector<std::int64_t>>(attrs.at("pads"))[3] == 1;
      b.output(b.conv("conv", "pad", channel ? 4 : 3, 2));
    } else {
      b.g.add_node("pool", "MaxPool2D", {"pad"}, {{"kernel", std::vector<std::int64_t>{2, 2}}});
      b.output("pool");
    }
    std::mt19937 rng(9);
    const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 6, 6, 3}, rng)});
    EXPECT_FALSE(logged(p, "fold_pad")) << attr_to_string(attrs.at("pads")) << " read by " << reader;
  }
}

TEST(PlanPasses, DenseScaleAndAffineFold) {
  Builder b;
  b.input({3, 10});
  ASSERT_TRUE(b.g.add_constant("w", random_tensor(Shape{6, 10}, b.rng)).ok());
  ASSERT_TRUE(b.g.add_constant("s", random_tensor(Shape{6}, b.rng)).ok());
  b.g.add_node("fc", "Dense", {"x"}, {{"weights", TensorRef{"w"}}});
  b.g.add_node("scale", "Scale", {"fc"}, {{"scale", TensorRef{"s"}}});
  b.g.add_node("affine", "Affine", {"scale"}, {{"scale", 0.5}, {"offset", 2.0}});
  b.output("affine");
  std::mt19937 rng(10);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{3, 10}, rng)});
  EXPECT_TRUE(logged(p, "fold_batch_norm: Scale 'scale' into Dense 'fc'"));
  EXPECT_TRUE(logged(p, "fold_batch_norm: Affine 'affine' into Dense 'fc'"));
  EXPECT_EQ(p.steps.size(), 1u);
}

TEST(PlanPasses, IdentityAffineDropped) {
  Builder b;
  b.input({1, 5, 5, 2});
  b.g.add_node("id", "Affine", {"x"}, {{"scale", 1.0}});
  b.output(b.relu("act", "id", {}));
  std::mt19937 rng(11);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 5, 5, 2}, rng)});
  EXPECT_TRUE(logged(p, "drop_identity: Affine 'id'"));
  EXPECT_EQ(p.steps.size(), 1u);
}

TEST(PlanPasses, KeepAllValuesRunsNoRewrite) {
  Builder b;
  b.input({1, 5, 5, 3});
  b.output(b.relu("act", b.batch_norm("bn", b.conv("conv", "x", 3, 4), 4)));
  std::mt19937 rng(12);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 5, 5, 3}, rng)}, true);
  EXPECT_TRUE(p.log.empty());
  EXPECT_EQ(p.steps.size(), 3u);
}

// -- nhwc_layout: Caffe's NCHW graphs run their image ops NHWC, transposing only at the borders.

int count_steps(const Planned& p, const std::string& op) {
  return static_cast<int>(std::count_if(p.steps.begin(), p.steps.end(), [&](const runtime::StepProfile& s) { return s.op == op; }));
}

bool any_adapter(const Planned& p) {
  return std::any_of(p.steps.begin(), p.steps.end(),
                     [](const runtime::StepProfile& s) { return s.kernel.find("NCHW via NHWC") != std::string::npos; });
}

// An SSD head as Caffe writes it: conv -> ReLU -> pool -> conv -> Permute(0, 2, 3, 1) ->
// Flatten, plus the pooled NCHW map as a second graph output.
TEST(NhwcLayout, SsdHeadPermuteDisappearsAndOutputsKeepTheirLayout) {
  Builder b;
  b.input({2, 3, 11, 9});
  const std::string c1 = b.relu("relu1", b.conv("conv1", "x", 3, 8, "NCHW"), {});
  b.g.add_node("pool", "MaxPool2D", {c1}, {{"kernel", std::vector<std::int64_t>{2, 2}}, {"strides", std::vector<std::int64_t>{2, 2}},
                                           {"layout", std::string("NCHW")}, {"ceil_mode", true}});
  const std::string loc = b.conv("loc", "pool", 8, 12, "NCHW");
  b.g.add_node("perm", "Transpose", {loc}, {{"perm", std::vector<std::int64_t>{0, 2, 3, 1}}});
  b.g.add_node("flat", "Reshape", {"perm"}, {{"shape", std::vector<std::int64_t>{2, -1}}});
  b.output("flat");
  b.output("pool");
  std::mt19937 rng(40);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{2, 3, 11, 9}, rng)});
  EXPECT_TRUE(logged(p, "nhwc_layout: Conv2D 'conv1' runs NHWC"));
  EXPECT_TRUE(logged(p, "nhwc_layout: MaxPool2D 'pool' runs NHWC"));
  EXPECT_TRUE(logged(p, "nhwc_layout: Transpose 'perm' dropped"));
  EXPECT_TRUE(logged(p, "fuse_activation: ReLU 'relu1'"));  // the later passes see an NHWC conv
  EXPECT_FALSE(any_adapter(p));
  // One transpose in (x), one out (the graph output 'pool'); the flattened head needs none.
  EXPECT_EQ(count_steps(p, "Transpose"), 2);
  ASSERT_EQ(p.optimized.size(), 2u);
  EXPECT_EQ(p.optimized[1].shape(), (Shape{2, 8, 6, 5}));
}

// Ops that follow an NHWC region with their axes renamed: Concat, BatchNorm, Scale, Softmax and
// CaffeNormalize on the channel axis, Pad, and same-shape elementwise ops.
TEST(NhwcLayout, AxisOpsFollowWithTheirAxesMapped) {
  for (const bool across_spatial : {false, true}) {
    Builder b;
    b.input({1, 4, 7, 6});
    const std::string a = b.conv("a", "x", 4, 5, "NCHW"), c = b.conv("c", "x", 4, 3, "NCHW");
    b.g.add_node("cat", "Concat", {a, c}, {{"axis", std::int64_t{1}}});
    b.batch_norm("bn", "cat", 8, 1);
    EXPECT_TRUE(b.g.add_constant("s", random_tensor(Shape{8}, b.rng, 0.5f, 2.0f)).ok());
    b.g.add_node("norm", "CaffeNormalize", {"bn"},
                 {{"across_spatial", across_spatial}, {"channel_shared", false}, {"scale", TensorRef{"s"}}});
    b.g.add_node("pad", "Pad", {"norm"}, {{"pads", std::vector<std::int64_t>{0, 1, 2, 0, 0, 0, 1, 3}}});
    b.g.add_node("sig", "Sigmoid", {"pad"});
    b.g.add_node("mul", "Mul", {"sig", "pad"});
    b.g.add_node("soft", "Softmax", {"mul"}, {{"axis", std::int64_t{1}}});
    b.output("soft");
    std::mt19937 rng(41);
    const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 4, 7, 6}, rng)});
    for (const char* node : {"Concat 'cat'", "BatchNorm 'bn'", "CaffeNormalize 'norm'", "Pad 'pad'", "Sigmoid 'sig'",
                             "Mul 'mul'", "Softmax 'soft'"})
      EXPECT_TRUE(logged(p, std::string("nhwc_layout: ") + node + " follows in NHWC")) << node;
    EXPECT_EQ(count_steps(p, "Transpose"), 2);  // x in, the output back
    EXPECT_EQ(p.optimized[0].shape().to_string(), "[1, 9, 10, 9]");
  }
}

// Where the layout must not change: a broadcasting operand, a Reshape of NCHW order, an op
// without an NHWC form (here PReLU with a per-channel slope), a Transpose of another rank, a
// graph without NCHW image ops, and --dump-all.
TEST(NhwcLayout, ReadersThatNeedNchwGetItBack) {
  Builder b;
  b.input({1, 3, 5, 5});
  const std::string c = b.conv("conv", "x", 3, 4, "NCHW");
  EXPECT_TRUE(b.g.add_constant("bias", random_tensor(Shape{1, 4, 1, 1}, b.rng)).ok());
  EXPECT_TRUE(b.g.add_constant("slope", random_tensor(Shape{4, 1, 1}, b.rng)).ok());
  b.g.add_input("y", Shape{1, 4, 1, 1});
  b.g.add_node("badd", "Add", {c, "y"});  // broadcasting: stays NCHW
  b.g.add_node("prelu", "PReLU", {c}, {{"alpha", TensorRef{"slope"}}});
  b.g.add_node("flat", "Reshape", {c}, {{"shape", std::vector<std::int64_t>{1, -1}}});
  b.output("badd");
  b.output("prelu");
  b.output("flat");
  std::mt19937 rng(42);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 3, 5, 5}, rng), random_tensor(Shape{1, 4, 1, 1}, rng)});
  EXPECT_TRUE(logged(p, "nhwc_layout: Conv2D 'conv' runs NHWC"));
  EXPECT_TRUE(logged(p, "nhwc_layout: Transpose 'conv/nchw' added ('conv' back to NCHW)"));
  for (const char* node : {"Add 'badd'", "PReLU 'prelu'", "Reshape 'flat'"}) EXPECT_FALSE(logged(p, node)) << node;
  EXPECT_EQ(count_steps(p, "Transpose"), 2);  // x in, conv back once for its three readers

  Builder keras;  // NHWC only: nothing to do
  keras.input({1, 5, 5, 3});
  keras.output(keras.conv("conv", "x", 3, 4));
  const Planned q = plan_and_compare(keras.g, {random_tensor(Shape{1, 5, 5, 3}, rng)});
  EXPECT_FALSE(logged(q, "nhwc_layout"));

  const Planned all = plan_and_compare(b.g, {random_tensor(Shape{1, 3, 5, 5}, rng), random_tensor(Shape{1, 4, 1, 1}, rng)},
                                       /*keep_all=*/true);
  EXPECT_TRUE(all.log.empty());
  EXPECT_TRUE(any_adapter(all));
}

// Two Permutes of one value, another permutation, and a Permute that is a graph output.
TEST(NhwcLayout, TransposesComposeWithTheTwin) {
  Builder b;
  b.input({1, 2, 4, 3});
  const std::string c = b.conv("conv", "x", 2, 5, "NCHW");
  const std::vector<std::int64_t> to_nhwc{0, 2, 3, 1};
  b.g.add_node("p1", "Transpose", {c}, {{"perm", to_nhwc}});
  b.g.add_node("p2", "Transpose", {c}, {{"perm", to_nhwc}});
  b.g.add_node("p3", "Transpose", {c}, {{"perm", std::vector<std::int64_t>{0, 1, 3, 2}}});
  b.g.add_node("out1", "Sigmoid", {"p1"});
  b.g.add_node("out2", "Tanh", {"p2"});
  b.g.add_node("p4", "Transpose", {c}, {{"perm", to_nhwc}});
  b.output("out1");
  b.output("out2");
  b.output("p3");
  b.output("p4");
  std::mt19937 rng(43);
  const Planned p = plan_and_compare(b.g, {random_tensor(Shape{1, 2, 4, 3}, rng)});
  EXPECT_TRUE(logged(p, "nhwc_layout: Transpose 'p1' dropped"));
  EXPECT_FALSE(logged(p, "Transpose 'p2' dropped"));  // the twin already took p1's name: p2 copies it
  EXPECT_FALSE(logged(p, "Transpose 'p4' dropped"));  // a graph output keeps its own buffer
  EXPECT_FALSE(logged(p, "conv/nchw"));               // no reader needs the conv in NCHW
}

}  // namespace plan_test_passes
}  // namespace ingot
