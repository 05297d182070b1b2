// SPDX-License-Identifier: GPL-2.0-only
// One wall-clock timer per pass (mold's Timer): printed by --time-passes.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace rvtramp {

struct PassTime {
  std::string name;
  double seconds = 0;
};

class ScopedTimer {
public:
  ScopedTimer(std::vector<PassTime> &sink, std::string name)
      : sink_(sink), name_(std::move(name)), start_(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() {
    const auto d = std::chrono::steady_clock::now() - start_;
    sink_.push_back({name_, std::chrono::duration<double>(d).count()});
  }
  ScopedTimer(const ScopedTimer &) = delete;
  ScopedTimer &operator=(const ScopedTimer &) = delete;

private:
  std::vector<PassTime> &sink_;
  std::string name_;
  std::chrono::steady_clock::time_point start_;
};

} // namespace rvtramp
