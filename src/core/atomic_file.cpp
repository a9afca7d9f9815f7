#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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
  const std::string what = "write file " + quote(path);
  // mkstemp gives a unique name, so concurrent writers of the same target never collide.
  std::string pattern = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) return errno_error(what + ": create temporary file");
  TempFile temp(pattern);
  temp.fd_ = fd;
  ::fchmod(fd, 0644);

  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(what);
    }
    done += static_cast<std::size_t>(n);
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

}  // namespace ingot
