// SPDX-License-Identifier: GPL-2.0-only
// Atomic output: a temporary file beside the destination, fsync, rename.
// Until commit() the destination is untouched; a crash leaves at most a
// stray temporary, never a half-written output.
#pragma once

#include "diag.h"

#include <future>
#include <string>
#include <sys/types.h>

namespace rvtramp {

class AtomicFile {
public:
  static Expected<AtomicFile> create(const std::string &final_path, mode_t mode);
  AtomicFile(AtomicFile &&other) noexcept;
  AtomicFile &operator=(AtomicFile &&) = delete;
  ~AtomicFile();

  int fd() const { return fd_; }
  const std::string &temp_path() const { return temp_; }
  // Starts fsync of the written temp file on another thread, so the caller
  // can check the output while the disk catches up; commit() waits for it.
  // Call once everything is written.
  void start_sync();
  Status commit(); // chmod, fsync (or wait for start_sync), rename, fsync directory

private:
  AtomicFile(std::string final_path, std::string temp, int fd, mode_t mode)
      : final_(std::move(final_path)), temp_(std::move(temp)), fd_(fd), mode_(mode) {}
  std::string final_;
  std::string temp_;
  int fd_ = -1;
  mode_t mode_ = 0644;
  bool committed_ = false;
  std::future<int> sync_; // errno of the background fsync (0: ok)
};

} // namespace rvtramp
