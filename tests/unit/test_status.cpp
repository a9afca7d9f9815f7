#include <gtest/gtest.h>

#include "ingot/status.h"

namespace ingot {
namespace unit_test_status {

Result<int> parse_positive(int v) {
  if (v <= 0) return bad_input("value must be > 0, got " + std::to_string(v));
  return v;
}

Result<int> twice(int v) {
  INGOT_ASSIGN_OR_RETURN_CTX(int x, parse_positive(v), "read field 'count'");
  return 2 * x;
}

Status check(int v) {
  INGOT_TRY_CTX(parse_positive(v).status(), "check layer 'conv1'");
  return {};
}

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::ok);
  EXPECT_EQ(s.add_context("ignored").message(), "");
}

TEST(Status, ContextChainsFromOutsideIn) {
  Status s = bad_input("parameter 'strides' must be >= 1, got [0, 1]");
  s.add_context("read node 'conv1' (Conv2D)");
  s = std::move(s).with_context("read file 'm.ingot'");
  EXPECT_EQ(s.message(), "read file 'm.ingot': read node 'conv1' (Conv2D): parameter 'strides' must be >= 1, got [0, 1]");
  EXPECT_EQ(s.kind(), ErrorKind::bad_input);
}

TEST(Result, ValueAndErrorPaths) {
  auto ok = twice(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 8);
  auto bad = twice(-3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "read field 'count': value must be > 0, got -3");
  EXPECT_EQ(bad.status().kind(), ErrorKind::bad_input);
  EXPECT_TRUE(check(1).ok());
  EXPECT_EQ(check(0).message(), "check layer 'conv1': value must be > 0, got 0");
}

TEST(Status, KindNames) {
  EXPECT_STREQ(error_kind_name(ErrorKind::verification), "verification failed");
  EXPECT_EQ(static_cast<int>(ErrorKind::bad_input), 2);  // exit codes depend on these values
  EXPECT_EQ(static_cast<int>(ErrorKind::verification), 3);
}

}  // namespace unit_test_status
}  // namespace ingot
