// SPDX-License-Identifier: GPL-2.0-only
// Literal relocations of a relocatable kernel (ET_DYN, ELF64). The kernel
// moves at boot (KASLR included) and relocate_kernel() then applies every
// R_RISCV_RELATIVE of .rela.dyn (*r_offset = r_addend + the offset): a
// literal that holds ftrace_caller's link address and has its own RELATIVE
// is right wherever the kernel lands, and ftrace_init need not write 12,500
// literals. The kernel's linker script reserves the entries, zeros at the
// end of .rela.dyn (R_RISCV_NONE at 0, which relocate_kernel() skips), one
// per __mcount_loc entry; this pass fills one per rewritten literal, in site
// address order from the first free entry, and leaves the rest zero.
//
// .dynamic is left alone: relocate_kernel() reads the section between
// __rela_dyn_start and __rela_dyn_end, not .dynamic, and what the linkers
// put there stays true of the link's own entries, which stay first and
// stay RELATIVE. GNU ld 2.40 counts the reserved room in DT_RELASZ and
// sets no DT_RELACOUNT (the leading RELATIVE entries a loader may apply
// without looking at their type) when the section holds the room; the same
// link without it sets one. ld.lld 19 sets DT_RELASZ to its own entries
// only and DT_RELACOUNT to their number: a user-space loader would not see
// the filled entries, the kernel does.
//
// ELF64 only: the kernel series relocates rv64; an ELF32 image keeps
// literal 0, which its runtime fills.
#include "passes.h"

#include <algorithm>
#include <cstring>
#include <elf.h>

namespace rvtramp {
namespace {

bool is_zero(const Rela &r) { return r.offset == 0 && r.type == 0 && r.sym == 0 && r.addend == 0; }

// A trampoline's literal: where it is (sorted by address) and who owns it.
struct Literal {
  uint64_t address = 0;
  uint64_t value = 0;
  uint64_t site = 0;  // P
  size_t index = 0;   // into ctx.sites or ctx.entries
  uint32_t relatives = 0;
  bool addend_ok = true;
};

uint64_t literal_address(uint64_t p) { return p + riscv::literal_offset(riscv::layout_for(p)); }

} // namespace

RelaReserve reserved_rela_entries(const ElfImage &img) {
  RelaReserve out;
  const auto &lists = img.relas();
  for (size_t l = 0; l < lists.size(); ++l) {
    const Section &sec = img.section(lists[l].index);
    if (sec.name != ".rela.dyn" || sec.type != SHT_RELA)
      continue;
    const auto &e = lists[l].entries;
    size_t first = e.size();
    while (first > 0 && is_zero(e[first - 1]))
      --first;
    return {l, first, e.size() - first};
  }
  return out;
}

RelaReserve original_rela_reserve(const Context &ctx) {
  if (ctx.relocate_literals)
    return {ctx.rela_reserve_list, ctx.rela_reserve_first, ctx.rela_reserve_free};
  return reserved_rela_entries(ctx.image);
}

Status run_relocate_literals(Context &ctx) {
  if (!ctx.relocate_literals)
    return Status::ok();
  ElfImage &img = ctx.image;
  const size_t needed = size_t(std::count_if(ctx.sites.begin(), ctx.sites.end(), [](const Site &s) {
    return s.decision == Decision::Rewrite;
  }));
  if (needed > ctx.rela_reserve_free)
    return img.error(".rela.dyn has " + std::to_string(ctx.rela_reserve_free) +
                     " free entries for " + std::to_string(needed) + " literals");
  size_t e = ctx.rela_reserve_first;
  for (const Site &s : ctx.sites) {
    if (s.decision != Decision::Rewrite)
      continue;
    Rela r;
    r.offset = literal_address(s.tramp_address());
    r.type = R_RISCV_RELATIVE;
    r.sym = 0;
    r.addend = int64_t(ctx.dest);
    img.set_rela(ctx.rela_reserve_list, e++, r);
  }
  ctx.relocated_literals = needed;
  return Status::ok();
}

void check_literal_relocations(const Context &ctx, const Context *original,
                               const RelaReserve *reserve, VerifyResult &res) {
  const ElfImage &img = ctx.image;
  if (!img.is_position_independent() || !img.is64())
    return;
  auto problem = [&](std::string what) {
    if (res.problems.size() < 50)
      res.problems.push_back(std::move(what));
  };
  // The trampolines: a plan's rewritten sites at P, found ones where the
  // table names them.
  std::vector<Literal> literals;
  auto add = [&](uint32_t section, uint64_t p, size_t index) {
    const Section &sec = img.section(section);
    auto bytes = img.read(section, literal_address(p) - sec.addr, 8);
    if (!bytes)
      return; // the layout check says what is wrong there
    uint64_t v = 0;
    for (unsigned k = 0; k < 8; ++k)
      v |= uint64_t((*bytes)[k]) << (8 * k);
    // 0: the runtime fills it; outside the image: an absolute address.
    if (v != 0 && img.section_at_addr(v))
      literals.push_back({literal_address(p), v, p, index});
  };
  if (!ctx.sites.empty()) {
    for (size_t i = 0; i < ctx.sites.size(); ++i) {
      const Site &s = ctx.sites[i];
      if (s.sources & uint8_t(SiteSource::McountCall))
        continue;
      if (s.decision == Decision::Rewrite)
        add(s.section, s.tramp_address(), i);
      else if (s.state == SiteState::Disabled || s.state == SiteState::Enabled)
        add(s.section, s.address, i);
    }
  } else {
    for (size_t i = 0; i < ctx.entries.size(); ++i) {
      const CheckedEntry &e = ctx.entries[i];
      if (!(e.sources & uint8_t(SiteSource::McountCall)) &&
          (e.state == SiteState::Disabled || e.state == SiteState::Enabled))
        add(e.section, e.address, i);
    }
  }
  if (literals.empty() && (!reserve || !reserve->count))
    return; // literal 0 (the runtime fills it): nothing to look up
  std::sort(literals.begin(), literals.end(),
            [](const Literal &a, const Literal &b) { return a.address < b.address; });
  auto find = [&](uint64_t address) -> Literal * {
    auto it = std::lower_bound(literals.begin(), literals.end(), address,
                               [](const Literal &l, uint64_t a) { return l.address < a; });
    return it != literals.end() && it->address == address ? &*it : nullptr;
  };
  // The loaded relocations (static ones kept by --emit-relocs are not
  // applied by anything).
  for (const RelaSection &list : img.relas()) {
    if (!(img.section(list.index).flags & SHF_ALLOC))
      continue;
    for (const Rela &r : list.entries) {
      if (r.type != R_RISCV_RELATIVE)
        continue;
      if (Literal *l = find(r.offset)) {
        ++l->relatives;
        l->addend_ok = l->addend_ok && uint64_t(r.addend) == l->value;
      }
    }
  }
  auto name = [&](const Literal &l) {
    if (!ctx.sites.empty())
      return hex(l.site) + " " + site_name(ctx, ctx.sites[l.index]);
    const CheckedEntry &e = ctx.entries[l.index];
    return hex(l.site) + " " + address_name(original ? *original : ctx, e.section, e.address);
  };
  for (const Literal &l : literals) {
    const std::string what = name(l) + ": literal at " + hex(l.address) + " (" + hex(l.value) + ")";
    if (l.relatives == 0)
      problem(what + " has no R_RISCV_RELATIVE in .rela.dyn: it points into the image, "
                     "which moves at boot");
    else if (l.relatives > 1)
      problem(what + " has " + std::to_string(l.relatives) + " R_RISCV_RELATIVE relocations");
    else if (!l.addend_ok)
      problem(what + ": its R_RISCV_RELATIVE has another addend");
    else
      ++res.relocated_literals;
  }
  // What the reserved entries now hold: zeros, or a literal's relocation.
  if (!reserve || !reserve->count || reserve->list >= img.relas().size())
    return;
  const auto &entries = img.relas()[reserve->list].entries;
  for (size_t e = reserve->first; e < std::min(entries.size(), reserve->first + reserve->count); ++e) {
    const Rela &r = entries[e];
    if (is_zero(r))
      continue;
    if (r.type != R_RISCV_RELATIVE || r.sym != 0 || !find(r.offset))
      problem(".rela.dyn entry " + std::to_string(e) + " (reserved): " + riscv_reloc_name(r.type) +
              " at " + hex(r.offset) + " is not the relocation of a trampoline literal");
  }
}

} // namespace rvtramp
