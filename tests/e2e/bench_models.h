// The networks of ../shared/bench, generated in scratch as its README asks.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "e2e/cli_util.h"
#include "e2e/shared_dir.h"

namespace ingot::testing {

// ../shared/bench's MobileNet v1 (seed 1234, gen_models.py) as .h5, made under `tmp`.
inline std::string mobilenet_h5(const TempDir& tmp) {
  namespace fs = std::filesystem;
  const fs::path bench = tmp / "bench";
  fs::copy(*shared_dir() / "bench", bench, fs::copy_options::recursive);
  const std::string cmd = "/usr/bin/python3 " + (bench / "gen_models.py").string() +
                          " --nets mobilenet_v1 --out " + (bench / "out").string() + " > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return (bench / "out" / "mobilenet_v1.h5").string();
}

}  // namespace ingot::testing
