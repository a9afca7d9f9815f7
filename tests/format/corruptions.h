// The corrupted-file matrix, shared by the in-process tests and the CLI tests: each case patches
// a valid file so that exactly one check fails, and names the error kind and message fragment
// that check must produce. Unless a case is about the header, it rewrites the file size and
// checksum afterwards, so the corruption reaches its own check instead of the checksum's.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "format/format_test_util.h"

namespace ingot::formattest {

struct Corruption {
  std::string name;  // a test name: letters and digits only
  std::function<Bytes()> make;
  ErrorKind kind;
  std::string fragment;  // must appear in the message
};

// serialize(matrix_graph()), computed once.
const Bytes& matrix_file();

// Every case; all read with the built-in ops only, so `ingot inspect` sees the same errors.
const std::vector<Corruption>& corruptions();

}  // namespace ingot::formattest
