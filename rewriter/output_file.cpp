// SPDX-License-Identifier: GPL-2.0-only
#include "output_file.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace rvtramp {
namespace {
std::string directory_of(const std::string &path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}
} // namespace

Expected<uint64_t> copy_file_bytes(int in_fd, int out_fd, uint64_t lo, uint64_t hi) {
  loff_t in_at = loff_t(lo), out_at = loff_t(lo);
  while (uint64_t(in_at) < hi) {
    const ssize_t n = copy_file_range(in_fd, &in_at, out_fd, &out_at, size_t(hi - uint64_t(in_at)), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL ||
                  errno == EBADF || errno == EPERM))
      break; // refused: the caller writes these bytes
    if (n < 0)
      return make_error("", std::string("write failed: ") + std::strerror(errno));
    if (n == 0)
      break; // the input ends early (it shrank): the caller's check says so
  }
  return uint64_t(in_at) - lo;
}

Expected<AtomicFile> AtomicFile::create(const std::string &final_path, mode_t mode,
                                        bool durable) {
  struct stat st {};
  if (stat(final_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return make_error(final_path, "output is a directory");
  const std::string dir = directory_of(final_path);
  std::string name = final_path.substr(final_path.find_last_of('/') + 1);
  std::string templ = dir + "/." + name + ".rvtramp-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  const int fd = mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0)
    return make_error(final_path, "cannot create output in " + dir + ": " + std::strerror(errno));
  return AtomicFile(final_path, std::string(buf.data()), fd, mode, durable);
}

AtomicFile::AtomicFile(AtomicFile &&o) noexcept
    : final_(std::move(o.final_)), temp_(std::move(o.temp_)), fd_(o.fd_), mode_(o.mode_),
      durable_(o.durable_), committed_(o.committed_), sync_(std::move(o.sync_)) {
  o.fd_ = -1;
  o.committed_ = true;
}

AtomicFile::~AtomicFile() {
  if (sync_.valid())
    sync_.wait(); // the fsync thread uses fd_
  if (fd_ >= 0)
    ::close(fd_);
  if (!committed_)
    ::unlink(temp_.c_str());
}

void AtomicFile::start_sync() {
  if (!durable_ || sync_.valid() || fd_ < 0)
    return;
  const int fd = fd_;
  sync_ = std::async(std::launch::async, [fd] { return fsync(fd) == 0 ? 0 : errno; });
}

Status AtomicFile::commit() {
  auto fail = [&](const char *what) {
    return make_error(final_, std::string(what) + ": " + std::strerror(errno));
  };
  if (fchmod(fd_, mode_) != 0)
    return fail("cannot set mode of output");
  if (durable_) {
    start_sync();
    if (const int err = sync_.get(); err != 0) {
      errno = err;
      return fail("cannot write output (fsync)");
    }
  }
  if (::close(fd_) != 0) {
    fd_ = -1;
    return fail("cannot write output (close)");
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), final_.c_str()) != 0)
    return fail("cannot rename output into place");
  committed_ = true;
  if (!durable_)
    return Status::ok();
  const int dfd = ::open(directory_of(final_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

} // namespace rvtramp
