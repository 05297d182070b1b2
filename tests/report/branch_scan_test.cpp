// SPDX-License-Identifier: GPL-2.0-only
// The hand-written branch-target sweep (analyze's hot loop) against the
// Capstone sweep it replaced: identical targets on every executable section
// of every fixture, and of the Linux 6.12 vmlinux fixtures when they are
// built (RVT_VMLINUX: colon-separated paths).
#include "arch/riscv.h"
#include "elf_image.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <dirent.h>
#include <random>
#include <string>
#include <vector>

using namespace rvtramp;

namespace {

std::vector<std::string> inputs() {
  std::vector<std::string> out;
  const char *dir = std::getenv("FIXTURES");
  if (dir)
    if (DIR *d = opendir(dir)) {
      while (dirent *e = readdir(d)) {
        const std::string n = e->d_name;
        if (n == "." || n == "..")
          continue;
        out.push_back(std::string(dir) + "/" + n);
      }
      closedir(d);
    }
  if (const char *v = std::getenv("RVT_VMLINUX")) {
    std::string s = v;
    for (size_t a = 0; a < s.size();) {
      size_t b = s.find(':', a);
      if (b == std::string::npos)
        b = s.size();
      if (b > a)
        out.push_back(s.substr(a, b - a));
      a = b + 1;
    }
  }
  return out;
}

} // namespace

TEST(BranchScan, SameTargetsAsCapstone) {
  size_t images = 0, bytes_swept = 0, targets = 0;
  for (const std::string &path : inputs()) {
    auto img = ElfImage::load(path);
    if (!img)
      continue; // not an ELF (directories, logs)
    ++images;
    auto dec = riscv::Decoder::create(img->is64() ? riscv::Xlen::RV64 : riscv::Xlen::RV32);
    ASSERT_NE(dec, nullptr);
    for (const Section &s : img->sections()) {
      if (!s.executable() || !s.has_file_bytes() || !s.size)
        continue;
      auto b = img->read(s.index, 0, s.size);
      ASSERT_TRUE(bool(b));
      // From the section start, and from an odd halfword to exercise resync.
      for (uint64_t start : {uint64_t(0), uint64_t(2)}) {
        if (start >= s.size)
          continue;
        std::vector<uint64_t> fast, ref;
        dec->branch_targets(b->subspan(start), s.addr + start, fast);
        dec->branch_targets_capstone(b->subspan(start), s.addr + start, ref);
        EXPECT_EQ(fast, ref) << path << " " << s.name << "+" << start;
        bytes_swept += s.size - start;
        targets += ref.size();
      }
    }
  }
  if (!images)
    GTEST_SKIP() << "no fixtures (FIXTURES unset or empty)";
  std::printf("swept %zu images, %zu bytes, %zu targets\n", images, bytes_swept, targets);
}

// Every compressed halfword and a sample of 32-bit words in the branch
// opcodes: the hand decoder reads the same targets as Capstone.
TEST(BranchScan, EveryBranchEncoding) {
  for (auto xlen : {riscv::Xlen::RV64, riscv::Xlen::RV32}) {
    auto dec = riscv::Decoder::create(xlen);
    ASSERT_NE(dec, nullptr);
    for (uint32_t h = 0; h < 0x10000; ++h) {
      if ((h & 3) != 1)
        continue; // quadrant 1 holds c.j, c.jal, c.beqz, c.bnez
      const uint8_t b[2] = {uint8_t(h), uint8_t(h >> 8)};
      std::vector<uint64_t> fast, ref;
      dec->branch_targets(b, 0x10000, fast);
      dec->branch_targets_capstone(b, 0x10000, ref);
      ASSERT_EQ(fast, ref) << std::hex << "halfword 0x" << h;
    }
    std::mt19937 rng(7);
    for (int i = 0; i < 200000; ++i) {
      uint32_t w = rng();
      w = (w & ~0x7fu) | (i & 1 ? 0x6fu : 0x63u);
      const uint8_t b[4] = {uint8_t(w), uint8_t(w >> 8), uint8_t(w >> 16), uint8_t(w >> 24)};
      std::vector<uint64_t> fast, ref;
      dec->branch_targets(b, 0x800000, fast);
      dec->branch_targets_capstone(b, 0x800000, ref);
      ASSERT_EQ(fast, ref) << std::hex << "word 0x" << w;
    }
  }
}

// Random halfwords weighted towards the branch encodings and runs of
// 4-byte instructions.
std::vector<uint8_t> branchy_text(size_t size, std::mt19937 &rng) {
  std::vector<uint8_t> b(size);
  for (size_t i = 0; i + 1 < b.size(); i += 2) {
    uint32_t h = rng() & 0xffff;
    switch (rng() % 6) {
    case 0: h = (h & ~0x7fu) | 0x63; break;   // branch (f3 random)
    case 1: h = (h & ~0x7fu) | 0x6f; break;   // jal
    case 2: h = (h & 0x1fff) | 0xa001; break; // c.j
    case 3: h = (h & ~0x7fu) | 0x13; break;   // addi: 4 bytes
    default: break;
    }
    b[i] = uint8_t(h);
    b[i + 1] = uint8_t(h >> 8);
  }
  return b;
}

// The window of the fast sweep (32 halfwords, starts from bit arithmetic)
// against the sweep one instruction at a time: each instruction alone, its
// length from the encoding (a 2-byte span never enters the window). Random
// halfwords weighted towards the branch encodings and runs of 4-byte
// instructions, at every window phase.
TEST(BranchScan, WindowAgreesWithOneAtATime) {
  for (auto xlen : {riscv::Xlen::RV64, riscv::Xlen::RV32}) {
    auto dec = riscv::Decoder::create(xlen);
    ASSERT_NE(dec, nullptr);
    std::mt19937 rng(11);
    for (int round = 0; round < 300; ++round) {
      const std::vector<uint8_t> b = branchy_text(64 + rng() % 4000, rng);
      const uint64_t base = 0x80000000 + 2 * (rng() % 64);
      std::vector<uint64_t> fast, ref;
      dec->branch_targets(b, base, fast);
      size_t at = 0;
      while (at + 2 <= b.size()) {
        const uint32_t h = uint32_t(b[at]) | uint32_t(b[at + 1]) << 8;
        size_t len = (h & 3) != 3 || (h & 0x1c) == 0x1c ? 2 : 4;
        if ((h & 0x7f) == 0x63 && ((h >> 13) & 3) == 1)
          len = 2; // not an instruction: the sweep resynchronises
        if (at + len > b.size())
          break;
        if (len == 4 || at + 4 > b.size()) {
          dec->branch_targets(std::span(b).subspan(at, len), base + at, ref);
        } else {
          // A lone 2-byte span is the cut-off tail case; give the sweep the
          // halfword with a c.nop after it (a harmless second instruction).
          const uint8_t two[4] = {b[at], b[at + 1], 0x01, 0x00};
          dec->branch_targets(std::span<const uint8_t>(two, 4), base + at, ref);
        }
        at += len;
      }
      ASSERT_EQ(fast, ref) << "round " << round;
    }
  }
}

// A function's last bytes (fewer than a window and four) go through the
// window too, read in place where the caller says the bytes after the span
// are readable, else from a copy behind zeros: at every length, whatever
// bytes follow the span (they belong to the next function and must not
// count), the targets are
// those of the instructions whole inside it, one at a time, each decoded
// by Capstone alone (a sweep by Capstone of random bytes resynchronises
// differently after a word it does not know; the fast sweep takes any
// 32-bit encoding as 4 bytes).
TEST(BranchScan, FunctionEndAgreesWithOneAtATime) {
  for (auto xlen : {riscv::Xlen::RV64, riscv::Xlen::RV32}) {
    auto dec = riscv::Decoder::create(xlen);
    ASSERT_NE(dec, nullptr);
    std::mt19937 rng(13);
    for (size_t n = 0; n <= 200; ++n) {
      for (int round = 0; round < 60; ++round) {
        const std::vector<uint8_t> b = branchy_text(n + 72, rng);
        std::vector<uint64_t> fast, fast_past, ref;
        const uint64_t base = 0x80000000;
        dec->branch_targets(std::span(b).first(n), base, fast);
        // The same with the bytes after it readable (the sweep's window
        // then reads them in place, the section going on after a function).
        dec->branch_targets(std::span(b).first(n), base, fast_past, b.size());
        for (size_t at = 0; at + 2 <= n;) {
          const uint32_t h = uint32_t(b[at]) | uint32_t(b[at + 1]) << 8;
          size_t len = (h & 3) != 3 || (h & 0x1c) == 0x1c ? 2 : 4;
          if ((h & 0x7f) == 0x63 && ((h >> 13) & 3) == 1)
            len = 2; // not an instruction: the sweep resynchronises
          if (at + len > n)
            break; // cut off by the end
          // Only the branch encodings (EveryBranchEncoding: there the two
          // agree; Capstone knows some words the sweep need not).
          const bool branch = len == 4 ? (h & 0x7f) == 0x63 || (h & 0x7f) == 0x6f : (h & 3) == 1;
          if (branch)
            dec->branch_targets_capstone(std::span(b).subspan(at, len), base + at, ref);
          at += len;
        }
        ASSERT_EQ(fast, ref) << "length " << n << " round " << round;
        ASSERT_EQ(fast_past, ref) << "length " << n << " round " << round << ", bytes after it";
      }
    }
  }
}
