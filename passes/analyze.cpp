// SPDX-License-Identifier: GPL-2.0-only
// Hazards that forbid touching a site's region: a branch from its function
// into the middle of the region (a Capstone sweep of the function), any
// relocation inside the region other than the site's own, linker relaxation
// in its section (the linker would move code after the rewrite), and any
// kernel table that points into the region (alternatives, static keys,
// exception fixups: their nops may sit right after the reserved ones).
// Also settles how many bytes the compiler reserved per site.
#include "passes.h"

#include <algorithm>
#include <elf.h>
#include <span>
#include <thread>
#include <unordered_map>

namespace rvtramp {
namespace {

// End of the function that starts at functions[i]: its size when it has one,
// else the next symbol, else the section end.
uint64_t function_end(const std::vector<FunctionEntry> &funcs, size_t i, const Section &sec) {
  uint64_t end = sec.addr + sec.size;
  if (funcs[i].size())
    end = std::min(end, funcs[i].address + funcs[i].size());
  for (size_t k = i + 1; k < funcs.size(); ++k)
    if (funcs[k].address > funcs[i].address) {
      end = std::min(end, funcs[k].address);
      break;
    }
  return end;
}

// Kernel tables of self-relative 32-bit pointers into text (linked images).
struct SpecialTable {
  const char *section;
  uint32_t entry_size;
  uint32_t pointer_fields[2]; // offsets of s32 fields relative to themselves
  uint32_t field_count;
};
constexpr SpecialTable kSpecialTables[] = {
    {".alternative", 16, {0, 0}, 1},   // struct alt_entry: old_offset
    {"__jump_table", 16, {0, 4}, 2},   // struct jump_entry: code, target (64-bit)
    {"__ex_table", 12, {0, 4}, 2},     // struct exception_table_entry: insn, fixup
};
constexpr const char *kSiteTables[] = {"__mcount_loc", "__patchable_function_entries"};

struct Reference {
  uint64_t offset;   // inside the referenced section
  bool at_entry_ok;  // a plain reference to S (a call, a symbol) is fine
  const char *from;  // section name, for the reason text
};

// Most common nop run among reserved-nop sites; ties go to the smaller.
uint32_t reserved_mode(const std::vector<Site> &sites) {
  std::unordered_map<uint32_t, size_t> count;
  for (const Site &s : sites)
    if (s.state == SiteState::Nops && !(s.sources & uint8_t(SiteSource::McountCall)))
      ++count[s.room];
  uint32_t best = 0;
  size_t best_n = 0;
  for (auto [room, n] : count)
    if (n > best_n || (n == best_n && room < best)) {
      best = room;
      best_n = n;
    }
  return best;
}

void collect_references(const ElfImage &img, std::vector<std::vector<Reference>> &refs) {
  if (img.is_relocatable()) {
    for (const RelaSection &rs : img.relas()) {
      if (rs.target == 0)
        continue;
      const std::string &into = img.section(rs.target).name;
      if (std::any_of(std::begin(kSiteTables), std::end(kSiteTables),
                      [&](const char *t) { return into == t; }))
        continue;
      for (const Rela &r : rs.entries) {
        if (r.sym == 0 || r.sym >= img.symbols().size())
          continue;
        const Symbol &sym = img.symbols()[r.sym];
        if (sym.shndx == 0 || sym.shndx >= img.sections().size() ||
            !img.section(sym.shndx).executable())
          continue;
        const uint64_t target = relocation_target_offset(sym, r.addend);
        refs[sym.shndx].push_back({target, true, img.section(rs.index).name.c_str()});
      }
    }
    return;
  }
  for (const SpecialTable &t : kSpecialTables) {
    const Section *sec = img.find_section(t.section);
    if (!sec || !sec->has_file_bytes())
      continue;
    for (uint64_t e = 0; e + t.entry_size <= sec->size; e += t.entry_size)
      for (uint32_t f = 0; f < t.field_count; ++f) {
        auto b = img.read(sec->index, e + t.pointer_fields[f], 4);
        if (!b)
          continue;
        const int32_t rel = int32_t(uint32_t((*b)[0]) | uint32_t((*b)[1]) << 8 |
                                    uint32_t((*b)[2]) << 16 | uint32_t((*b)[3]) << 24);
        const uint64_t target = sec->addr + e + t.pointer_fields[f] + uint64_t(int64_t(rel));
        if (const Section *into = img.section_at_addr(target); into && into->executable())
          refs[into->index].push_back({target - into->addr, false, t.section});
      }
  }
}

// Sets branch_into for sites[lo, hi): a direct branch from the owning
// function into the region (S, S+region) other than to P. Sites are in
// address order, so a function's sites are consecutive and it is decoded
// once (keeping every function's targets would cost memory).
Status sweep_branches(const Context &ctx, std::span<Site> sites) {
  const ElfImage &img = ctx.image;
  uint64_t swept_key = ~uint64_t(0);
  std::vector<uint64_t> targets;
  // Owner lookup: a forward-only cursor per section, placed on first use.
  std::vector<size_t> cursor(img.sections().size(), SIZE_MAX);
  for (Site &s : sites) {
    const Section &sec = img.section(s.section);
    const uint64_t region = (s.offset & 3) ? riscv::kFixupSize : riscv::kTrampolineSize;
    const auto &funcs = ctx.functions_by_section[s.section];
    size_t &c = cursor[s.section];
    if (c == SIZE_MAX)
      c = size_t(std::lower_bound(funcs.begin(), funcs.end(), s.address,
                                  [](const FunctionEntry &f, uint64_t a) { return f.address < a; }) -
                 funcs.begin());
    while (c < funcs.size() && funcs[c].address <= s.address)
      ++c;
    const auto f = funcs.begin() + std::ptrdiff_t(c); // upper bound of s.address
    uint64_t fstart = sec.addr, fend = sec.addr + sec.size;
    if (f != funcs.begin()) {
      const size_t i = size_t(std::prev(f) - funcs.begin());
      fstart = funcs[i].address;
      fend = function_end(funcs, i, sec);
    }
    if (fend <= s.address)
      fend = sec.addr + sec.size;
    const uint64_t key = (uint64_t(s.section) << 48) ^ fstart;
    if (key != swept_key) {
      // To the section's end: the sweep may read past the function (what
      // follows does not count), which saves copying its last bytes.
      auto bytes = img.read(s.section, fstart - sec.addr, sec.addr + sec.size - fstart);
      RVT_TRY(bytes);
      targets.clear();
      ctx.decoder->branch_targets(bytes->first(fend - fstart), fstart, targets, bytes->size());
      swept_key = key;
    }
    const uint64_t p = s.address + ((s.address & 3) ? 2 : 0);
    for (uint64_t t : targets)
      if (t > s.address && t < s.address + region && t != p) {
        s.branch_into = uint8_t(t - s.address);
        break;
      }
  }
  return Status::ok();
}

// One slice of the sites per hardware thread (at most 8; one below 8K sites,
// where starting threads costs more than it saves). Each site is written by
// exactly one thread and the result does not depend on the split.
Status sweep_branches_parallel(const Context &ctx_in, std::vector<Site> &sites) {
  const size_t n = sites.size();
  size_t threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  if (n < 8192)
    threads = 1;
  std::vector<Status> status(threads, Status::ok());
  std::vector<std::thread> pool;
  const size_t per = (n + threads - 1) / std::max<size_t>(threads, 1);
  for (size_t t = 1; t < threads; ++t) {
    const size_t lo = std::min(n, t * per), hi = std::min(n, lo + per);
    pool.emplace_back([&, t, lo, hi] {
      status[t] = sweep_branches(ctx_in, std::span(sites).subspan(lo, hi - lo));
    });
  }
  status[0] = sweep_branches(ctx_in, std::span(sites).subspan(0, std::min(n, per)));
  for (auto &th : pool)
    th.join();
  for (Status &st : status)
    RVT_TRY(st);
  return Status::ok();
}

} // namespace

Status run_analyze(Context &ctx) {
  const ElfImage &img = ctx.image;
  // Relocations by target section, sorted by offset; relaxation per section.
  // Only an object can still be relaxed: in a linked image the relocations
  // that --emit-relocs kept (a relocatable riscv vmlinux) record what the
  // link did, and nothing moves any more.
  std::vector<std::vector<const Rela *>> relocs(img.sections().size());
  std::vector<bool> relaxed(img.sections().size(), false);
  for (const RelaSection &rs : img.relas()) {
    if (rs.target == 0)
      continue; // dynamic relocations do not patch text here
    for (const Rela &r : rs.entries) {
      relocs[rs.target].push_back(&r);
      if ((r.type == R_RISCV_RELAX || r.type == R_RISCV_ALIGN) && img.is_relocatable())
        relaxed[rs.target] = true;
    }
  }
  for (auto &v : relocs)
    std::sort(v.begin(), v.end(), [](const Rela *a, const Rela *b) { return a->offset < b->offset; });

  if (ctx.options.reserved) {
    ctx.reserved_room = *ctx.options.reserved;
    ctx.reserved_origin = "--reserved";
  } else {
    ctx.reserved_room = reserved_mode(ctx.sites);
    ctx.reserved_origin = "most common nop run";
  }
  std::vector<std::vector<Reference>> refs(img.sections().size());
  collect_references(img, refs);
  for (auto &v : refs)
    std::sort(v.begin(), v.end(), [](const Reference &a, const Reference &b) { return a.offset < b.offset; });

  for (Site &s : ctx.sites) {
    s.relax_section = relaxed[s.section];
    const uint64_t region = (s.offset & 3) ? riscv::kFixupSize : riscv::kTrampolineSize;
    const uint64_t lo = s.offset, hi = s.offset + region;

    const auto &rv = relocs[s.section];
    auto it = std::lower_bound(rv.begin(), rv.end(), lo,
                               [](const Rela *r, uint64_t off) { return r->offset < off; });
    for (; it != rv.end() && (*it)->offset < hi; ++it) {
      const Rela &r = **it;
      const bool own_call = (s.sources & uint8_t(SiteSource::McountCall)) &&
                            r.offset == s.offset &&
                            (r.type == R_RISCV_CALL || r.type == R_RISCV_CALL_PLT);
      const bool marker = r.type == R_RISCV_RELAX || r.type == R_RISCV_ALIGN;
      if (own_call || (marker && r.offset == s.offset))
        continue;
      s.hazard = SkipReason::ForeignRelocation;
      ctx.set_detail(s, std::string(riscv_reloc_name(r.type)) + " at +" +
                            std::to_string(r.offset - s.offset));
      break;
    }

    // A relocation in the region already rules the site out: the first
    // hazard found is the one reported.
    const auto &rf = refs[s.section];
    for (auto r = std::lower_bound(rf.begin(), rf.end(), lo,
                                   [](const Reference &x, uint64_t off) { return x.offset < off; });
         s.hazard == SkipReason::None && r != rf.end() && r->offset < hi; ++r) {
      if (r->at_entry_ok && r->offset == lo)
        continue;
      s.hazard = SkipReason::Referenced;
      ctx.set_detail(s, std::string(r->from) + " at +" + std::to_string(r->offset - lo));
      break;
    }
  }
  // The sweep decodes every traced function (all of the kernel's text): it
  // is most of analyze, and sites are independent, so it runs in parallel.
  return sweep_branches_parallel(ctx, ctx.sites);
}

} // namespace rvtramp
