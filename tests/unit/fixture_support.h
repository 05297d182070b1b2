// SPDX-License-Identifier: GPL-2.0-only
// What the unit tests that rewrite the built fixtures share: a fixture's
// path (and a skip, saying why, when it was not built), whole-file reads and
// writes, a scratch directory, and one rewrite through the driver.
#pragma once

#include "pipeline.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

namespace rvtramp::test {

inline std::string fixture(const std::string &name) {
  return std::string(RVT_FIXTURES) + "/" + name;
}

#define REQUIRE_FIXTURE(name)                                                                      \
  if (access(::rvtramp::test::fixture(name).c_str(), R_OK) != 0)                                  \
    GTEST_SKIP() << "skipped: fixture " << ::rvtramp::test::fixture(name) << " not built";

inline std::vector<uint8_t> slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

inline void spill(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
}

// A scratch directory under `base` (on that file system), removed at scope end.
struct TempDir {
  explicit TempDir(const std::string &base = "/tmp") {
    std::string t = base + "/rvtramp-unit-XXXXXX";
    if (mkdtemp(t.data()))
      path = t;
  }
  ~TempDir() {
    if (!path.empty())
      std::system(("rm -rf '" + path + "'").c_str());
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  std::string path;
};

inline Expected<RewriteOutcome> rewrite(const std::string &in, const std::string &out,
                                        WriteMode mode = WriteMode::Changes,
                                        Options options = {}) {
  RewriteRequest req;
  req.input = in;
  req.output = out;
  req.write_mode = mode;
  req.options = options;
  return rewrite_file(req);
}

} // namespace rvtramp::test
