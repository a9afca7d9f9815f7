// Writing files so that readers see either the old file or the complete new one: data goes to
// a temporary file in the same directory, is flushed to disk, then renamed over the target.
// On any failure the temporary file is removed and the target is untouched.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "ingot/status.h"

namespace ingot {

Status write_file_atomic(const std::string& path, std::span<const std::byte> bytes);

// The same for a file made of pieces, written in order with writev (no copy into one buffer).
Status write_file_atomic(const std::string& path, std::span<const std::span<const std::byte>> pieces);

}  // namespace ingot
