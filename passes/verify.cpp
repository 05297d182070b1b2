// SPDX-License-Identifier: GPL-2.0-only
// Verification: every table entry names a well-formed layout (either state),
// re-decoded with Capstone, toggle 4-aligned and literal naturally aligned; or
// still-reserved nops for sites left alone. Against the original file, every
// byte outside the rewritten regions, the table entries and the relocations
// the rewrite may change must be identical. A linked executable's
// __mcount_loc must be in ascending order, holding the original's entries
// (moved to P where a site moved).
#include "passes.h"
#include "sort_keys.h"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <future>
#include <set>

namespace rvtramp {
namespace {

// Byte ranges of one section that a rewrite may change.
using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

// By start only (the gap walk below takes the furthest end seen). A
// section's sites come in order; a __mcount_loc's entries come in site
// order, not table order, and are sorted in place (no second array).
void sort_by_start(Ranges &ranges) {
  auto by_start = [](const auto &x, const auto &y) { return x.first < y.first; };
  if (!std::is_sorted(ranges.begin(), ranges.end(), by_start))
    std::sort(ranges.begin(), ranges.end(), by_start);
}

void compare_against(const ElfImage &b, const Context &orig, VerifyResult &res) {
  const ElfImage &a = orig.image;
  auto problem = [&](std::string what) {
    if (res.problems.size() < 50)
      res.problems.push_back(std::move(what));
  };
  if (a.type() != b.type() || a.is64() != b.is64()) {
    problem("ELF type or class differs from the original");
    return;
  }
  if (b.sections().size() < a.sections().size()) {
    problem("the output has fewer sections than the original");
    return;
  }
  // Site regions, per section, in site (so offset) order; table entries as
  // a byte mask of their section: a __mcount_loc is in table order, not site
  // order, and a mask needs no sort and 1/64 of the memory of ranges.
  std::vector<Ranges> may_change(a.sections().size());
  std::vector<std::vector<uint64_t>> entry_mask(a.sections().size());
  std::set<std::pair<size_t, size_t>> movable_addends;
  {
    std::vector<size_t> count(a.sections().size(), 0);
    for (const Site &s : orig.sites)
      ++count[s.section];
    for (size_t i = 0; i < count.size(); ++i)
      may_change[i].reserve(count[i]); // no regrowth at 5 * 10^5 sites
  }
  for (const Site &s : orig.sites) {
    const Section &sec = a.section(s.section);
    may_change[s.section].push_back(
        {s.offset, std::min<uint64_t>(sec.size, s.offset + riscv::kFixupSize)});
    for (const TableRef &r : orig.refs_of(s)) {
      if (r.via_rela) {
        movable_addends.insert({r.rela_list, r.rela_entry});
      } else {
        auto &mask = entry_mask[r.table_section];
        const uint64_t size = a.section(r.table_section).size;
        if (mask.empty())
          mask.assign(size / 64 + 1, 0);
        for (uint64_t k = r.entry_offset; k < std::min(size, r.entry_offset + a.word_size()); ++k)
          mask[k / 64] |= uint64_t(1) << (k % 64);
      }
      if (r.has_relative)
        movable_addends.insert({r.relative_list, r.relative_entry});
    }
  }
  // A sortable __mcount_loc (a linked image) may be permuted as a whole,
  // words and RELATIVE addends alike: check_mcount_order compares its
  // entries instead.
  if (!a.is_relocatable())
    for (const McountTable &t : sortable_mcount_tables(a)) {
      auto &mask = entry_mask[t.section];
      if (mask.empty())
        mask.assign(a.section(t.section).size / 64 + 1, 0);
      for (uint64_t k = t.lo; k < t.hi; ++k)
        mask[k / 64] |= uint64_t(1) << (k % 64);
      for (const auto &r : t.relatives)
        movable_addends.insert(r);
    }
  // Originals are read back a chunk at a time: 1 MiB, or the largest
  // compared section when smaller (a module is a few KiB; zeroing 1 MiB per
  // check was most of a small file's verification).
  uint64_t largest = 0;
  for (const Section &x : a.sections())
    if (x.has_file_bytes() && x.type != SHT_RELA)
      largest = std::max(largest, x.size);
  std::vector<uint8_t> original(std::min<uint64_t>(largest, uint64_t(1) << 20));
  // New sections (--emit-mcount-loc) append their names to the name table.
  const size_t name_table = a.section_name_table();
  for (size_t i = 1; i < a.sections().size(); ++i) {
    const Section &x = a.section(i), &y = b.section(i);
    if (x.name != y.name || x.type != y.type || x.flags != y.flags || x.addr != y.addr ||
        x.link != y.link || x.info != y.info || x.entsize != y.entsize) {
      problem("section " + x.name + ": header differs from the original");
      continue;
    }
    // 0 and 1 both mean "no alignment" (libelf writes 1 when it lays out).
    auto align = [](uint64_t v) { return v <= 1 ? uint64_t(1) : v; };
    if (align(y.addralign) != align(x.addralign) && !(x.executable() && y.addralign == 8)) {
      problem("section " + x.name + ": sh_addralign changed from " + std::to_string(x.addralign) +
              " to " + std::to_string(y.addralign));
    }
    // Relocation tables are compared entry by entry below (addends may move).
    if (!x.has_file_bytes() || x.type == SHT_RELA)
      continue;
    const bool grows = i == name_table && b.sections().size() > a.sections().size();
    if (x.size != y.size && !(grows && y.size > x.size)) {
      problem("section " + x.name + ": size differs from the original");
      continue;
    }
    auto yb = b.read(i, 0, x.size);
    if (!yb) {
      problem("section " + x.name + ": unreadable");
      continue;
    }
    auto &ranges = may_change[i];
    sort_by_start(ranges);
    ReleaseBehind behind(b); // the checked file's pages, once compared
    const std::vector<uint64_t> &mask = entry_mask[i];
    // memcmp the gaps between the (sorted, possibly overlapping) ranges that
    // may change against the original, read a chunk at a time (edits are in
    // place, so a mapped input's originals come back from the file).
    uint64_t chunk_lo = 0, chunk_hi = 0; // what original holds
    auto compare_gap = [&](uint64_t lo, uint64_t end) {
      end = std::min(end, x.size);
      for (uint64_t at = lo; at < end;) {
        if (at < chunk_lo || at >= chunk_hi) {
          chunk_lo = at;
          chunk_hi = std::min(x.size, at + original.size());
          if (!a.read_original(i, chunk_lo, std::span(original.data(), chunk_hi - chunk_lo))) {
            problem("section " + x.name + ": original bytes unreadable");
            return false;
          }
        }
        const uint64_t n = std::min(end, chunk_hi) - at;
        const uint8_t *was = original.data() + (at - chunk_lo), *now = yb->data() + at;
        if (std::memcmp(was, now, n) != 0) {
          const uint64_t off = at + uint64_t(std::mismatch(was, was + n, now).first - was);
          if (!mask.empty() && (mask[off / 64] >> (off % 64) & 1)) {
            at = off + 1; // a table entry that may move: go on after it
            continue;
          }
          // Where it is as readelf and objdump show it: section offset,
          // address, and in code the nearest symbol.
          std::string where = "section " + x.name + "+" + hex(off);
          if (x.flags & SHF_ALLOC)
            where += " (" + hex(x.addr + off) +
                     (x.executable() ? " " + address_name(orig, i, x.addr + off) : "") + ")";
          char bytes[48];
          std::snprintf(bytes, sizeof bytes, ": 0x%02x, the original has 0x%02x",
                        unsigned(now[off - at]), unsigned(was[off - at]));
          problem(where + ": byte differs outside the rewritten regions" + bytes);
          return false;
        }
        at += n;
        behind.at(y.offset + at);
      }
      return true;
    };
    uint64_t gap = 0;
    bool same = true;
    for (const auto &[lo, hi] : ranges) {
      if (!(same = compare_gap(gap, lo)))
        break;
      gap = std::max(gap, hi);
    }
    if (same)
      compare_gap(gap, x.size);
    res.compared_bytes += x.size;
  }
  // Added relocation sections (--emit-mcount-loc) come after the original ones.
  bool extra_ok = b.relas().size() >= a.relas().size();
  for (size_t l = a.relas().size(); extra_ok && l < b.relas().size(); ++l)
    extra_ok = b.relas()[l].index >= a.sections().size();
  if (!extra_ok) {
    problem("relocation sections differ from the original's");
    return;
  }
  // The reserved zero entries at the end of .rela.dyn may now be literal
  // relocations: check_literal_relocations says whether they are right.
  const RelaReserve reserve = original_rela_reserve(orig);
  for (size_t l = 0; l < a.relas().size(); ++l) {
    const auto &xe = a.relas()[l].entries, &ye = b.relas()[l].entries;
    if (xe.size() != ye.size()) {
      problem("section " + a.section(a.relas()[l].index).name + ": relocation count changed");
      continue;
    }
    for (size_t e = 0; e < xe.size(); ++e) {
      if (reserve.count && l == reserve.list && e >= reserve.first && ye[e].type == R_RISCV_RELATIVE &&
          ye[e].sym == 0 && xe[e].offset == 0 && xe[e].type == 0 && xe[e].sym == 0 &&
          xe[e].addend == 0)
        continue;
      const bool addend_ok = xe[e].addend == ye[e].addend || movable_addends.count({l, e});
      if (xe[e].offset != ye[e].offset || xe[e].type != ye[e].type || xe[e].sym != ye[e].sym ||
          !addend_ok) {
        // Which relocation, where it applies (symbol+0xOFF in code), and
        // what changed, as readelf -r would show the two.
        const size_t target = a.relas()[l].target;
        std::string where = "offset " + hex(xe[e].offset);
        if (target && target < a.sections().size() && a.section(target).executable())
          where += " " + address_name(orig, target, a.section(target).addr + xe[e].offset);
        auto shown = [](const Rela &r) {
          return std::string(riscv_reloc_name(r.type)) + " sym " + std::to_string(r.sym) +
                 " at " + hex(r.offset) + " + " + std::to_string(r.addend);
        };
        problem("section " + a.section(a.relas()[l].index).name + ": relocation " +
                std::to_string(e) + " (" + where + ") changed: " + shown(ye[e]) +
                ", the original has " + shown(xe[e]));
        break;
      }
    }
  }
}

} // namespace

namespace {

// Instructions as objdump would list them, "; "-separated: what a failure
// shows next to what was expected. The literal of a layout is data and
// shows as such; anything else decodes as it comes (Capstone skips an
// undecodable halfword, which shows as ".2byte").
std::string render_region(const riscv::Decoder &decoder, std::span<const uint8_t> bytes,
                          uint64_t address, std::optional<riscv::Layout> literal_of) {
  std::string out;
  auto add = [&](const std::string &text) { out += (out.empty() ? "" : "; ") + text; };
  uint64_t at = 0;
  const uint64_t literal = literal_of ? riscv::literal_offset(*literal_of) : UINT64_MAX;
  while (at + 2 <= bytes.size()) {
    if (at == literal && at + 8 <= bytes.size()) {
      uint64_t v = 0;
      for (unsigned k = 0; k < 8; ++k)
        v |= uint64_t(bytes[at + k]) << (8 * k);
      add("<literal " + hex(v) + ">");
      at += 8;
      continue;
    }
    const uint64_t len = (bytes[at] & 3) == 3 ? 4 : 2;
    if (at + len > bytes.size())
      break;
    auto insn = decoder.decode(bytes.subspan(at, len), address + at);
    if (insn.size() == 1 && insn[0].size == len) {
      // Capstone prints a jump's offset; objdump, and a reader comparing
      // found with expected, want where it goes.
      std::string operands = insn[0].operands;
      if (insn[0].branch_target) {
        const auto comma = operands.rfind(", ");
        operands = (comma == std::string::npos ? "" : operands.substr(0, comma + 2)) +
                   hex(*insn[0].branch_target);
      }
      add(insn[0].mnemonic + (operands.empty() ? "" : " " + operands));
    } else {
      char word[24];
      std::snprintf(word, sizeof word, len == 4 ? ".4byte 0x%08x" : ".2byte 0x%04x",
                    unsigned(bytes[at] | bytes[at + 1] << 8 |
                             (len == 4 ? bytes[at + 2] << 16 | unsigned(bytes[at + 3]) << 24 : 0)));
      add(word);
    }
    at += len;
  }
  return out;
}

// The layout at P as rvtramp writes it, in the toggle state found there
// (disabled: in the form rvtramp writes for the image); any literal is
// right, so it shows as "<literal>".
std::string expected_layout(const riscv::Decoder &decoder, uint64_t p, riscv::Xlen xlen,
                            riscv::ToggleState state, riscv::DisabledToggle form) {
  const riscv::Layout layout = riscv::layout_for(p);
  const auto want = riscv::build_trampoline(layout, xlen, state, 0, form);
  std::string text = render_region(decoder, want, p, layout);
  const std::string zero = "<literal 0x0>";
  if (const auto at = text.find(zero); at != std::string::npos)
    text.replace(at, zero.size(), "<literal>");
  return text;
}

// Every table entry of ctx names a well-formed layout or reserved nops.
void check_entries(const Context &ctx, const Context *original, VerifyResult &res) {
  const ElfImage &img = ctx.image;
  // What the kernel accepts as a disabled toggle: with RVC c.j (what
  // rvtramp writes) or j (what it wrote before, which the kernel converts);
  // without RVC only j. Expected layouts are shown in the form written.
  const bool rvc = ctx.rvc();
  const riscv::DisabledToggle written_form =
      rvc ? riscv::DisabledToggle::CJ : riscv::DisabledToggle::J;
  const std::string other_toggles =
      rvc ? " (or the toggle j .+24, or auipc t0, 0)" : " (or the toggle auipc t0, 0)";
  // One table entry as the check sees it: from a Site (run_locate) or a
  // CheckedEntry (run_locate_entries, which has no owners).
  struct Entry {
    uint64_t address, offset;
    uint32_t section;
    SiteState state;
    uint8_t sources;
    const Site *site; // null for a CheckedEntry
  };
  // Name an entry "ADDRESS symbol+0xOFF": through its own site, else
  // through the original's sites (a checked file located without owners),
  // else the nearest symbol before it.
  auto name_of = [&](const Entry &s) {
    if (s.site)
      return site_name(ctx, *s.site);
    if (original) {
      const auto &o = original->sites;
      auto it = std::lower_bound(o.begin(), o.end(), s, [](const Site &a, const Entry &b) {
        return a.address != b.address ? a.address < b.address : a.section < b.section;
      });
      // The entry may have moved from S to P = S + 2 (a fixup).
      if (it != o.end() && it->section == s.section && it->address == s.address)
        return site_owner(*it);
      if (it != o.begin() && std::prev(it)->section == s.section &&
          std::prev(it)->address + 2 == s.address && std::prev(it)->owner)
        return std::string(std::prev(it)->function()) + "+" +
               hex(std::prev(it)->function_offset() + 2);
      return address_name(*original, s.section, s.address);
    }
    return address_name(ctx, s.section, s.address);
  };
  auto owner = [&](const Entry &s) { return hex(s.address) + " " + name_of(s); };

  // Against the original, a site it already had as something other than
  // nops was skipped ("not nops") and left alone: that is not a failure.
  std::set<std::pair<size_t, uint64_t>> left_alone;
  if (original)
    for (const Site &s : original->sites)
      if (s.state == SiteState::Other)
        left_alone.insert({s.section, s.offset});
  const size_t n = ctx.sites.empty() ? ctx.entries.size() : ctx.sites.size();
  ReleaseBehind behind(img); // entries come in address order
  for (size_t k = 0; k < n; ++k) {
    Entry s;
    if (ctx.sites.empty()) {
      const CheckedEntry &e = ctx.entries[k];
      s = {e.address, e.address - img.section(e.section).addr, e.section, e.state, e.sources,
           nullptr};
    } else {
      const Site &x = ctx.sites[k];
      s = {x.address, x.offset, x.section, x.state, x.sources, &x};
    }
    ++res.entries;
    behind.at(img.section(s.section).offset + s.offset);
    if (s.sources & uint8_t(SiteSource::McountCall)) {
      ++res.calls;
      if (res.not_trampolines.size() < kListedNotTrampolines)
        res.not_trampolines.push_back(owner(s) + " (call _mcount)");
      continue;
    }
    auto not_trampoline = [&] {
      ++res.untouched;
      if (res.not_trampolines.size() < kListedNotTrampolines)
        res.not_trampolines.push_back(owner(s));
    };
    switch (s.state) {
    case SiteState::Nops:
      not_trampoline();
      continue;
    case SiteState::Other: {
      if (left_alone.count({s.section, s.offset})) {
        not_trampoline();
        continue;
      }
      const Section &sec = img.section(s.section);
      auto found = img.read(s.section, s.offset,
                            std::min<uint64_t>(riscv::kTrampolineSize, sec.size - s.offset));
      // A damaged trampoline still starts with a toggle: show its literal
      // as data, not as instructions decoded from it.
      std::optional<riscv::Layout> literal;
      std::string why;
      if (found && found->size() >= 4 && (s.address & 3) == 0) {
        const uint32_t first = uint32_t((*found)[0]) | uint32_t((*found)[1]) << 8 |
                               uint32_t((*found)[2]) << 16 | uint32_t((*found)[3]) << 24;
        const uint32_t cj = riscv::toggle_word(riscv::ToggleState::Disabled,
                                               riscv::DisabledToggle::CJ);
        if (first == riscv::toggle_word(riscv::ToggleState::Disabled, riscv::DisabledToggle::J) ||
            first == cj ||
            first == riscv::toggle_word(riscv::ToggleState::Enabled, riscv::DisabledToggle::J))
          literal = riscv::layout_for(s.address);
        // match_trampoline takes a c.j toggle for a trampoline only with RVC.
        if (first == cj && !rvc)
          why = " (a c.j toggle in an image without the C extension, no EF_RISCV_RVC in "
                "e_flags: an illegal instruction there)";
      }
      res.problems.push_back(
          owner(s) + ": neither a trampoline nor reserved nops" + why + ": found " +
          (found ? render_region(*ctx.decoder, *found, s.address, literal)
                 : found.error().what) +
          "; expected nops, or " + (s.address & 3 ? "c.nop; " : "") +
          expected_layout(*ctx.decoder, (s.address + 3) & ~uint64_t(3), ctx.xlen,
                          riscv::ToggleState::Disabled, written_form) +
          other_toggles);
      continue;
    }
    case SiteState::Disabled:
    case SiteState::Enabled:
      break;
    }
    auto bytes = img.read(s.section, s.offset, riscv::kTrampolineSize);
    if (!bytes) {
      res.problems.push_back(owner(s) + ": " + bytes.error().what);
      continue;
    }
    if (auto bad = riscv::check_decoded_trampoline(*ctx.decoder, *bytes, s.address, ctx.xlen,
                                                   rvc)) {
      const auto state = s.state == SiteState::Enabled ? riscv::ToggleState::Enabled
                                                       : riscv::ToggleState::Disabled;
      const riscv::Layout layout = riscv::layout_for(s.address);
      res.problems.push_back(owner(s) + ": malformed " + riscv::layout_name(layout) +
                             " trampoline (" + *bad + "): found " +
                             render_region(*ctx.decoder, *bytes, s.address, layout) +
                             "; expected " +
                             expected_layout(*ctx.decoder, s.address, ctx.xlen, state,
                                             written_form));
      continue;
    }
    ++(s.state == SiteState::Disabled ? res.disabled : res.enabled);
    // An RVC image's j toggles: accepted (the kernel converts them at
    // init), counted so that a build can see they are not the form written.
    if (s.state == SiteState::Disabled && rvc) {
      const auto t = riscv::match_trampoline(*bytes, s.address, ctx.xlen, rvc);
      res.disabled_j += t && t->form == riscv::DisabledToggle::J;
    }
  }
}
} // namespace

// A linked image (ET_EXEC, or ET_DYN: a relocatable vmlinux, whose entries
// are R_RISCV_RELATIVE addends): each sortable __mcount_loc ascending once the image holds
// trampolines (rvtramp wrote it, and rewrite sorts: an image never rewritten
// keeps the link's order), and, against the original, the same entries: each
// is an original one, or one moved by +2 (a fixup), and none is lost or
// doubled.
void check_mcount_order(const Context &ctx, const Context *original, VerifyResult &res) {
  const ElfImage &img = ctx.image;
  if (img.is_relocatable())
    return;
  // A table word as "0xADDR symbol+0xOFF" (the original's symbols when
  // there is one: the checked file may be located without them).
  auto entry = [&](uint64_t value) {
    const Section *sec = img.section_at_addr(value);
    if (!sec)
      return hex(value);
    return hex(value) + " " + address_name(original ? *original : ctx, sec->index, value);
  };
  auto problem = [&](std::string what) {
    if (res.problems.size() < 50)
      res.problems.push_back(std::move(what));
  };
  const std::vector<McountTable> orig_tables =
      original ? sortable_mcount_tables(original->image) : std::vector<McountTable>{};
  for (const McountTable &t : sortable_mcount_tables(img)) {
    const std::string where = img.section(t.section).name + "+" + hex(t.lo);
    auto values = mcount_values(img, t);
    if (!values) {
      problem("__mcount_loc at " + where + ": " + values.error().what);
      continue;
    }
    const std::vector<uint64_t> &v = *values;
    res.mcount_entries += v.size();
    // Zero entries are functions the linker dropped: a few, never all. A
    // table of zeros is what a sort that loses the values leaves (upstream's
    // first riscv build-time sort did, and its sortedness test passed): it is
    // sorted, and without --against nothing else would say so.
    if (!v.empty() && std::all_of(v.begin(), v.end(), [](uint64_t x) { return x == 0; }))
      problem("__mcount_loc at " + where + ": every one of its " + std::to_string(v.size()) +
              " entries is 0 (the table was zeroed)");
    const auto descent = std::is_sorted_until(v.begin(), v.end());
    if (descent == v.end()) {
      res.sorted_entries += v.size();
    } else if (res.disabled + res.enabled > 0) {
      const size_t i = size_t(descent - v.begin());
      problem("__mcount_loc at " + where + " is not in ascending order: entry " +
              std::to_string(i - 1) + " " + entry(v[i - 1]) + " > entry " + std::to_string(i) +
              " " + entry(v[i]));
    }
    if (!original)
      continue;
    auto o = std::find_if(orig_tables.begin(), orig_tables.end(), [&](const McountTable &x) {
      return x.section == t.section && x.lo == t.lo && x.hi == t.hi;
    });
    if (o == orig_tables.end()) {
      problem("__mcount_loc at " + where + ": not where the original has it");
      continue;
    }
    auto was = mcount_values(original->image, *o, true);
    if (!was) {
      problem("__mcount_loc at " + where + ": original: " + was.error().what);
      continue;
    }
    // Each entry x must be an original entry x or x - 2 (P = S + 2), one
    // to one. Both ascending, the smallest unmatched original in
    // [x - 2, x] is the greedy choice that finds a matching whenever one
    // exists (even with entries 2 apart in a damaged table).
    // A radix sort (the original of an unsorted riscv table is 10^5 words);
    // the checked table is usually sorted already and is then used as is.
    std::vector<uint64_t> &want = *was, sorted_got;
    sort_words(want);
    if (descent != v.end()) {
      sorted_got = v;
      sort_words(sorted_got);
    }
    const std::vector<uint64_t> &got = descent == v.end() ? v : sorted_got;
    size_t i = 0;
    std::optional<uint64_t> unmatched;
    for (uint64_t x : got) {
      const uint64_t low = x >= 2 ? x - 2 : 0;
      if (i < want.size() && want[i] < low)
        break; // want[i] can no longer be matched: lost
      if (i < want.size() && want[i] <= x) {
        ++i;
        continue;
      }
      unmatched = x; // not an original entry, nor one moved by 2
      break;
    }
    if (unmatched || i != want.size())
      problem("__mcount_loc at " + where + ": entries are not the original's (" +
              (unmatched ? "entry " + entry(*unmatched) + " is new"
                         : "original entry " + entry(want[i]) + " is lost or doubled") +
              ")");
    else
      res.mcount_matched += v.size();
  }
}

VerifyResult verify_image(Context &ctx, const Context *original) {
  VerifyResult res;
  check_entries(ctx, original, res);
  check_mcount_order(ctx, original, res);
  const RelaReserve reserve = original ? original_rela_reserve(*original) : RelaReserve{};
  check_literal_relocations(ctx, original, original ? &reserve : nullptr, res);
  if (original)
    compare_against(ctx.image, *original, res);
  return res;
}

Expected<VerifyResult> locate_and_verify(Context &ctx, const Context *original,
                                         Status (*locate)(Context &)) {
  // The byte comparison reads only the two images (locate changes ctx's
  // sites, not its image): it runs on another thread while ctx is located,
  // except for small files (a module), where starting the thread costs more
  // than the comparison.
  VerifyResult compared;
  std::future<void> comparing;
  constexpr uint64_t kThreadFrom = 1 << 20;
  if (original && ctx.image.file_size() < kThreadFrom)
    compare_against(ctx.image, *original, compared);
  else if (original)
    comparing = std::async(std::launch::async,
                           [&] { compare_against(ctx.image, *original, compared); });
  Status located = locate(ctx);
  if (comparing.valid())
    comparing.wait();
  RVT_TRY(located);
  // Located and compared: what the entries' check reads comes back a page
  // at a time (a mapped file; a no-op for others).
  ctx.image.release_pages();
  VerifyResult res;
  check_entries(ctx, original, res);
  if (original && res.trampolines() == 0) {
    // verify ORIGINAL --against REWRITTEN: say so first, rather than only
    // the header and byte differences that follow from it.
    const size_t theirs = size_t(std::count_if(
        original->sites.begin(), original->sites.end(), [](const Site &s) {
          return s.state == SiteState::Disabled || s.state == SiteState::Enabled;
        }));
    if (theirs)
      res.problems.push_back("holds no trampoline, but " + original->image.path() + " holds " +
                             std::to_string(theirs) +
                             ": are the arguments swapped? (verify REWRITTEN --against ORIGINAL)");
  }
  check_mcount_order(ctx, original, res);
  const RelaReserve reserve = original ? original_rela_reserve(*original) : RelaReserve{};
  check_literal_relocations(ctx, original, original ? &reserve : nullptr, res);
  res.compared_bytes = compared.compared_bytes;
  for (std::string &p : compared.problems)
    if (res.problems.size() < 50)
      res.problems.push_back(std::move(p));
  return res;
}

Status run_verify(Context &ctx) {
  // The plan's own view: each rewritten site must now hold its layout.
  for (const Site &s : ctx.sites) {
    if (s.decision != Decision::Rewrite)
      continue;
    auto bytes = ctx.image.read(s.section, s.tramp_offset(), riscv::kTrampolineSize);
    RVT_TRY(bytes);
    if (auto bad = riscv::check_decoded_trampoline(*ctx.decoder, *bytes, s.tramp_address(),
                                                   ctx.xlen, ctx.rvc()))
      return ctx.image.error_at(s.section, s.tramp_offset(),
                                "internal: rewritten site " + site_name(ctx, s) + " fails verification: " + *bad);
  }
  return Status::ok();
}

} // namespace rvtramp
