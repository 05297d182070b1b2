// SPDX-License-Identifier: GPL-2.0-only
#include "sort_keys.h"

#include <algorithm>
#include <array>

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
// text, 25-27 bits) took four passes at 122K sites, here two of 12 bits
// (4,096 counts: 32 KiB, in L1/L2 beside the scattered writes) or three.
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
// order): the counts of every digit in one read of v, then a scatter pass
// per digit.
template <class T, class Key>
void radix_sort(std::vector<T> &v, const std::vector<Digit> &digits, Key key) {
  if (digits.empty())
    return;
  constexpr size_t kBuckets = size_t(1) << kMaxDigitBits;
  std::vector<size_t> counts(digits.size() * kBuckets, 0);
  for (const T &x : v)
    for (size_t d = 0; d < digits.size(); ++d)
      ++counts[d * kBuckets +
               (key(x, digits[d].second) >> digits[d].shift & ((uint64_t(1) << digits[d].bits) - 1))];
  std::vector<T> tmp(v.size());
  for (size_t d = 0; d < digits.size(); ++d) {
    size_t *start = counts.data() + d * kBuckets, sum = 0;
    const size_t buckets = size_t(1) << digits[d].bits;
    for (size_t b = 0; b < buckets; ++b) {
      const size_t n = start[b];
      start[b] = sum;
      sum += n;
    }
    const unsigned shift = digits[d].shift;
    const uint64_t mask = buckets - 1;
    if (digits[d].second)
      for (const T &x : v)
        tmp[start[key(x, true) >> shift & mask]++] = x;
    else
      for (const T &x : v)
        tmp[start[key(x, false) >> shift & mask]++] = x;
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
