// SPDX-License-Identifier: GPL-2.0-only
// Writing only what changed (issue 25): the output of the copy + pwrite
// path, and of its fallback when the kernel refuses the copy, is the output
// of the old single write byte for byte on every fixture; and the check
// from the edit list (check_written) catches a stray edit, a wrong layout, a
// moved entry that does not name P, and an output that does not hold what
// was written.
#include "context.h"
#include "elf_image.h"
#include "passes.h"
#include "fixture_support.h"
#include "pipeline.h"

#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>

using namespace rvtramp;
using namespace rvtramp::test;

namespace {

TEST(WriteChanges, SameBytesAsTheWholeWriteOnEveryFixture) {
  REQUIRE_FIXTURE("vmlinux13");
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  const char *fixtures[] = {"vmlinux13",   "vmlinux4",      "vmlinux13_initdata", "vmlinux13_rv32",
                            "prog",        "toggle",        "mod13.ko",           "pfe13_rvc.o",
                            "pfe13_norvc.o", "pfe13_rv32c.o", "pfe13_rv32.o",     "pfe12_rvc.o",
                            "pfe4_rvc.o",  "pfe13_rvc_nopad.o", "pfe13_rvc_relax.o",
                            "vmlinux13_pie"};
  int compared = 0;
  for (const char *name : fixtures) {
    if (access(fixture(name).c_str(), R_OK) != 0)
      continue;
    for (auto state : {riscv::ToggleState::Disabled, riscv::ToggleState::Enabled}) {
      Options options;
      options.state = state;
      const std::string base = dir.path + "/" + name;
      auto whole = rewrite(fixture(name), base + ".whole", WriteMode::Whole, options);
      auto changes = rewrite(fixture(name), base + ".changes", WriteMode::Changes, options);
      auto nocopy = rewrite(fixture(name), base + ".nocopy", WriteMode::NoCopy, options);
      ASSERT_TRUE(whole) << name << ": " << whole.error().message();
      ASSERT_TRUE(changes) << name << ": " << changes.error().message();
      ASSERT_TRUE(nocopy) << name << ": " << nocopy.error().message();
      EXPECT_EQ(changes->write_mode, WriteMode::Changes) << name;
      EXPECT_EQ(nocopy->write_mode, WriteMode::NoCopy) << name;
      const auto want = slurp(base + ".whole");
      EXPECT_TRUE(slurp(base + ".changes") == want) << name << ": copy + pwrite differs";
      EXPECT_TRUE(slurp(base + ".nocopy") == want) << name << ": fallback differs";
      // Some fixtures have no site that fits (room 8, relaxation): then
      // nothing is written but the copy.
      EXPECT_EQ(want == slurp(fixture(name)), whole->rewritten == 0) << name;
      // Same file system: the kernel copied the unchanged bytes; the
      // fallback wrote them all itself.
      EXPECT_FALSE(changes->write_stats.copy_refused) << name;
      EXPECT_GT(changes->write_stats.copied, 0u) << name;
      EXPECT_LT(changes->write_stats.written, want.size()) << name;
      EXPECT_EQ(changes->write_stats.written == 0, whole->rewritten == 0) << name;
      EXPECT_EQ(nocopy->write_stats.copied, 0u) << name;
      EXPECT_TRUE(nocopy->write_stats.copy_refused) << name;
      EXPECT_EQ(nocopy->write_stats.written, want.size()) << name;
      EXPECT_TRUE(changes->verify.ok()) << name;
      EXPECT_EQ(changes->verify.disabled + changes->verify.enabled,
                whole->verify.disabled + whole->verify.enabled)
          << name;
      ++compared;
    }
  }
  EXPECT_GE(compared, 10);
}

// Sections added (--emit-mcount-loc): libelf lays the file out, so the
// whole file is written and checked as before.
TEST(WriteChanges, AddedSectionsTakeTheWholePath) {
  REQUIRE_FIXTURE("pg_rvc.o");
  TempDir dir;
  Options options;
  options.emit_mcount_loc = true;
  auto out = rewrite(fixture("pg_rvc.o"), dir.path + "/pg.o", WriteMode::Changes, options);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->write_mode, WriteMode::Whole);
  EXPECT_GT(out->output_size, out->input_size);
}

// The kernel refuses copy_file_range between two file systems (EXDEV): the
// unchanged bytes come from memory, and the file is the same.
TEST(WriteChanges, FallsBackWhenTheKernelRefusesTheCopy) {
  REQUIRE_FIXTURE("vmlinux13");
  TempDir shm("/dev/shm"), tmp;
  struct stat a {}, b {};
  if (shm.path.empty() || stat(shm.path.c_str(), &a) != 0 || stat(tmp.path.c_str(), &b) != 0 ||
      a.st_dev == b.st_dev)
    GTEST_SKIP() << "skipped: no second file system (/dev/shm) beside /tmp";
  const std::string in = shm.path + "/vmlinux13";
  {
    const auto bytes = slurp(fixture("vmlinux13"));
    std::ofstream(in, std::ios::binary).write(reinterpret_cast<const char *>(bytes.data()),
                                              std::streamsize(bytes.size()));
  }
  auto cross = rewrite(in, tmp.path + "/cross", WriteMode::Changes);
  auto whole = rewrite(in, tmp.path + "/whole", WriteMode::Whole);
  ASSERT_TRUE(cross) << cross.error().message();
  ASSERT_TRUE(whole) << whole.error().message();
  EXPECT_TRUE(cross->write_stats.copy_refused);
  EXPECT_EQ(cross->write_stats.copied, 0u);
  EXPECT_EQ(slurp(tmp.path + "/cross"), slurp(tmp.path + "/whole"));
}

TEST(WriteChanges, EditedRangesAreMergedAcrossSmallGaps) {
  REQUIRE_FIXTURE("vmlinux13");
  auto img = ElfImage::load(fixture("vmlinux13"), {}, ElfImage::LoadMode::Copy);
  ASSERT_TRUE(img) << img.error().message();
  const Section *text = img->find_section(".text");
  ASSERT_NE(text, nullptr);
  ASSERT_GE(text->size, 512u);
  EXPECT_TRUE(img->edited_ranges().empty());
  const uint8_t nop4[4] = {0x13, 0, 0, 0};
  ASSERT_TRUE(img->write_bytes(text->index, 0, nop4));
  ASSERT_TRUE(img->write_bytes(text->index, 200, nop4));
  ASSERT_TRUE(img->write_bytes(text->index, text->size - 4, nop4));
  const auto apart = img->edited_ranges(0);
  ASSERT_EQ(apart.size(), 3u);
  EXPECT_LE(apart[0].lo, text->offset);
  EXPECT_GE(apart[0].hi, text->offset + 4);
  EXPECT_GE(apart.back().hi, text->offset + text->size);
  const auto merged = img->edited_ranges(uint64_t(1) << 30);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].lo, apart[0].lo);
  EXPECT_EQ(merged[0].hi, apart.back().hi);
}

// The passes of a rewrite, then a deliberate corruption, then the write and
// the check of the changed ranges.
struct Written {
  Context ctx;
  std::vector<ElfImage::FileRange> ranges;
  int fd = -1;
  TempDir dir;
  explicit Written(Context c) : ctx(std::move(c)) {}
  ~Written() {
    if (fd >= 0)
      close(fd);
  }
};

std::unique_ptr<Written> passes_of(const std::string &name) {
  auto img = ElfImage::load(fixture(name), {}, ElfImage::LoadMode::Copy);
  if (!img)
    return nullptr;
  auto w = std::make_unique<Written>(Context(img.take()));
  if (!run_passes(w->ctx, rewrite_passes()))
    return nullptr;
  return w;
}

// two_threads_from 0: the two-thread split of the reading, on a small file.
Expected<VerifyResult> write_and_check(Written &w, uint64_t two_threads_from = uint64_t(4) << 20) {
  w.ranges = w.ctx.image.edited_ranges();
  w.fd = open((w.dir.path + "/out").c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w.fd < 0)
    return make_error("out", "cannot create");
  auto stats = w.ctx.image.write_changes_to_fd(w.fd, w.ranges, true, "out");
  RVT_TRY(stats);
  return check_written(w.ctx, w.fd, w.ranges, two_threads_from);
}

const Site *first_rewritten(const Context &ctx, bool fixup) {
  for (const Site &s : ctx.sites)
    if (s.decision == Decision::Rewrite && s.fixup == fixup)
      return &s;
  return nullptr;
}

bool mentions(const VerifyResult &v, const std::string &what) {
  for (const auto &p : v.problems)
    if (p.find(what) != std::string::npos)
      return true;
  return false;
}

// Writes, checks, and expects the check to refuse the output saying `what`.
void expect_caught(Written &w, const std::string &what, uint64_t two_threads_from) {
  auto v = write_and_check(w, two_threads_from);
  ASSERT_TRUE(v) << v.error().message();
  ASSERT_FALSE(v->ok());
  EXPECT_TRUE(mentions(*v, what)) << v->problems.front();
}

TEST(CheckWritten, PassesAnUntamperedRewrite) {
  REQUIRE_FIXTURE("vmlinux13");
  for (const char *name : {"vmlinux13", "mod13.ko", "vmlinux13_rv32", "vmlinux13_pie"})
    for (uint64_t split : {uint64_t(4) << 20, uint64_t(0)}) {
      auto w = passes_of(name);
      ASSERT_TRUE(w) << name;
      auto v = write_and_check(*w, split);
      ASSERT_TRUE(v) << v.error().message();
      EXPECT_TRUE(v->ok()) << name << ": " << v->problems.front();
      EXPECT_GT(v->compared_bytes, 0u);
      uint64_t total = 0;
      for (const auto &r : w->ranges)
        total += r.hi - r.lo;
      EXPECT_EQ(v->compared_bytes, total) << name << " split " << split;
    }
}

class CheckWrittenSplit : public testing::TestWithParam<uint64_t> {};
INSTANTIATE_TEST_SUITE_P(OneAndTwoThreads, CheckWrittenSplit,
                         testing::Values(uint64_t(4) << 20, uint64_t(0)));

TEST_P(CheckWrittenSplit, CatchesAStrayEditOutsideTheRegions) {
  REQUIRE_FIXTURE("vmlinux13");
  auto w = passes_of("vmlinux13");
  ASSERT_TRUE(w);
  const Site *s = first_rewritten(w->ctx, false);
  ASSERT_NE(s, nullptr);
  // The function body right after the reserved nops: never the rewrite's.
  auto body = w->ctx.image.read(s->section, s->offset + riscv::kFixupSize, 1);
  ASSERT_TRUE(body);
  const uint8_t flipped = uint8_t((*body)[0] ^ 0x40);
  ASSERT_TRUE(w->ctx.image.write_bytes(s->section, s->offset + riscv::kFixupSize,
                                       std::span(&flipped, 1)));
  expect_caught(*w, ".text+" + hex(s->offset + riscv::kFixupSize) +
                        ": byte differs outside the rewritten regions",
                GetParam());
}

// The comparison takes 64 bytes at a time against a word of the byte mask,
// and a byte at a time where a range does not start on 64 (the edit list's
// ranges do) or at the file's end: both count the bytes that differ as cmp
// does, and both catch a byte changed outside the rewritten regions.
std::vector<ElfImage::FileRange> split_unaligned(const std::vector<ElfImage::FileRange> &ranges,
                                                 uint64_t around = UINT64_MAX) {
  std::vector<ElfImage::FileRange> out;
  for (const auto &r : ranges) {
    uint64_t cut1 = r.lo + 3, cut2 = r.hi > r.lo + 200 ? r.hi - 5 : r.hi;
    if (around != UINT64_MAX && around >= r.lo + 2 && around + 3 < r.hi)
      cut1 = around - 1, cut2 = around + 2; // the byte inside a 3-byte range
    if (cut1 >= cut2) {
      out.push_back(r);
      continue;
    }
    out.push_back({r.lo, cut1});
    out.push_back({cut1, cut2});
    out.push_back({cut2, r.hi});
  }
  return out;
}

TEST(CheckWritten, CountsAndCatchesInRangesOfAnyAlignment) {
  REQUIRE_FIXTURE("vmlinux13");
  for (const char *name : {"vmlinux13", "mod13.ko", "vmlinux13_rv32"}) {
    SCOPED_TRACE(name);
    auto w = passes_of(name);
    ASSERT_TRUE(w);
    auto v = write_and_check(*w);
    ASSERT_TRUE(v && v->ok());
    const auto in = slurp(fixture(name)), out = slurp(w->dir.path + "/out");
    ASSERT_EQ(in.size(), out.size());
    uint64_t differ = 0;
    for (size_t i = 0; i < in.size(); ++i)
      differ += in[i] != out[i];
    EXPECT_GT(differ, 0u);
    EXPECT_EQ(v->changed_bytes.value_or(0), differ);
    const auto split = split_unaligned(w->ranges);
    ASSERT_GT(split.size(), w->ranges.size());
    for (uint64_t threads : {uint64_t(4) << 20, uint64_t(0)}) {
      auto again = check_written(w->ctx, w->fd, split, threads);
      ASSERT_TRUE(again && again->ok());
      EXPECT_EQ(again->changed_bytes.value_or(0), differ);
      EXPECT_EQ(again->compared_bytes, v->compared_bytes);
    }
  }
  // A stray byte inside a range that starts 1 byte before it.
  auto w = passes_of("vmlinux13");
  ASSERT_TRUE(w);
  const Site *s = first_rewritten(w->ctx, false);
  ASSERT_NE(s, nullptr);
  const uint64_t at = s->offset + riscv::kFixupSize;
  auto body = w->ctx.image.read(s->section, at, 1);
  ASSERT_TRUE(body);
  const uint8_t flipped = uint8_t((*body)[0] ^ 0x40);
  ASSERT_TRUE(w->ctx.image.write_bytes(s->section, at, std::span(&flipped, 1)));
  auto v = write_and_check(*w);
  ASSERT_TRUE(v);
  ASSERT_FALSE(v->ok());
  const auto split =
      split_unaligned(w->ranges, w->ctx.image.section(s->section).offset + at);
  auto caught = check_written(w->ctx, w->fd, split);
  ASSERT_TRUE(caught);
  ASSERT_FALSE(caught->ok());
  EXPECT_TRUE(mentions(*caught, ".text+" + hex(at) + ": byte differs outside the rewritten regions"))
      << caught->problems.front();
}

TEST(CheckWritten, CatchesALayoutBrokenAfterVerify) {
  REQUIRE_FIXTURE("vmlinux13");
  auto w = passes_of("vmlinux13");
  ASSERT_TRUE(w);
  const Site *s = first_rewritten(w->ctx, false);
  ASSERT_NE(s, nullptr);
  const uint8_t nop4[4] = {0x13, 0, 0, 0}; // the final jalr becomes a nop
  ASSERT_TRUE(w->ctx.image.write_bytes(s->section, s->tramp_offset() + 0x14, nop4));
  expect_caught(*w, "not the planned layout", uint64_t(4) << 20);
}

TEST_P(CheckWrittenSplit, CatchesAMovedEntryThatDoesNotNameP) {
  REQUIRE_FIXTURE("mod13.ko");
  auto w = passes_of("mod13.ko");
  ASSERT_TRUE(w);
  const Site *s = first_rewritten(w->ctx, true);
  ASSERT_NE(s, nullptr);
  const TableRef &r = w->ctx.refs_of(*s).front();
  ASSERT_TRUE(r.via_rela);
  const int64_t addend = w->ctx.image.relas()[r.rela_list].entries[r.rela_entry].addend;
  w->ctx.image.set_rela_addend(r.rela_list, r.rela_entry, addend + 2); // S + 4, not P
  expect_caught(*w, "a table entry does not name", GetParam());
}

// The relocatable table (R_RISCV_RELATIVE addends) after a sort that lost
// its values: each of its entries, as the sort left them in memory, is
// edited before the write. The check compares them with the input's
// addends as the file held them (not with the edited relocation list,
// against which a zeroed table would match itself).
class CheckWrittenRelative : public testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(ZeroedAndLost, CheckWrittenRelative, testing::Bool());

TEST_P(CheckWrittenRelative, CatchesASortThatZeroesOrLosesEntries) {
  REQUIRE_FIXTURE("vmlinux13_pie");
  auto w = passes_of("vmlinux13_pie");
  ASSERT_TRUE(w);
  const auto tables = sortable_mcount_tables(w->ctx.image);
  ASSERT_EQ(tables.size(), 1u);
  const McountTable &t = tables.front();
  ASSERT_EQ(t.relatives.size(), (t.hi - t.lo) / 8) << "every slot a RELATIVE";
  {
    auto untampered = passes_of("vmlinux13_pie");
    ASSERT_TRUE(untampered);
    auto v = write_and_check(*untampered);
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_TRUE(v->ok()) << v->problems.front();
    EXPECT_EQ(v->mcount_matched, t.relatives.size());
  }
  const bool zero_all = GetParam();
  if (zero_all) {
    for (const auto &[l, e] : t.relatives)
      w->ctx.image.set_rela_addend(l, e, 0);
  } else {
    // Entry 1 := entry 0: still ascending, one entry lost.
    const auto [l0, e0] = t.relatives[0];
    const auto [l1, e1] = t.relatives[1];
    w->ctx.image.set_rela_addend(l1, e1, w->ctx.image.relas()[l0].entries[e0].addend);
  }
  expect_caught(*w, "entries are not the original's", uint64_t(4) << 20);
}

TEST(CheckWritten, CatchesAnOutputThatDoesNotHoldTheEdits) {
  REQUIRE_FIXTURE("vmlinux13");
  auto w = passes_of("vmlinux13");
  ASSERT_TRUE(w);
  auto v = write_and_check(*w);
  ASSERT_TRUE(v && v->ok());
  // A lost write: the first edited range holds the input's bytes again.
  const ElfImage::FileRange r = w->ranges.front();
  std::vector<uint8_t> was(r.hi - r.lo);
  ASSERT_TRUE(w->ctx.image.read_original_at(r.lo, was));
  ASSERT_EQ(pwrite(w->fd, was.data(), was.size(), off_t(r.lo)), ssize_t(was.size()));
  auto lost = check_written(w->ctx, w->fd, w->ranges);
  ASSERT_TRUE(lost);
  EXPECT_TRUE(mentions(*lost, "does not hold the bytes written")) << lost->problems.front();
  // A short file.
  ASSERT_EQ(ftruncate(w->fd, off_t(w->ctx.image.file_size() - 1)), 0);
  auto shorter = check_written(w->ctx, w->fd, w->ranges);
  ASSERT_TRUE(shorter);
  EXPECT_FALSE(shorter->ok());
}

} // namespace

namespace {

// The unchanged bytes are copied from the input after the analysis: an
// input changed in between (size or mtime) is refused, not mixed in.
TEST(WriteChanges, RefusesAnInputChangedAfterItWasRead) {
  REQUIRE_FIXTURE("vmlinux13");
  TempDir dir;
  const std::string in = dir.path + "/in";
  const auto bytes = slurp(fixture("vmlinux13"));
  std::ofstream(in, std::ios::binary).write(reinterpret_cast<const char *>(bytes.data()),
                                            std::streamsize(bytes.size()));
  auto img = ElfImage::load(in, {}, ElfImage::LoadMode::Copy);
  ASSERT_TRUE(img) << img.error().message();
  EXPECT_TRUE(img->check_input_unchanged("out"));
  const struct timespec later[2] = {{0, UTIME_OMIT}, {12345, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, in.c_str(), later, 0), 0);
  auto changed = img->check_input_unchanged("out");
  ASSERT_FALSE(changed);
  EXPECT_NE(changed.error().message().find("changed while it was rewritten"), std::string::npos)
      << changed.error().message();
}

} // namespace
