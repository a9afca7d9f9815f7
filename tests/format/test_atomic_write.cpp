// write_model is all or nothing: a failed write (no directory, read-only location, rename
// refused, graph failing verification) leaves neither the target nor a temporary file, and an
// existing file survives a failed overwrite untouched.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "format/format.h"
#include "format/format_test_util.h"

namespace ingot::formattest {
namespace format_test_atomic_write {

namespace fs = std::filesystem;

TEST(FormatAtomicWrite, SuccessLeavesExactlyTheTarget) {
  TempDir dir("atomic");
  ASSERT_TRUE(format::write_model(dir.file("m.ingot"), matrix_graph(), builtin_ops()).ok());
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"m.ingot"});
}

TEST(FormatAtomicWrite, MissingDirectoryFailsAndLeavesNothing) {
  TempDir dir("atomic");
  const std::string path = dir.file("no/such/dir/m.ingot");
  Status st = format::write_model(path, matrix_graph(), builtin_ops());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.kind(), ErrorKind::io) << st.message();
  EXPECT_NE(st.message().find("write file '" + path + "'"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(dir.path() / "no"));
  EXPECT_TRUE(dir.entries().empty());
}

TEST(FormatAtomicWrite, ReadOnlyLocationFailsAndLeavesNothing) {
  TempDir dir("atomic");
  const fs::path ro = dir.path() / "ro";
  fs::create_directory(ro);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec, fs::perm_options::replace);
  // root ignores directory permissions; procfs refuses new files even to root.
  const std::string path =
      ::access(ro.c_str(), W_OK) == 0 ? "/proc/ingot_format_test.ingot" : (ro / "m.ingot").string();
  Status st = format::write_model(path, matrix_graph(), builtin_ops());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.kind(), ErrorKind::io) << st.message();
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(ro));
}

TEST(FormatAtomicWrite, RefusedRenameRemovesTheTemporaryFile) {
  TempDir dir("atomic");
  // A non-empty directory in the way: the temporary file is written, then rename fails.
  fs::create_directories(dir.path() / "m.ingot" / "occupied");
  Status st = format::write_model(dir.file("m.ingot"), matrix_graph(), builtin_ops());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.kind(), ErrorKind::io) << st.message();
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"m.ingot"}) << "no temporary file may remain";
  EXPECT_TRUE(fs::is_directory(dir.path() / "m.ingot"));
}

TEST(FormatAtomicWrite, VerifyFailureWritesNothing) {
  TempDir dir("atomic");
  ir::Graph g = matrix_graph();
  g.outputs.push_back("nowhere");
  Status st = format::write_model(dir.file("m.ingot"), g, builtin_ops());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.kind(), ErrorKind::verification) << st.message();
  EXPECT_NE(st.message().find("write file '" + dir.file("m.ingot") + "': graph output 'nowhere'"),
            std::string::npos)
      << st.message();
  EXPECT_TRUE(dir.entries().empty());
}

TEST(FormatAtomicWrite, SerializeFailureWritesNothing) {
  TempDir dir("atomic");
  ir::Graph g = matrix_graph();
  // Node names are free-form to the verifier (values keep their own names), but the file
  // bounds them: this passes verify and fails encoding.
  g.nodes[2].name = std::string(5000, 'n');
  Status st = format::write_model(dir.file("m.ingot"), g, builtin_ops());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.kind(), ErrorKind::bad_input) << st.message();
  EXPECT_TRUE(dir.entries().empty());
}

TEST(FormatAtomicWrite, FailedOverwriteKeepsTheOldFile) {
  TempDir dir("atomic");
  const std::string path = dir.file("m.ingot");
  ASSERT_TRUE(format::write_model(path, matrix_graph(), builtin_ops()).ok());
  const Bytes before = read_bytes(path);
  ir::Graph bad = tiny_graph();
  bad.outputs = {"missing"};
  ASSERT_FALSE(format::write_model(path, bad, builtin_ops()).ok());
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"m.ingot"});
}

}  // namespace format_test_atomic_write
}  // namespace ingot::formattest
