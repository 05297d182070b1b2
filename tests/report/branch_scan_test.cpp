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
