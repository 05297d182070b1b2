// SPDX-License-Identifier: GPL-2.0-only
#include "sort_keys.h"

#include <algorithm>
#include <cstddef>

namespace rvtramp {
namespace {

// One digit of the key: `bits` bits of the first or second word from
// `shift` on.
struct Digit {
  bool second;
  unsigned shift, bits;
};

// Digits of at most kMaxDigitBits over the bits between the lowest and the
// highest that vary, least significant first. Byte digits cost a pass per
// byte that varies: a kernel's site addresses (2-aligned, 20-95 MiB of
// text, 24-26 bits) took four passes at 122K and 500K sites, here two of
// 12 bits (4,096 counts: 32 KiB, in L1/L2 beside the scattered writes)
// and three of 9.
constexpr unsigned kMaxDigitBits = 12;
void add_digits(uint64_t varies, bool second, std::vector<Digit> &out) {
  if (!varies)
    return;
  const unsigned lo = unsigned(__builtin_ctzll(varies)), hi = 63 - unsigned(__builtin_clzll(varies));
  const unsigned span = hi - lo + 1, passes = (span + kMaxDigitBits - 1) / kMaxDigitBits;
  const unsigned width = (span + passes - 1) / passes;
  for (unsigned shift = lo; shift <= hi; shift += width)
    out.push_back({second, shift, std::min(width, hi + 1 - shift)});
}

// LSD radix sort of v by the digits (stable, so equal keys keep their
// order): per digit a counting read and a scatter pass, each a tight loop
// with the digit's shift and mask in registers (the counts of every digit
// in one read, through a loop over the digits, cost more instructions
// than the reads they saved: 1.89G -> 1.92G at 500K sites).
template <class T, class Key>
void radix_sort(std::vector<T> &v, const std::vector<Digit> &digits, Key key) {
  if (digits.empty())
    return;
  std::vector<size_t> start(size_t(1) << kMaxDigitBits);
  std::vector<T> tmp(v.size());
  for (const Digit &d : digits) {
    const unsigned shift = d.shift;
    const size_t buckets = size_t(1) << d.bits;
    const uint64_t mask = buckets - 1;
    const bool second = d.second;
    std::fill(start.begin(), start.begin() + std::ptrdiff_t(buckets), 0);
    for (const T &x : v)
      ++start[key(x, second) >> shift & mask];
    size_t sum = 0;
    for (size_t b = 0; b < buckets; ++b) {
      const size_t n = start[b];
      start[b] = sum;
      sum += n;
    }
    for (const T &x : v)
      tmp[start[key(x, second) >> shift & mask]++] = x;
    v.swap(tmp);
  }
}

} // namespace

void sort_key_pairs(std::vector<KeyPair> &v) {
  if (v.size() < 4096 || std::is_sorted(v.begin(), v.end())) {
    if (!std::is_sorted(v.begin(), v.end()))
      std::sort(v.begin(), v.end());
    return;
  }
  // Bits that differ between any two keys; the others need no pass. The
  // low 32 bits of .second are in order already (the precondition).
  uint64_t first_varies = 0, second_varies = 0;
  for (const KeyPair &p : v) {
    first_varies |= p.first ^ v.front().first;
    second_varies |= (p.second ^ v.front().second) >> 32 << 32;
  }
  std::vector<Digit> digits;
  add_digits(second_varies, true, digits);
  add_digits(first_varies, false, digits);
  radix_sort(v, digits, [](const KeyPair &p, bool second) { return second ? p.second : p.first; });
}

void sort_words(std::vector<uint64_t> &v) {
  if (v.size() < 4096 || std::is_sorted(v.begin(), v.end())) {
    if (!std::is_sorted(v.begin(), v.end()))
      std::sort(v.begin(), v.end());
    return;
  }
  uint64_t varies = 0;
  for (uint64_t x : v)
    varies |= x ^ v.front();
  std::vector<Digit> digits;
  add_digits(varies, false, digits);
  radix_sort(v, digits, [](uint64_t x, bool) { return x; });
}

} // namespace rvtramp
