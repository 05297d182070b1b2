// SPDX-License-Identifier: GPL-2.0-only
// Shared by the libFuzzer targets: the image under test comes from raw bytes
// (ElfImage::from_bytes), never from a path.
#pragma once

#include "elf_image.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace rvtramp::fuzz {

// Larger inputs only slow the fuzzer down; real fixtures are < 20 KiB.
constexpr size_t kMaxInput = 1 << 20;

// Findings that are not crashes but must never happen (an invariant of the
// library broken): print and abort so libFuzzer records the input.
[[noreturn]] inline void invariant_failed(const char *what, const std::string &detail) {
  std::fprintf(stderr, "rvtramp fuzz: invariant failed: %s: %s\n", what, detail.c_str());
  std::abort();
}

inline std::vector<uint8_t> to_vector(const uint8_t *data, size_t size) {
  return std::vector<uint8_t>(data, data + size);
}

} // namespace rvtramp::fuzz
