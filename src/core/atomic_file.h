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

// The same written piece by piece, at any offsets and from several threads at once (pwrite):
// for data produced in parallel. The target appears only on commit(); destroying an
// uncommitted file removes the temporary one.
class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::string& path);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();

  Status write_at(std::size_t offset, std::span<const std::byte> bytes) const;
  Status commit();  // flush, close, rename over the target

 private:
  AtomicFile(std::string path, std::string temp, int fd)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd) {}
  std::string path_, temp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace ingot
