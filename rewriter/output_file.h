// SPDX-License-Identifier: GPL-2.0-only
// Atomic output: a temporary file beside the destination, renamed into
// place. Until commit() the destination is untouched; a reader (or a killed
// rvtramp) sees the old file or the complete new one, never a half-written
// one, because rename(2) replaces the name in one step.
//
// Durable (--fsync) additionally flushes the file before the rename and the
// directory after, so the new file also survives a power loss right after
// commit(). Off by default, as cp, objcopy and ld do: a build step's output
// is made again by the next build, and on a small module the two syncs were
// most of the wall time (bench/README.md).
#pragma once

#include "diag.h"

#include <future>
#include <string>
#include <sys/types.h>

namespace rvtramp {

// Copies [lo, hi) of in_fd to the same offsets of out_fd inside the kernel
// (copy_file_range: shared extents where the file system has them, a page
// cache copy on the others; never through user space). Returns the bytes
// copied: fewer than hi - lo when the kernel refused to go on (another file
// system, no support: EXDEV, EOPNOTSUPP, ENOSYS, EINVAL), and the caller
// writes the rest itself. A real failure (ENOSPC, EIO) is an Error.
Expected<uint64_t> copy_file_bytes(int in_fd, int out_fd, uint64_t lo, uint64_t hi);

class AtomicFile {
public:
  static Expected<AtomicFile> create(const std::string &final_path, mode_t mode,
                                     bool durable = false);
  AtomicFile(AtomicFile &&other) noexcept;
  AtomicFile &operator=(AtomicFile &&) = delete;
  ~AtomicFile();

  int fd() const { return fd_; }
  const std::string &temp_path() const { return temp_; }
  // Durable only: starts fsync of the written temp file on another thread,
  // so the caller can check the output while the disk catches up; commit()
  // waits for it. Call once everything is written.
  void start_sync();
  // chmod, [fsync (or wait for start_sync)], rename, [fsync directory]
  Status commit();

private:
  AtomicFile(std::string final_path, std::string temp, int fd, mode_t mode, bool durable)
      : final_(std::move(final_path)), temp_(std::move(temp)), fd_(fd), mode_(mode),
        durable_(durable) {}
  std::string final_;
  std::string temp_;
  int fd_ = -1;
  mode_t mode_ = 0644;
  bool durable_ = false;
  bool committed_ = false;
  std::future<int> sync_; // errno of the background fsync (0: ok)
};

} // namespace rvtramp
