// SPDX-License-Identifier: GPL-2.0-only
#include "files.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace rvtramp {
namespace {

Error system_error(const std::string &path, const char *what, int err) {
  return make_error(path, std::string(what) + ": " + std::strerror(err));
}

Status write_all(int fd, const std::string &path, std::string_view text) {
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return system_error(path, "cannot write", n < 0 ? errno : EIO);
    done += size_t(n);
  }
  return Status::ok();
}

// Reads up to buf.size() bytes (fewer only at the end of the file).
Expected<size_t> read_full(int fd, const std::string &path, std::vector<uint8_t> &buf) {
  size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return system_error(path, "cannot read", errno);
    if (n == 0)
      break;
    got += size_t(n);
  }
  return got;
}

} // namespace

Expected<AtomicFile> stage_text_file(const std::string &path, std::string_view text) {
  auto file = AtomicFile::create(path, 0644);
  RVT_TRY(file);
  RVT_TRY(write_all(file->fd(), path, text));
  return file;
}

Status write_text_file(const std::string &path, std::string_view text) {
  // lstat: a symbolic link (/dev/stdout is one) is written through, never
  // replaced by the rename.
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
      return system_error(path, "cannot open for writing", errno);
    Status wrote = write_all(fd, path, text);
    if (::close(fd) != 0 && wrote)
      return system_error(path, "cannot write (close)", errno);
    return wrote;
  }
  auto staged = stage_text_file(path, text);
  RVT_TRY(staged);
  return staged->commit();
}

Expected<uint64_t> count_differing_bytes(const std::string &a, const std::string &b) {
  const int fa = ::open(a.c_str(), O_RDONLY | O_CLOEXEC);
  if (fa < 0)
    return system_error(a, "cannot open", errno);
  const int fb = ::open(b.c_str(), O_RDONLY | O_CLOEXEC);
  if (fb < 0) {
    const int err = errno;
    ::close(fa);
    return system_error(b, "cannot open", err);
  }
  constexpr size_t kChunk = 1 << 20;
  std::vector<uint8_t> x(kChunk), y(kChunk);
  uint64_t differing = 0;
  Expected<uint64_t> result = uint64_t(0);
  for (;;) {
    auto nx = read_full(fa, a, x);
    auto ny = read_full(fb, b, y);
    if (!nx || !ny) {
      result = nx ? ny.error() : nx.error();
      break;
    }
    const size_t common = std::min(*nx, *ny);
    if (std::memcmp(x.data(), y.data(), common) != 0)
      for (size_t k = 0; k < common; ++k)
        differing += x[k] != y[k];
    differing += std::max(*nx, *ny) - common; // one file is longer
    if (*nx < kChunk && *ny < kChunk) {
      result = differing;
      break;
    }
  }
  ::close(fa);
  ::close(fb);
  return result;
}

} // namespace rvtramp
