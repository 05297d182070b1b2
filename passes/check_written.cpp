// SPDX-License-Identifier: GPL-2.0-only
// The output check of a rewrite that wrote only what changed. The old check
// parsed the written image again, located its entries and compared every
// byte with the input: most of a rewrite's time, for bytes the kernel had
// just copied from the input. Here the edit list says which bytes can
// differ: those ranges are read back from the output and checked, the rest
// is the input's by construction.
#include "passes.h"
#include "heap.h"
#include "sort_keys.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <elf.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rvtramp {
namespace {

// One bit per byte of the file: 1 where the rewrite may change it. A byte
// mask rather than sorted ranges: a __mcount_loc comes in table order, and
// filling the mask is one pass over the sites with no sort.
class AllowedBytes {
public:
  explicit AllowedBytes(uint64_t size) : bits_(size / 64 + 1, 0) {}
  // A word at a time: a sorted __mcount_loc allows its whole table (4 MiB
  // at 500K sites).
  void allow(uint64_t lo, uint64_t len) {
    const uint64_t hi = std::min<uint64_t>(lo + len, uint64_t(bits_.size()) * 64);
    while (lo < hi) {
      const uint64_t first = lo % 64, n = std::min<uint64_t>(64 - first, hi - lo);
      bits_[lo / 64] |= n == 64 ? ~uint64_t(0) : ((uint64_t(1) << n) - 1) << first;
      lo += n;
    }
  }
  // The bits of bytes [64 * block, 64 * block + 64): bit i for byte i.
  uint64_t block(uint64_t block) const { return block < bits_.size() ? bits_[block] : 0; }
  // Gives the memory back (1 bit per byte of the file, 12 MiB at 500K
  // sites), so that what comes after the comparison does not add to it.
  void release() { std::vector<uint64_t>().swap(bits_); }
  // The first position >= at whose bit is `value`, or end.
  uint64_t next(uint64_t at, uint64_t end, bool value) const {
    while (at < end) {
      uint64_t word = bits_[at / 64];
      if (!value)
        word = ~word;
      word &= ~uint64_t(0) << (at % 64);
      if (word)
        return std::min(end, at / 64 * 64 + uint64_t(__builtin_ctzll(word)));
      at = at / 64 * 64 + 64;
    }
    return end;
  }

private:
  std::vector<uint64_t> bits_;
};

Status pread_all(int fd, uint8_t *p, size_t n, uint64_t at) {
  while (n) {
    const ssize_t r = ::pread(fd, p, n, off_t(at));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return make_error("", r < 0 ? std::strerror(errno) : "the output is shorter than written");
    p += r;
    at += uint64_t(r);
    n -= size_t(r);
  }
  return Status::ok();
}

// Bit i set where a[i] != b[i], for 64 bytes: one compare per 16 bytes.
uint64_t differing_bytes64(const uint8_t *a, const uint8_t *b) {
#if defined(__SSE2__)
  uint64_t equal = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(a + 16 * i));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + 16 * i));
    equal |= uint64_t(uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)))) << (16 * i);
  }
  return ~equal;
#else
  uint64_t differ = 0;
  for (unsigned i = 0; i < 64; ++i)
    differ |= uint64_t(a[i] != b[i]) << i;
  return differ;
#endif
}

// Set bits of x, without a call (no popcount instruction in the baseline
// x86-64 the package targets: libgcc's __popcountdi2).
unsigned bit_count(uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return unsigned((x * 0x0101010101010101ull) >> 56);
}

uint64_t read_le(const uint8_t *p, unsigned width) {
  uint64_t v = 0;
  for (unsigned i = 0; i < width; ++i)
    v |= uint64_t(p[i]) << (8 * i);
  return v;
}

} // namespace

Expected<VerifyResult> check_written(const Context &ctx, int fd,
                                     const std::vector<ElfImage::FileRange> &ranges,
                                     uint64_t two_threads_from) {
  const ElfImage &img = ctx.image;
  VerifyResult res;
  auto problem = [&](std::string what) {
    if (res.problems.size() < 50)
      res.problems.push_back(std::move(what));
  };
  const uint64_t size = img.file_size();
  const std::span<const uint8_t> edited = img.current_bytes();
  const unsigned w = img.word_size();
  struct stat st {};
  if (fstat(fd, &st) != 0)
    return img.error(std::string("cannot check the output: ") + std::strerror(errno));
  if (uint64_t(st.st_size) != size) {
    problem("the output has " + std::to_string(st.st_size) + " bytes, the input " +
            std::to_string(size));
    return res;
  }

  // The __mcount_loc order check runs first, before the byte mask below
  // exists: it holds three copies of the table (12 MiB at 500K sites), the
  // mask as much, and the two together were the peak of a rewrite's memory
  // (its pages did not go to the mask's). It reads the edited image, which
  // the comparison then proves is what the output holds; its findings are
  // added where they always came, after the layouts'. An unsorted table
  // is a problem once the image holds trampolines: those planned, or found.
  VerifyResult order;
  order.disabled = std::any_of(ctx.sites.begin(), ctx.sites.end(), [](const Site &s) {
    return !(s.sources & uint8_t(SiteSource::McountCall)) &&
           (s.decision == Decision::Rewrite || s.state == SiteState::Disabled ||
            s.state == SiteState::Enabled);
  });
  check_mcount_order(ctx, &ctx, order);
  return_free_heap_pages(); // its copies' pages: back before the mask takes as many

  // What may change: the regions of rewritten sites, the table entries and
  // addends emit moves, a sortable __mcount_loc as a whole (it is sorted),
  // the raised sh_addralign of an object's text.
  AllowedBytes may(size);
  std::vector<McountTable> sorted_tables;
  if (!img.is_relocatable()) // a linked image, ET_EXEC or ET_DYN: emit sorts it
    sorted_tables = sortable_mcount_tables(img);
  for (const McountTable &t : sorted_tables) {
    may.allow(img.section(t.section).offset + t.lo, t.hi - t.lo);
    for (const auto &[l, e] : t.relatives)
      may.allow(img.rela_addend_file_offset(l, e), w);
  }
  auto in_sorted = [&](const TableRef &r) {
    return std::any_of(sorted_tables.begin(), sorted_tables.end(), [&](const McountTable &m) {
      return !r.via_rela && m.section == r.table_section && r.entry_offset >= m.lo &&
             r.entry_offset < m.hi;
    });
  };
  // Addends of relocations naming a moved site must have moved by +2 (a
  // sorted table's are permuted instead): by file offset, as (offset, site)
  // keys, checked against the originals the range loop reads anyway.
  std::vector<KeyPair> moved;
  std::vector<bool> text_edited(img.sections().size(), false);
  for (const Site &s : ctx.sites) {
    if (s.decision != Decision::Rewrite)
      continue;
    text_edited[s.section] = true;
    may.allow(img.section(s.section).offset + s.offset, s.region_size);
    if (!s.fixup)
      continue; // P = S: every table entry still names it
    const uint64_t site = uint64_t(&s - ctx.sites.data());
    for (const TableRef &r : ctx.refs_of(s)) {
      if (r.via_rela) {
        const uint64_t at = img.rela_addend_file_offset(r.rela_list, r.rela_entry);
        may.allow(at, w);
        moved.push_back({at, site << 32 | moved.size()});
      } else {
        may.allow(img.section(r.table_section).offset + r.entry_offset, w);
      }
      if (r.has_relative) {
        const uint64_t at = img.rela_addend_file_offset(r.relative_list, r.relative_entry);
        may.allow(at, w);
        if (!in_sorted(r))
          moved.push_back({at, site << 32 | moved.size()});
      }
    }
  }
  sort_key_pairs(moved);
  constexpr uint64_t kMovedChecked = uint64_t(1) << 31; // in .second, below the site
  auto moved_ok = [&](const KeyPair &m, const uint8_t *was) {
    const uint64_t mask = w == 8 ? ~uint64_t(0) : 0xffffffffu;
    return read_le(edited.data() + m.first, w) == ((read_le(was, w) + 2) & mask);
  };
  auto moved_problem = [&](const KeyPair &m) {
    const Site &s = ctx.sites[m.second >> 32];
    return site_owner(s) + ": a table entry does not name " + hex(s.tramp_address());
  };
  // The reserved .rela.dyn entries filled with literal relocations.
  if (ctx.relocated_literals)
    may.allow(img.rela_entry_file_offset(ctx.rela_reserve_list, ctx.rela_reserve_first),
              ctx.relocated_literals * img.rela_entry_size());
  if (img.is_relocatable())
    for (size_t i = 0; i < text_edited.size(); ++i)
      if (text_edited[i])
        may.allow(img.addralign_file_offset(i), w);

  // Each edited range, a chunk at a time: read back from the output, equal
  // to the edited image; against the input (read from the file), equal
  // outside what may change. Reading both files is most of the check: a
  // large output's ranges are split in two halves by bytes, one thread
  // each (each chunk's moved addends are its own, so no two threads touch
  // one entry of `moved`).
  auto where = [&](uint64_t at) {
    if (const Section *s = img.section_at_offset(at))
      return s->name + "+" + hex(at - s->offset);
    return "file offset " + hex(at);
  };
  // Two 256 KiB buffers per part stay in a core's L2 between the reads and
  // the comparisons (1 MiB chunks went out to memory and back).
  constexpr uint64_t kChunk = uint64_t(1) << 18;
  struct Part {
    std::vector<ElfImage::FileRange> ranges;
    // Sized by the caller's thread, before the other starts: from the
    // main heap (huge pages in a large rewrite) rather than the second
    // thread's arena, where zeroing them took 128 faults of 4 KiB (4 ms on
    // this virtual machine).
    std::vector<uint8_t> written, original;
    std::vector<std::string> problems;
    uint64_t compared = 0;
    uint64_t changed = 0; // bytes that differ from the input
    Status status = Status::ok();
  };
  auto compare = [&](Part &part) {
    std::vector<uint8_t> &written = part.written, &original = part.original;
    for (const ElfImage::FileRange &r : part.ranges) {
      for (uint64_t lo = r.lo; lo < r.hi; lo += kChunk) {
        const uint64_t hi = std::min(r.hi, lo + kChunk), n = hi - lo;
        written.resize(n);
        original.resize(n);
        if (Status got = pread_all(fd, written.data(), n, lo); !got) {
          part.status = img.error("cannot read the output back: " + got.error().what);
          return;
        }
        part.compared += n;
        if (std::memcmp(written.data(), edited.data() + lo, n) != 0) {
          const uint64_t off = uint64_t(std::mismatch(written.begin(), written.end(),
                                                      edited.begin() + ptrdiff_t(lo)).first -
                                        written.begin());
          part.problems.push_back(where(lo + off) + ": the output does not hold the bytes written");
          return;
        }
        if (Status got = img.read_original_at(lo, original); !got) {
          part.status = got;
          return;
        }
        for (auto m = std::lower_bound(moved.begin(), moved.end(), KeyPair{lo, 0});
             m != moved.end() && m->first + w <= hi; ++m) {
          if (!moved_ok(*m, original.data() + (m->first - lo)) && part.problems.size() < 50)
            part.problems.push_back(moved_problem(*m));
          m->second |= kMovedChecked;
        }
        // 64 bytes at a time against one word of the mask: the bytes that
        // differ must all be allowed, and are counted. A segment at a time
        // (a memcmp and a count between two mask searches per region) was
        // 1.7 ms per 10 MiB at 122K sites, a call pair per 190 bytes.
        // Ranges start on an edit block (64 bytes); a byte at a time
        // otherwise, and for the file's last bytes.
        auto one_byte = [&](uint64_t b) {
          if (original[b - lo] == written[b - lo])
            return true;
          if (may.next(b, b + 1, true) != b) {
            part.problems.push_back(where(b) + ": byte differs outside the rewritten regions");
            return false;
          }
          ++part.changed;
          return true;
        };
        uint64_t at = lo;
        for (; at < hi && at % 64 != 0; ++at)
          if (!one_byte(at))
            return;
        for (; at + 64 <= hi; at += 64) {
          const uint64_t differ =
              differing_bytes64(original.data() + (at - lo), written.data() + (at - lo));
          if (!differ)
            continue; // most blocks of an edited range
          if (const uint64_t outside = differ & ~may.block(at / 64)) {
            part.problems.push_back(where(at + uint64_t(__builtin_ctzll(outside))) +
                                    ": byte differs outside the rewritten regions");
            return;
          }
          part.changed += bit_count(differ);
        }
        for (; at < hi; ++at)
          if (!one_byte(at))
            return;
      }
    }
  };
  Part parts[2];
  uint64_t total = 0;
  for (const ElfImage::FileRange &r : ranges)
    total += r.hi - r.lo;
  // A module (a few KiB) stays on one thread: starting one costs more.
  if (total >= two_threads_from && std::thread::hardware_concurrency() > 1) {
    uint64_t left = total / 2 / ElfImage::kEditBlock * ElfImage::kEditBlock;
    for (const ElfImage::FileRange &r : ranges) {
      const uint64_t take = std::min(left, r.hi - r.lo);
      if (take)
        parts[0].ranges.push_back({r.lo, r.lo + take});
      if (take < r.hi - r.lo)
        parts[1].ranges.push_back({r.lo + take, r.hi});
      left -= take;
    }
    for (Part &part : parts) {
      part.written.resize(kChunk);
      part.original.resize(kChunk);
    }
    std::thread other([&] { compare(parts[1]); });
    compare(parts[0]);
    other.join();
  } else {
    parts[0].ranges = ranges;
    compare(parts[0]);
  }
  may.release(); // only the comparison above reads it
  for (Part &part : parts) {
    RVT_TRY(part.status);
    res.compared_bytes += part.compared;
    res.changed_bytes = res.changed_bytes.value_or(0) + part.changed;
    for (std::string &p : part.problems)
      problem(std::move(p));
  }
  if (!res.ok())
    return res;

  // Every rewritten site holds its layout; the bytes read back above are
  // the edited image's, so it is read from memory.
  const uint8_t cnop[2] = {uint8_t(riscv::kCNop & 0xff), uint8_t(riscv::kCNop >> 8)};
  // Per layout (A4, A8), the last bytes match_trampoline found right: the
  // sites of an image hold two byte patterns, so most are one memcmp.
  std::array<uint8_t, riscv::kTrampolineSize> matched_bytes[2] = {};
  bool matched[2] = {false, false};
  for (const Site &s : ctx.sites) {
    ++res.entries;
    if (s.sources & uint8_t(SiteSource::McountCall)) {
      ++res.calls;
      continue;
    }
    if (s.decision != Decision::Rewrite) {
      // Left alone (and unchanged, above): counted as it was found.
      if (s.state == SiteState::Disabled)
        ++res.disabled;
      else if (s.state == SiteState::Enabled)
        ++res.enabled;
      else
        ++res.untouched;
      continue;
    }
    const uint64_t at = img.section(s.section).offset + s.offset;
    const uint64_t p = s.tramp_address();
    const std::span<const uint8_t> bytes =
        edited.subspan(at + (s.fixup ? 2 : 0), riscv::kTrampolineSize);
    // match_trampoline's answer depends on the bytes, the layout and P
    // being 4-aligned only: bytes equal to ones it found right for that
    // layout are right too.
    const size_t li = riscv::layout_for(p) == riscv::Layout::A8;
    bool right = matched[li] && (p & 3) == 0 && std::memcmp(bytes.data(), matched_bytes[li].data(),
                                            riscv::kTrampolineSize) == 0;
    if (!right) {
      // The disabled toggle in the form planned, not merely one verify accepts.
      const auto t = riscv::match_trampoline(bytes, p, ctx.xlen, ctx.rvc());
      right = t && t->layout == riscv::layout_for(p) && t->state == ctx.options.state &&
              t->dest == ctx.dest &&
              (t->state == riscv::ToggleState::Enabled || t->form == ctx.disabled_toggle);
      if (right) {
        std::copy(bytes.begin(), bytes.end(), matched_bytes[li].begin());
        matched[li] = true;
      }
    }
    if (!right || (s.fixup && std::memcmp(edited.data() + at, cnop, 2) != 0)) {
      problem(site_owner(s) + ": the written bytes at " + hex(p) +
              " are not the planned layout");
      continue;
    }
    ++(ctx.options.state == riscv::ToggleState::Disabled ? res.disabled : res.enabled);
    res.disabled_j += ctx.rvc() && ctx.options.state == riscv::ToggleState::Disabled &&
                      ctx.disabled_toggle == riscv::DisabledToggle::J;
    if (!s.fixup)
      continue;
    // Entries of a moved site name P: a relocation's addend moved by +2;
    // an absolute word now P (0 when its RELATIVE addend carries it). A
    // sortable __mcount_loc is permuted and checked as a whole below.
    for (const TableRef &r : ctx.refs_of(s)) {
      if (r.via_rela || in_sorted(r))
        continue; // addends: above; a sorted table: check_mcount_order
      const uint64_t word =
          read_le(edited.data() + img.section(r.table_section).offset + r.entry_offset, w);
      if (word != (p & (w == 8 ? ~uint64_t(0) : 0xffffffffu)) && !(word == 0 && r.has_relative))
        problem(site_owner(s) + ": a table entry does not name " + hex(p));
    }
  }
  // Addends the range loop did not reach (an addend that should have moved
  // but was never edited, or one across a chunk boundary): one read each.
  for (const KeyPair &m : moved) {
    if (m.second & kMovedChecked)
      continue;
    uint8_t was[8] = {};
    RVT_TRY(img.read_original_at(m.first, std::span(was, w)));
    if (!moved_ok(m, was))
      problem(moved_problem(m));
  }
  // Each literal that moves with the image has its relocation, and the
  // reserved entries hold nothing else.
  const RelaReserve reserve = original_rela_reserve(ctx);
  check_literal_relocations(ctx, nullptr, &reserve, res);
  res.sorted_entries += order.sorted_entries;
  res.mcount_entries += order.mcount_entries;
  res.mcount_matched += order.mcount_matched;
  for (std::string &p : order.problems)
    problem(std::move(p));
  return res;
}

} // namespace rvtramp
