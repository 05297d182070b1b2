// SPDX-License-Identifier: GPL-2.0-only
// The radix sort must agree with std::sort on every shape the callers give
// it: many sections or one, clustered or spread addresses, equal keys.
#include "sort_keys.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <random>
#include <tuple>

using namespace rvtramp;

namespace {

std::vector<KeyPair> make(size_t n, unsigned sections, uint64_t base, uint64_t spread,
                          unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<KeyPair> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = {base + rng() % spread, uint64_t(rng() % sections) << 32 | i};
  return v;
}

void expect_sorted_like_std(std::vector<KeyPair> v) {
  auto want = v;
  std::sort(want.begin(), want.end());
  sort_key_pairs(v);
  ASSERT_EQ(v.size(), want.size());
  EXPECT_TRUE(v == want);
}

} // namespace

TEST(SortKeys, KernelSizedTableInOneSection) {
  expect_sorted_like_std(make(122000, 1, 0xffffffff80000000ull, 20u << 20, 1));
}

TEST(SortKeys, ObjectSectionsAllAtAddressZero) {
  expect_sorted_like_std(make(50000, 40, 0, 4096, 2)); // many equal addresses
}

TEST(SortKeys, SpreadAddressesAndSmallInputs) {
  expect_sorted_like_std(make(30000, 3, 0, ~uint64_t(0), 3));
  expect_sorted_like_std(make(100, 2, 0x1000, 64, 4));
  expect_sorted_like_std({});
}

TEST(SortKeys, AlreadySortedStaysPut) {
  auto v = make(10000, 1, 0, 1u << 30, 5);
  std::sort(v.begin(), v.end());
  expect_sorted_like_std(v);
}

TEST(SortKeys, WordsLikeStd) {
  for (auto [n, spread, seed] : {std::tuple<size_t, uint64_t, unsigned>{122000, 20u << 20, 6},
                                 {30000, ~uint64_t(0), 7},
                                 {5000, 16, 8}, // many equal words
                                 {100, 1000, 9}}) {
    std::mt19937_64 rng(seed);
    std::vector<uint64_t> v(n);
    for (uint64_t &x : v)
      x = 0xffffffff80000000ull + rng() % spread;
    auto want = v;
    std::sort(want.begin(), want.end());
    sort_words(v);
    EXPECT_TRUE(v == want) << n;
  }
}

// Digits are cut from the span of bits that vary, not at byte boundaries:
// a span that is not a multiple of the digit width, one bit, bits only at
// both ends of the word (six digits), and the second word's section bits
// with them. A test that would fail if a digit skipped a bit or the
// passes ran out of order.
TEST(SortKeys, DigitsOverAnySpanOfVaryingBits) {
  struct Shape {
    uint64_t mask, base;
    unsigned sections;
  };
  for (const Shape &sh : {Shape{0x1fffffe, 0x80000000, 1},      // 24 bits from bit 1: 2 digits
                          Shape{0x7fffffe, 0x80000000, 1},      // 26 bits: 3 digits
                          Shape{uint64_t(1) << 40, 0, 1},       // one bit
                          Shape{0xf00000000000000full, 0, 1},   // both ends: 64-bit span
                          Shape{0xffffffffffffffffull, 0, 300}, // everything, 300 sections
                          Shape{0x3ffe, 0x1000, 70000}}) {      // 17 bits of sections
    std::mt19937_64 rng(sh.mask ^ sh.sections);
    std::vector<KeyPair> v(60000);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = {sh.base | (rng() & sh.mask), uint64_t(rng() % sh.sections) << 32 | i};
    expect_sorted_like_std(v);
    std::vector<uint64_t> w(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      w[i] = v[i].first;
    auto want = w;
    std::sort(want.begin(), want.end());
    sort_words(w);
    EXPECT_TRUE(w == want) << std::hex << sh.mask;
  }
}
