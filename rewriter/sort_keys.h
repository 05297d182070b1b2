// SPDX-License-Identifier: GPL-2.0-only
// Sorting 10^5..10^6 (key, payload) pairs is a visible part of a kernel-sized
// rewrite (riscv's __mcount_loc is not sorted at build time, nor is a symbol
// table by address). An LSD radix sort over only the bits that vary, in
// digits of up to 12 bits, does it in a few linear passes.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace rvtramp {

using KeyPair = std::pair<uint64_t, uint64_t>;

// Sorts v by (first, second). Precondition: v is already in increasing order
// of the low 32 bits of .second (an index into the caller's array, as the
// callers build it), so only the high 32 bits of .second and .first need
// passes; the radix sort is stable and keeps that order among equal keys.
void sort_key_pairs(std::vector<KeyPair> &v);

// Sorts plain words (table values) the same way: a radix sort over the
// bits that vary, std::sort below 4096 words.
void sort_words(std::vector<uint64_t> &v);

} // namespace rvtramp
