// No frontend includes another: what they share lives in src/frontends/common (the import
// report, opaque stand-ins for unknown layers). A frontend is its file reader and its layer
// table. This scans every source of src/frontends/<name>/ for an include of another frontend.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

namespace ingot {
namespace unit_test_frontend_layering {

namespace fs = std::filesystem;

TEST(FrontendLayering, NoFrontendIncludesAnother) {
  const fs::path root = fs::path(INGOT_SOURCE_DIR) / "src" / "frontends";
  const std::regex include(R"(#\s*include\s*"frontends/([a-z_]+)/)");
  std::size_t files = 0;
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory() || dir.path().filename() == "common") continue;
    const std::string self = dir.path().filename().string();
    for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".h" && ext != ".cpp") continue;
      ++files;
      std::ifstream in(entry.path());
      std::string line;
      for (int n = 1; std::getline(in, line); ++n) {
        std::smatch m;
        if (std::regex_search(line, m, include) && m[1] != self && m[1] != "common") {
          ADD_FAILURE() << entry.path().string() << ":" << n << " includes frontend '" << m[1] << "': " << line;
        }
      }
    }
  }
  EXPECT_GT(files, 20u);  // the scan saw the Keras and Caffe sources
}

TEST(FrontendLayering, CommonIncludesNoFrontend) {
  const std::regex include(R"(#\s*include\s*"frontends/([a-z_]+)/)");
  for (const auto& entry : fs::directory_iterator(fs::path(INGOT_SOURCE_DIR) / "src" / "frontends" / "common")) {
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      std::smatch m;
      if (std::regex_search(line, m, include)) {
        EXPECT_EQ(m[1], "common") << entry.path().string() << ": " << line;
      }
    }
  }
}

}  // namespace unit_test_frontend_layering
}  // namespace ingot
