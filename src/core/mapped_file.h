// Read-only memory map of a whole file. Tensors viewing it hold a shared_ptr to keep it alive.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "ingot/status.h"

namespace ingot {

class MappedFile {
 public:
  static Result<std::shared_ptr<const MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ingot
