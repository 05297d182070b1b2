// SPDX-License-Identifier: GPL-2.0-only
// Literal relocations of a relocatable kernel (issue 22): a rewrite of an
// ET_DYN image whose .rela.dyn ends in reserved zero entries
// (vmlinux13_pie_rela) writes ftrace_caller's link address into every
// literal and one R_RISCV_RELATIVE per literal into those entries; verify,
// verify --against and the post-write check require each; too few entries
// is an error and writes nothing; without entries, or with --dest 0, the
// literal stays 0 and nothing is added.
#include "context.h"
#include "elf_image.h"
#include "passes.h"
#include "fixture_support.h"
#include "pipeline.h"

#include <algorithm>
#include <cstdlib>
#include <elf.h>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <set>
#include <unistd.h>

using namespace rvtramp;
using namespace rvtramp::test;

namespace {

uint64_t literal_address(uint64_t p) { return p + riscv::literal_offset(riscv::layout_for(p)); }

uint64_t word_at(const ElfImage &img, uint64_t address) {
  const Section *s = img.section_at_addr(address);
  if (!s)
    return ~uint64_t(0);
  auto w = img.read_word(s->index, address - s->addr);
  return w ? *w : ~uint64_t(0);
}

bool mentions(const VerifyResult &v, const std::string &what) {
  return std::any_of(v.problems.begin(), v.problems.end(),
                     [&](const std::string &p) { return p.find(what) != std::string::npos; });
}

// verify FILE (located fully) or verify FILE --against ORIGINAL.
Expected<VerifyResult> verify(const std::string &path, const std::string &against = {}) {
  auto img = ElfImage::load(path);
  RVT_TRY(img);
  Context ctx(img.take());
  if (against.empty())
    return locate_and_verify(ctx, nullptr, run_locate);
  auto o = ElfImage::load(against);
  RVT_TRY(o);
  Context orig(o.take());
  RVT_TRY(run_locate(orig));
  return locate_and_verify(ctx, &orig, run_locate_entries);
}

TEST(LiteralRelocs, EveryLiteralGetsOneRelativeInTheReservedEntries) {
  REQUIRE_FIXTURE("vmlinux13_pie_rela");
  TempDir dir;
  const std::string in = fixture("vmlinux13_pie_rela");
  auto before = ElfImage::load(in);
  ASSERT_TRUE(before) << before.error().message();
  const RelaReserve reserve = reserved_rela_entries(*before);
  const Symbol *fc = before->find_symbol("ftrace_caller");
  ASSERT_NE(fc, nullptr);
  const uint64_t dest = fc->value;

  for (WriteMode mode : {WriteMode::Changes, WriteMode::Whole}) {
    const std::string out = dir.path + (mode == WriteMode::Whole ? "/whole" : "/changes");
    auto o = rewrite(in, out, mode);
    ASSERT_TRUE(o) << o.error().message();
    ASSERT_GT(o->rewritten, 0u);
    EXPECT_EQ(reserve.count, o->ctx.sites.size()) << "one reserved entry per __mcount_loc entry";
    EXPECT_TRUE(o->ctx.relocate_literals);
    EXPECT_EQ(o->ctx.dest, dest);
    EXPECT_EQ(o->ctx.relocated_literals, o->rewritten);
    EXPECT_EQ(o->verify.relocated_literals, o->rewritten);
    EXPECT_TRUE(o->verify.ok()) << o->verify.problems.front();

    auto after = ElfImage::load(out);
    ASSERT_TRUE(after) << after.error().message();
    std::vector<uint64_t> literals;
    for (const Site &s : o->ctx.sites)
      if (s.decision == Decision::Rewrite) {
        literals.push_back(literal_address(s.tramp_address()));
        EXPECT_EQ(word_at(*after, literals.back()), dest) << hex(s.tramp_address());
      }
    // Site address order, from the first free entry; the rest stays zero.
    const auto &entries = after->relas()[reserve.list].entries;
    ASSERT_EQ(entries.size(), before->relas()[reserve.list].entries.size());
    for (size_t e = 0; e < entries.size(); ++e) {
      const Rela &r = entries[e];
      if (e < reserve.first) {
        // The link's own (their addends move with sorted, moved entries).
        const Rela &was = before->relas()[reserve.list].entries[e];
        EXPECT_TRUE(r.offset == was.offset && r.type == was.type && r.sym == was.sym) << e;
      } else if (e - reserve.first < literals.size()) {
        EXPECT_EQ(r.type, uint32_t(R_RISCV_RELATIVE)) << e;
        EXPECT_EQ(r.sym, 0u) << e;
        EXPECT_EQ(r.offset, literals[e - reserve.first]) << e;
        EXPECT_EQ(uint64_t(r.addend), dest) << e;
      } else {
        EXPECT_TRUE(r.offset == 0 && r.type == 0 && r.sym == 0 && r.addend == 0) << e;
      }
    }
    for (const std::string &against : {std::string(), in}) {
      auto v = verify(out, against);
      ASSERT_TRUE(v) << v.error().message();
      EXPECT_TRUE(v->ok()) << v->problems.front();
      EXPECT_EQ(v->relocated_literals, literals.size());
    }
  }
  EXPECT_EQ(slurp(dir.path + "/whole"), slurp(dir.path + "/changes"));
  // A second run finds every site rewritten and changes nothing.
  auto again = rewrite(dir.path + "/changes", dir.path + "/again");
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->rewritten, 0u);
  EXPECT_EQ(slurp(dir.path + "/again"), slurp(dir.path + "/changes"));
}

// The reserved entries of the output, as (file offset of entry e, entry size).
struct Filled {
  uint64_t first_offset = 0;
  unsigned size = 0;
  size_t count = 0;
};
Filled filled_entries(const std::string &in, const std::string &out) {
  auto before = ElfImage::load(in);
  auto after = ElfImage::load(out);
  if (!before || !after)
    return {};
  const RelaReserve r = reserved_rela_entries(*before);
  return {after->rela_entry_file_offset(r.list, r.first), after->rela_entry_size(),
          r.count - reserved_rela_entries(*after).count};
}

TEST(LiteralRelocs, VerifyFailsWhenALiteralLosesItsRelocation) {
  REQUIRE_FIXTURE("vmlinux13_pie_rela");
  TempDir dir;
  const std::string in = fixture("vmlinux13_pie_rela"), out = dir.path + "/out";
  auto o = rewrite(in, out);
  ASSERT_TRUE(o) << o.error().message();
  const Filled f = filled_entries(in, out);
  ASSERT_GT(f.count, 3u);
  auto bytes = slurp(out);

  // Zeroed: the literal has no relocation (named by its site).
  auto zeroed = bytes;
  std::fill_n(zeroed.begin() + ptrdiff_t(f.first_offset + 2 * f.size), f.size, 0);
  spill(dir.path + "/zeroed", zeroed);
  for (const std::string &against : {std::string(), in}) {
    auto v = verify(dir.path + "/zeroed", against);
    ASSERT_TRUE(v) << v.error().message();
    ASSERT_FALSE(v->ok());
    EXPECT_TRUE(mentions(*v, "has no R_RISCV_RELATIVE in .rela.dyn")) << v->problems.front();
    EXPECT_TRUE(mentions(*v, "+0x")) << v->problems.front();
    EXPECT_EQ(v->relocated_literals, f.count - 1);
  }
  // Another addend.
  auto moved = bytes;
  moved[f.first_offset + 16] ^= 0x40;
  spill(dir.path + "/addend", moved);
  auto v = verify(dir.path + "/addend");
  ASSERT_TRUE(v);
  EXPECT_TRUE(mentions(*v, "has another addend")) << (v->ok() ? "ok" : v->problems.front());
  // Twice: entry 1 relocates entry 0's literal too (and entry 1's literal
  // has none).
  auto twice = bytes;
  std::copy_n(bytes.begin() + ptrdiff_t(f.first_offset), 8,
              twice.begin() + ptrdiff_t(f.first_offset + f.size));
  spill(dir.path + "/twice", twice);
  v = verify(dir.path + "/twice");
  ASSERT_TRUE(v);
  EXPECT_TRUE(mentions(*v, "has 2 R_RISCV_RELATIVE")) << (v->ok() ? "ok" : v->problems.front());
  // A reserved entry that relocates something else (here ftrace_caller's
  // own code): only against the original is it known to be reserved.
  auto stray = bytes;
  auto orig = ElfImage::load(in);
  ASSERT_TRUE(orig);
  const uint64_t elsewhere = orig->find_symbol("ftrace_caller")->value;
  for (unsigned k = 0; k < 8; ++k)
    stray[f.first_offset + 3 * f.size + k] = uint8_t(elsewhere >> (8 * k));
  spill(dir.path + "/stray", stray);
  v = verify(dir.path + "/stray", in);
  ASSERT_TRUE(v);
  EXPECT_TRUE(mentions(*v, "is not the relocation of a trampoline literal"))
      << (v->ok() ? "ok" : v->problems.front());
}

// The post-write check (check_written) holds the output to the same rule.
TEST(LiteralRelocs, ThePostWriteCheckCatchesAMissingRelocation) {
  REQUIRE_FIXTURE("vmlinux13_pie_rela");
  auto img = ElfImage::load(fixture("vmlinux13_pie_rela"), {}, ElfImage::LoadMode::Copy);
  ASSERT_TRUE(img) << img.error().message();
  Context ctx(img.take());
  ASSERT_TRUE(run_passes(ctx, rewrite_passes()));
  ASSERT_GT(ctx.relocated_literals, 1u);
  ctx.image.set_rela(ctx.rela_reserve_list, ctx.rela_reserve_first + 1, Rela{});
  TempDir dir;
  const int fd = open((dir.path + "/out").c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  const auto ranges = ctx.image.edited_ranges();
  ASSERT_TRUE(ctx.image.write_changes_to_fd(fd, ranges, true, "out"));
  auto v = check_written(ctx, fd, ranges);
  close(fd);
  ASSERT_TRUE(v) << v.error().message();
  ASSERT_FALSE(v->ok());
  EXPECT_TRUE(mentions(*v, "has no R_RISCV_RELATIVE")) << v->problems.front();
}

// Fewer free entries than literals: an error naming both counts, nothing
// written. The run counts from the end: a non-zero entry inside the
// reservation leaves only the entries after it.
TEST(LiteralRelocs, TooFewFreeEntriesIsAnErrorAndWritesNothing) {
  REQUIRE_FIXTURE("vmlinux13_pie_rela");
  TempDir dir;
  auto img = ElfImage::load(fixture("vmlinux13_pie_rela"));
  ASSERT_TRUE(img);
  const RelaReserve r = reserved_rela_entries(*img);
  ASSERT_GT(r.count, 10u);
  auto bytes = slurp(fixture("vmlinux13_pie_rela"));
  // Entry first + 10 becomes R_RISCV_NONE at 1: not free.
  bytes[img->rela_entry_file_offset(r.list, r.first + 10)] = 1;
  const std::string in = dir.path + "/small", out = dir.path + "/out";
  spill(in, bytes);
  auto o = rewrite(in, out);
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message().find(".rela.dyn has " + std::to_string(r.count - 11) +
                                     " free entries for " + std::to_string(r.count) + " literals"),
            std::string::npos)
      << o.error().message();
  EXPECT_NE(access(out.c_str(), F_OK), 0);
  EXPECT_EQ(slurp(in), bytes);
}

// --dest 0, an image without reserved entries: literal 0, no relocation.
TEST(LiteralRelocs, LiteralZeroWithoutReservedEntriesOrWithDestZero) {
  REQUIRE_FIXTURE("vmlinux13_pie_rela");
  TempDir dir;
  Options zero;
  zero.dest = "0";
  struct Case {
    const char *fixture;
    Options options;
  } cases[] = {{"vmlinux13_pie_rela", zero}, {"vmlinux13_pie", {}}};
  for (const Case &c : cases) {
    if (access(fixture(c.fixture).c_str(), R_OK) != 0)
      continue;
    const std::string out = dir.path + "/" + c.fixture;
    auto o = rewrite(fixture(c.fixture), out, WriteMode::Changes, c.options);
    ASSERT_TRUE(o) << o.error().message();
    EXPECT_FALSE(o->ctx.relocate_literals) << c.fixture;
    EXPECT_EQ(o->ctx.dest, 0u) << c.fixture;
    EXPECT_EQ(o->verify.relocated_literals, 0u) << c.fixture;
    auto before = ElfImage::load(fixture(c.fixture));
    auto after = ElfImage::load(out);
    ASSERT_TRUE(before && after);
    EXPECT_EQ(reserved_rela_entries(*after).count, reserved_rela_entries(*before).count);
    for (const Site &s : o->ctx.sites) {
      if (s.decision != Decision::Rewrite)
        continue;
      EXPECT_EQ(word_at(*after, literal_address(s.tramp_address())), 0u) << c.fixture;
    }
  }
}

// --dest SYMBOL on ET_DYN: relocated when the entries are there, refused
// when they are not.
TEST(LiteralRelocs, DestSymbolIsRelocatedOnlyWithReservedEntries) {
  REQUIRE_FIXTURE("vmlinux13_pie_rela");
  TempDir dir;
  Options sym;
  sym.dest = "b_f05";
  auto o = rewrite(fixture("vmlinux13_pie_rela"), dir.path + "/sym", WriteMode::Changes, sym);
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_TRUE(o->ctx.relocate_literals);
  EXPECT_EQ(o->verify.relocated_literals, o->rewritten);
  if (access(fixture("vmlinux13_pie").c_str(), R_OK) == 0) {
    auto refused = rewrite(fixture("vmlinux13_pie"), dir.path + "/refused", WriteMode::Changes, sym);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message().find("position-independent"), std::string::npos);
  }
}

} // namespace
