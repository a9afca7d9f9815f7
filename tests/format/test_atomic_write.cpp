// write_model is all or nothing: a failed write (no directory, read-only location, rename
// refused, graph failing verification) leaves neither the target nor a temporary file, and an
// existing file survives a failed overwrite untouched.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "core/atomic_file.h"
#include "format/format.h"
#include "format/format_test_util.h"
#include "format/reader.h"

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

// write_model hands the file over as pieces (the tables, then each payload from its tensor):
// more of them than one writev takes (IOV_MAX, 1024 on Linux), empty ones among them.
TEST(FormatAtomicWrite, PiecesAreWrittenInOrder) {
  TempDir dir("atomic");
  std::mt19937 rng(1);
  std::vector<std::vector<std::byte>> data(3000);
  std::vector<std::byte> whole;
  for (auto& d : data) {
    d.resize(std::uniform_int_distribution<std::size_t>(0, 300)(rng));
    for (auto& b : d) b = static_cast<std::byte>(rng());
    whole.insert(whole.end(), d.begin(), d.end());
  }
  std::vector<std::span<const std::byte>> pieces(data.begin(), data.end());
  const std::string path = dir.file("pieces.bin");
  ASSERT_TRUE(write_file_atomic(path, pieces).ok());
  std::ifstream in(path, std::ios::binary);
  std::vector<char> got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(got.size(), whole.size());
  EXPECT_EQ(std::memcmp(got.data(), whole.data(), whole.size()), 0);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"pieces.bin"});
}

// AtomicFile: blocks written at their offsets from two threads at once, in no order, make the
// file on commit; before it only a temporary file exists, and dropping it uncommitted leaves
// nothing.
TEST(FormatAtomicWrite, AtomicFileTakesOffsetWritesFromThreadsAndAppearsOnCommit) {
  TempDir dir("atomic");
  const std::string path = dir.file("blocks.bin");
  std::vector<std::byte> whole(64 * 1000);
  for (std::size_t i = 0; i < whole.size(); ++i) whole[i] = static_cast<std::byte>(i * 131 % 251);
  {
    auto file = AtomicFile::create(path);
    ASSERT_TRUE(file.ok()) << file.status().message();
    const auto write_blocks = [&](std::size_t first) {
      for (std::size_t b = first; b < 64; b += 2) {
        const std::size_t at = (63 - b) * 1000;  // back to front
        EXPECT_TRUE(file->write_at(at, std::span(whole).subspan(at, 1000)).ok());
      }
    };
    std::thread other(write_blocks, 1);
    write_blocks(0);
    other.join();
    EXPECT_FALSE(fs::exists(path));
    ASSERT_TRUE(file->commit().ok());
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<char> got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(got.size(), whole.size());
  EXPECT_EQ(std::memcmp(got.data(), whole.data(), whole.size()), 0);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"blocks.bin"});
  {
    auto dropped = AtomicFile::create(dir.file("dropped.bin"));
    ASSERT_TRUE(dropped.ok());
    ASSERT_TRUE(dropped->write_at(0, std::span(whole).first(10)).ok());
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"blocks.bin"});
}

// The checksum over pieces is the whole file's, wherever the pieces split it (the 8 bytes of
// the checksum field, which it skips, included).
TEST(FormatAtomicWrite, ChecksumOverPiecesIsTheWholeFiles) {
  std::mt19937 rng(2);
  std::vector<std::byte> file(100);
  for (auto& b : file) b = static_cast<std::byte>(rng());
  const std::uint64_t want = format::file_checksum(file);
  const std::span<const std::byte> all(file);
  for (std::size_t a = 0; a <= 40; ++a) {
    for (std::size_t b = a; b <= 40; ++b) {
      const std::span<const std::byte> parts[] = {all.subspan(0, a), all.subspan(a, b - a), all.subspan(b)};
      ASSERT_EQ(format::file_checksum(parts), want) << "split at " << a << " and " << b;
    }
  }
  // Changing a byte outside the field changes it; inside it does not.
  file[format::kChecksumOffset + 3] ^= std::byte{1};
  EXPECT_EQ(format::file_checksum(file), want);
  file[format::kChecksumOffset + 8] ^= std::byte{1};
  EXPECT_NE(format::file_checksum(file), want);
}

}  // namespace format_test_atomic_write
}  // namespace ingot::formattest
