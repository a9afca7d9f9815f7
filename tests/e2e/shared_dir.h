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

}  // namespace ingot::testing
