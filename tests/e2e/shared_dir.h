// Where ../shared (real models, the oracle) is, when this machine has it: $INGOT_SHARED_DIR,
// else the folder beside the source tree, else /work/shared.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ingot::testing {

inline std::optional<std::filesystem::path> shared_dir() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("INGOT_SHARED_DIR")) candidates.emplace_back(env);
  candidates.emplace_back(std::filesystem::path(INGOT_SOURCE_DIR) / ".." / "shared");
  candidates.emplace_back("/work/shared");
  for (const auto& c : candidates) {
    if (std::filesystem::exists(c / "oracle" / "cases" / "index.json")) return std::filesystem::canonical(c);
  }
  return std::nullopt;
}

// Set in CI (.ci/run): there a missing ../shared is a failure, not a silent skip.
inline bool shared_required() {
  const char* env = std::getenv("INGOT_REQUIRE_SHARED");
  return env != nullptr && std::string(env) == "1";
}

}  // namespace ingot::testing

// First statement of a test that needs ../shared: skips without it (a checkout elsewhere), and
// fails instead when INGOT_REQUIRE_SHARED=1, so that CI never passes on tests that did not run.
#define INGOT_REQUIRE_SHARED(what)                                                              \
  if (!::ingot::testing::shared_dir()) {                                                       \
    if (::ingot::testing::shared_required()) FAIL() << "../shared not found: " << (what);      \
    GTEST_SKIP() << "../shared not present: " << (what) << " skipped";                         \
  }
