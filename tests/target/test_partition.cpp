// Partitioning into device runs and host ops: every fusion pattern applies where it must
// (the longest match, optional steps skipped) and not where it must not (a value with a second
// reader or asked for by the caller ends a run; ops the target lacks go to the host).
#include <gtest/gtest.h>

#include "target/partition.h"
#include "target/target_test_util.h"

namespace ingot::targettest {
namespace test_partition {

using Names = std::vector<std::string>;

Names partition_names(const ir::Graph& g, const target::Target& t, target::PartitionOptions options = {}) {
  auto p = target::partition(g, t, options);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? run_names(g, *p) : Names{};
}

TEST(Partition, AWholeConvolutionRunIsOnePass) {
  const ir::Graph g =
      GraphBuilder(Shape{1, 8, 8, 3}).conv("c1", 8, 3, 1, 1).batch_norm("bn1").scale("s1").relu("r1").pool("p1").done();
  EXPECT_EQ(partition_names(g, user_target()), (Names{"c1>bn1>s1>r1>p1"}));
  auto p = target::partition(g, user_target());
  EXPECT_EQ(p->runs[0].fusion, "conv");
  EXPECT_EQ(p->device_runs(), 1u);
  EXPECT_FALSE(p->run_of[0]);  // the Input belongs to no run
}

TEST(Partition, OptionalStepsAreSkippedAndTheLongestMatchWins) {
  // conv -> relu -> pool: BatchNorm, Scale and Add are skipped.
  const ir::Graph a = GraphBuilder(Shape{1, 8, 8, 3}).conv("c1", 8, 3).relu("r1").pool("p1").done();
  EXPECT_EQ(partition_names(a, user_target()), (Names{"c1>r1>p1"}));
  // conv -> pool matches "conv" (conv, pool: 2 nodes) and "conv then pool" (2 nodes): the
  // first listed wins the tie.
  const ir::Graph b = GraphBuilder(Shape{1, 8, 8, 3}).conv("c1", 8, 3).pool("p1").done();
  auto pb = target::partition(b, user_target());
  ASSERT_TRUE(pb.ok());
  EXPECT_EQ(run_names(b, *pb), (Names{"c1>p1"}));
  EXPECT_EQ(pb->runs[0].fusion, "conv");
  // A residual Add joins the run of the convolution feeding its first operand.
  GraphBuilder r(Shape{1, 8, 8, 8});
  r.conv("c1", 8, 1).relu("r1").conv("c2", 8, 3, 1, 1).add_from("sum", "r1").relu("r2");
  EXPECT_EQ(partition_names(r.done(), user_target()), (Names{"c1>r1", "c2>sum>r2"}));
}

TEST(Partition, AnAddWhoseOtherOperandComesLaterStaysOutOfTheRun) {
  // c1 -> add(c1, c2) with c2 computed from x after c1 in topological order: the Add cannot
  // join c1's run (the device would read c2 before it exists); it joins c2's instead.
  GraphBuilder b(Shape{1, 8, 8, 8});
  b.conv("c1", 8, 1).from("x").conv("c2", 8, 1);
  b.g.add_node("sum", "Add", {"c1", "c2"});
  ASSERT_TRUE(ir::infer_shapes(b.g, default_registry()).ok());
  b.from("sum").relu("r");
  EXPECT_EQ(partition_names(b.done(), user_target()), (Names{"c1", "c2>sum>r"}));
}

TEST(Partition, ARequiredStepThatIsMissingRejectsThePattern) {
  // "padded conv" needs a Conv2D after the Pad; here a ReLU follows it, so no pattern matches
  // and the fused-only Pad runs on the host.
  const ir::Graph g = GraphBuilder(Shape{1, 8, 8, 3}).pad("pad", 1).relu("r1").done();
  auto p = target::partition(g, user_target());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run_names(g, *p), (Names{"host:pad", "r1"}));
  EXPECT_NE(p->runs[0].host_reason.find("only fused"), std::string::npos) << p->runs[0].host_reason;
  // Followed by a convolution, the Pad heads a device run.
  const ir::Graph h = GraphBuilder(Shape{1, 8, 8, 3}).pad("pad", 1).conv("c1", 8, 3).relu("r1").done();
  EXPECT_EQ(partition_names(h, user_target()), (Names{"pad>c1>r1"}));
}

TEST(Partition, AValueWithASecondReaderOrAskedForEndsTheRun) {
  // r1 is read by c2 and by the Add: the run stops at r1.
  GraphBuilder b(Shape{1, 8, 8, 8});
  b.conv("c1", 8, 3, 1, 1).relu("r1").pool("p1").from("r1").conv("c2", 8, 1).add_from("sum", "r1");
  EXPECT_EQ(partition_names(b.done({"p1", "sum"}), user_target()), (Names{"c1>r1", "p1", "c2>sum"}));
  // bn1 is a graph output: the caller needs it, so it leaves the device at the run's end.
  const ir::Graph g = GraphBuilder(Shape{1, 8, 8, 3}).conv("c1", 8, 3).batch_norm("bn1").relu("r1").done({"r1", "bn1"});
  EXPECT_EQ(partition_names(g, user_target()), (Names{"c1>bn1", "r1"}));
}

TEST(Partition, OpsTheTargetLacksAndForcedLayersRunOnTheHost) {
  const ir::Graph g = GraphBuilder(Shape{1, 8, 8, 3})
                          .conv("c1", 8, 3)
                          .relu("r1")
                          .reshape("flat", Shape{1, 288})
                          .dense("fc", 4)
                          .softmax("prob")
                          .done();
  auto p = target::partition(g, user_target());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run_names(g, *p), (Names{"c1>r1", "host:flat", "host:fc", "host:prob"}));
  EXPECT_EQ(p->runs[2].host_reason, "the target does not execute Dense");
  EXPECT_EQ(p->runs[3].host_reason, "the NPU has no exp unit");  // the target's own words
  // --host c1: the convolution runs on the host; the ReLU after it is a device run of its own.
  EXPECT_EQ(partition_names(g, user_target(), {{"c1"}}), (Names{"host:c1", "r1", "host:flat", "host:fc", "host:prob"}));
  auto unknown = target::partition(g, user_target(), {{"c9"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("--host names layer 'c9', which the model does not have"), std::string::npos);
}

TEST(Partition, ShippedTargets) {
  const ir::Graph g = GraphBuilder(Shape{1, 16, 16, 3})
                          .pad("pad", 1)
                          .conv("c1", 8, 3, 2)
                          .batch_norm("bn1")
                          .relu("r1")
                          .reshape("flat", Shape{1, 8 * 8 * 8})
                          .dense("fc", 4)
                          .softmax("prob")
                          .done();
  EXPECT_EQ(partition_names(g, shipped("dv700")), (Names{"pad>c1>bn1>r1", "flat", "host:fc", "host:prob"}));
  EXPECT_EQ(partition_names(g, shipped("fp16-accelerator")), (Names{"pad", "c1>bn1>r1", "flat", "fc", "prob"}));
  // cpu-f32 runs every op and declares no fusion: one run per op.
  EXPECT_EQ(partition_names(g, shipped("cpu-f32")), (Names{"pad", "c1", "bn1", "r1", "flat", "fc", "prob"}));
}

}  // namespace test_partition
}  // namespace ingot::targettest
