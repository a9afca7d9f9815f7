// The corrupted-file matrix through the CLI: `ingot inspect FILE` must reject each file with
// the exit code of its error kind (2 bad input, 3 verification, 4 unsupported, 5 i/o) and print
// the same message on stderr.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>

#include "format/corruptions.h"

namespace ingot::formattest {
namespace format_test_cli_corrupt {

struct CliResult {
  int exit_code = -1;
  std::string err;
};

// Single-quotes a path for the shell (temp paths hold no quotes, but be safe).
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CliResult inspect(const TempDir& dir, const std::string& file) {
  const std::string err_path = dir.file("stderr.txt");
  const std::string command = shell_quote(INGOT_CLI) + " inspect " + shell_quote(file) +
                              " >/dev/null 2>" + shell_quote(err_path);
  const int status = std::system(command.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  const Bytes err = read_bytes(err_path);
  r.err.assign(reinterpret_cast<const char*>(err.data()), err.size());
  return r;
}

class CliCorruption : public ::testing::TestWithParam<Corruption> {};

TEST_P(CliCorruption, InspectExitsWithTheKindAndPrintsTheMessage) {
  const Corruption& c = GetParam();
  TempDir dir("cli");
  const std::string path = dir.file("bad.ingot");
  write_bytes(path, c.make());
  const CliResult r = inspect(dir, path);
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.exit_code, static_cast<int>(c.kind)) << r.err;
  EXPECT_NE(r.err.find(c.fragment), std::string::npos)
      << "want \"" << c.fragment << "\"\n got \"" << r.err << "\"";
}

INSTANTIATE_TEST_SUITE_P(Matrix, CliCorruption, ::testing::ValuesIn(corruptions()),
                         [](const ::testing::TestParamInfo<Corruption>& info) {
                           return info.param.name;
                         });

TEST(CliInspect, AcceptsTheValidBaseFile) {
  TempDir dir("cli");
  const std::string path = dir.file("good.ingot");
  write_bytes(path, matrix_file());
  const CliResult r = inspect(dir, path);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliInspect, MissingFileIsAnIoError) {
  TempDir dir("cli");
  const CliResult r = inspect(dir, dir.file("absent.ingot"));
  EXPECT_EQ(r.exit_code, static_cast<int>(ErrorKind::io)) << r.err;
  EXPECT_NE(r.err.find("absent.ingot"), std::string::npos) << r.err;
}

}  // namespace format_test_cli_corrupt
}  // namespace ingot::formattest
