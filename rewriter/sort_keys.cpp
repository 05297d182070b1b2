// SPDX-License-Identifier: GPL-2.0-only
#include "sort_keys.h"

#include <algorithm>
#include <array>

namespace rvtramp {
namespace {

// One stable counting pass on the byte at shift of the chosen word.
template <bool First>
void pass(std::vector<KeyPair> &from, std::vector<KeyPair> &to, unsigned shift) {
  std::array<size_t, 257> start{};
  for (const KeyPair &p : from)
    ++start[((First ? p.first : p.second) >> shift & 0xff) + 1];
  for (size_t d = 1; d < start.size(); ++d)
    start[d] += start[d - 1];
  for (const KeyPair &p : from)
    to[start[(First ? p.first : p.second) >> shift & 0xff]++] = p;
  from.swap(to);
}

} // namespace

void sort_key_pairs(std::vector<KeyPair> &v) {
  if (v.size() < 4096 || std::is_sorted(v.begin(), v.end())) {
    if (!std::is_sorted(v.begin(), v.end()))
      std::sort(v.begin(), v.end());
    return;
  }
  // Bytes that differ between any two keys; the others need no pass.
  uint64_t first_varies = 0, second_varies = 0;
  for (const KeyPair &p : v) {
    first_varies |= p.first ^ v.front().first;
    second_varies |= (p.second ^ v.front().second) >> 32 << 32;
  }
  std::vector<KeyPair> tmp(v.size());
  for (unsigned shift = 32; shift < 64; shift += 8)
    if (second_varies >> shift & 0xff)
      pass<false>(v, tmp, shift);
  for (unsigned shift = 0; shift < 64; shift += 8)
    if (first_varies >> shift & 0xff)
      pass<true>(v, tmp, shift);
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
  std::vector<uint64_t> tmp(v.size());
  for (unsigned shift = 0; shift < 64; shift += 8) {
    if (!(varies >> shift & 0xff))
      continue;
    std::array<size_t, 257> start{};
    for (uint64_t x : v)
      ++start[(x >> shift & 0xff) + 1];
    for (size_t d = 1; d < start.size(); ++d)
      start[d] += start[d - 1];
    for (uint64_t x : v)
      tmp[start[x >> shift & 0xff]++] = x;
    v.swap(tmp);
  }
}

} // namespace rvtramp
