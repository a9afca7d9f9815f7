#include "core/atomic_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace ingot {
namespace {

// Removes the temporary file unless the write committed.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd_ = -1;
  bool committed_ = false;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Status errno_error(const std::string& what) { return io_error(what + ": " + std::strerror(errno)); }

}  // namespace

Status write_file_atomic(const std::string& path, std::span<const std::byte> bytes) {
  const std::span<const std::byte> one[] = {bytes};
  return write_file_atomic(path, one);
}

Status write_file_atomic(const std::string& path, std::span<const std::span<const std::byte>> pieces) {
  const std::string what = "write file " + quote(path);
  // mkstemp gives a unique name, so concurrent writers of the same target never collide.
  std::string pattern = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) return errno_error(what + ": create temporary file");
  TempFile temp(pattern);
  temp.fd_ = fd;
  ::fchmod(fd, 0644);

  std::vector<iovec> todo;
  for (const auto& p : pieces)
    if (!p.empty()) todo.push_back({const_cast<std::byte*>(p.data()), p.size()});
  std::size_t first = 0;  // todo[first..] remain, the first of them maybe in part
  while (first < todo.size()) {
    const int count = static_cast<int>(std::min<std::size_t>(todo.size() - first, IOV_MAX));
    const ssize_t n = ::writev(fd, todo.data() + first, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(what);
    }
    auto left = static_cast<std::size_t>(n);
    while (first < todo.size() && left >= todo[first].iov_len) left -= todo[first++].iov_len;
    if (left > 0) {
      todo[first].iov_base = static_cast<std::byte*>(todo[first].iov_base) + left;
      todo[first].iov_len -= left;
    }
  }
  if (::fsync(fd) != 0) return errno_error(what + ": flush");
  if (::close(fd) != 0) {
    temp.fd_ = -1;
    return errno_error(what + ": close");
  }
  temp.fd_ = -1;
  if (::rename(temp.path().c_str(), path.c_str()) != 0) return errno_error(what + ": rename");
  temp.committed_ = true;
  return {};
}

Result<AtomicFile> AtomicFile::create(const std::string& path) {
  std::string pattern = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) return errno_error("write file " + quote(path) + ": create temporary file");
  ::fchmod(fd, 0644);
  return AtomicFile(path, pattern, fd);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::move(other.temp_)),
      fd_(other.fd_),
      committed_(other.committed_) {
  other.fd_ = -1;
  other.committed_ = true;  // the moved-from object owns nothing to remove
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

Status AtomicFile::write_at(std::size_t offset, std::span<const std::byte> bytes) const {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write file " + quote(path_));
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::size_t>(n);
  }
  return {};
}

Status AtomicFile::commit() {
  const std::string what = "write file " + quote(path_);
  if (::fsync(fd_) != 0) return errno_error(what + ": flush");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return errno_error(what + ": close");
  if (::rename(temp_.c_str(), path_.c_str()) != 0) return errno_error(what + ": rename");
  committed_ = true;
  return {};
}

}  // namespace ingot
