// SPDX-License-Identifier: GPL-2.0-only
// The plan: per site, layout A8 or A4 by P mod 8, an alignment fixup for
// 2-aligned sites (c.nop at S, trampoline at P = S + 2), or a skip with its
// reason. Also resolves the destination literal.
#include "passes.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <elf.h>
#include <map>
#include <vector>

namespace rvtramp {
namespace {

// A relocatable kernel (ET_DYN, ELF64) moves at boot, KASLR included, and
// relocate_kernel() applies every R_RISCV_RELATIVE of .rela.dyn then: a
// literal with its own RELATIVE holds the link address in the file and the
// right address once moved, and ftrace_init writes no literal. The entries
// come from the linker script, which reserves zeros at the end of .rela.dyn
// (one per __mcount_loc entry); an image without them (an older kernel, any
// ELF32 one, a user-space PIE) keeps literal 0, which its runtime fills.
// Empty when relocation is possible, else why not.
std::string why_not_relocatable(const ElfImage &img, const RelaReserve &reserve) {
  if (!img.is64())
    return "ELF32: literal relocations are made for 64-bit kernels only";
  if (!reserve.count)
    return ".rela.dyn reserves no zero entries at its end for literal relocations";
  return {};
}

void relocate_to(Context &ctx, const RelaReserve &reserve, uint64_t value,
                 const std::string &origin) {
  ctx.dest = value;
  ctx.dest_origin = origin + ", relocated: an R_RISCV_RELATIVE per literal in .rela.dyn (" +
                    std::to_string(reserve.count) + " free entries)";
  ctx.relocate_literals = true;
  ctx.rela_reserve_list = reserve.list;
  ctx.rela_reserve_first = reserve.first;
  ctx.rela_reserve_free = reserve.count;
}

Status resolve_dest(Context &ctx) {
  const ElfImage &img = ctx.image;
  const bool pie = img.is_position_independent();
  const RelaReserve reserve = pie ? reserved_rela_entries(img) : RelaReserve{};
  const std::string why_not = pie ? why_not_relocatable(img, reserve) : std::string();
  if (ctx.options.dest) {
    const std::string &d = *ctx.options.dest;
    char *end = nullptr;
    const unsigned long long v = std::strtoull(d.c_str(), &end, 0);
    if (!d.empty() && end && *end == '\0') {
      // 0 is explicit: no relocation. An address inside an ELF64 ET_DYN
      // image moves with it (as a symbol would); one outside is absolute.
      if (pie && img.is64() && v != 0 && img.section_at_addr(v)) {
        if (!why_not.empty())
          return img.error("--dest " + d + ": an address inside a position-independent "
                           "image moves at load time and the literal would need a relocation (" +
                           why_not + "); give 0 (the runtime fills it) or an address outside it");
        relocate_to(ctx, reserve, v, hex(v));
        return Status::ok();
      }
      ctx.dest = v;
      ctx.dest_origin = hex(v);
      return Status::ok();
    }
    const Symbol *sym = img.find_symbol(d);
    if (!sym)
      return img.error("--dest: symbol '" + d + "' is not defined in this image");
    if (img.is_relocatable())
      return img.error("--dest " + d + ": a relocatable file cannot hold a symbol's "
                       "address in the literal; give an address or 0");
    if (pie) {
      if (!why_not.empty())
        return img.error("--dest " + d + ": a position-independent image moves at load "
                         "time and the literal has no relocation (" + why_not +
                         "); give 0 (the runtime fills it) or an address");
      relocate_to(ctx, reserve, sym->value, d);
      return Status::ok();
    }
    ctx.dest = sym->value;
    ctx.dest_origin = d;
    return Status::ok();
  }
  const Symbol *fc = img.is_relocatable() ? nullptr : img.find_symbol(kDefaultDest);
  if (img.is_relocatable()) {
    ctx.dest = 0;
    ctx.dest_origin = "0 (relocatable: the runtime fills the literal)";
  } else if (pie && fc && why_not.empty()) {
    relocate_to(ctx, reserve, fc->value, std::string(kDefaultDest));
  } else if (pie) {
    // ftrace_caller's link address alone would be wrong once the image
    // moves: without a relocation the runtime fills the literal.
    ctx.dest = 0;
    ctx.dest_origin = "0 (position-independent: the runtime fills the literal; " +
                      (fc ? why_not : "no " + std::string(kDefaultDest) + " in the image") + ")";
  } else if (fc) {
    ctx.dest = fc->value;
    ctx.dest_origin = kDefaultDest;
  } else {
    ctx.dest = 0;
    ctx.dest_origin = "0 (no ftrace_caller in the image)";
  }
  return Status::ok();
}

void skip(Context &ctx, Site &s, SkipReason reason, std::string detail) {
  s.decision = Decision::Skip;
  s.reason = reason;
  ctx.set_detail(s, std::move(detail));
}

// Bytes from each site to the next site in the same section (UINT64_MAX when
// none): a region must not cover another table entry, whatever the nops
// around it say (empty functions in a row, or a corrupt table listing two
// addresses a few bytes apart). Indexed like ctx.sites.
// Sites are sorted by (address, section), so within one section they come in
// offset order: remembering each section's previous site is enough.
std::vector<uint64_t> gaps_to_next_site(const Context &ctx) {
  std::vector<uint64_t> gap(ctx.sites.size(), UINT64_MAX);
  std::vector<size_t> previous(ctx.image.sections().size(), SIZE_MAX);
  for (size_t i = 0; i < ctx.sites.size(); ++i) {
    const Site &s = ctx.sites[i];
    if (size_t &p = previous[s.section]; p != SIZE_MAX)
      gap[p] = s.offset - ctx.sites[p].offset;
    previous[s.section] = i;
  }
  return gap;
}

// The disabled toggle's form (riscv.h, DisabledToggle): c.j .+24 with the C
// extension, so that the kernel finds each site in its final form and a
// halfword fetch sees one whole state; j .+24 without it, or when asked
// (--disabled-toggle j: kernels of the series that accept only that form).
Status resolve_disabled_toggle(Context &ctx) {
  const auto asked = ctx.options.disabled_toggle;
  if (asked == riscv::DisabledToggle::CJ && !ctx.rvc())
    return ctx.image.error("--disabled-toggle c.j needs an image built with the C extension "
                           "(EF_RISCV_RVC in e_flags): c.j is an illegal instruction without it");
  ctx.disabled_toggle = asked.value_or(ctx.rvc() ? riscv::DisabledToggle::CJ
                                                 : riscv::DisabledToggle::J);
  return Status::ok();
}

} // namespace

Status run_plan(Context &ctx) {
  RVT_TRY(resolve_dest(ctx));
  RVT_TRY(resolve_disabled_toggle(ctx));
  const ElfImage &img = ctx.image;
  const std::vector<uint64_t> gap = gaps_to_next_site(ctx);
  for (Site &s : ctx.sites) {
    const uint64_t next_site = gap[size_t(&s - ctx.sites.data())];
    const Section &sec = img.section(s.section);
    const bool two_aligned = (s.offset & 3) != 0;
    const uint32_t need = two_aligned ? riscv::kFixupSize : riscv::kTrampolineSize;
    if (s.state == SiteState::Disabled || s.state == SiteState::Enabled) {
      skip(ctx, s, SkipReason::AlreadyRewritten, std::string("already rewritten (") +
                                                site_state_name(s.state) + ")");
      continue;
    }
    if (s.sources & uint8_t(SiteSource::McountCall)) {
      skip(ctx, s, SkipReason::NotAnEntry, "call _mcount, not reserved nops");
      continue;
    }
    if (s.offset & 1) {
      skip(ctx, s, SkipReason::NotNops, "odd address");
      continue;
    }
    if (s.room == 0) {
      skip(ctx, s, SkipReason::NotNops, "not nops");
      continue;
    }
    // Nops past the reservation belong to the body (ALTERNATIVE, static key).
    const uint32_t usable = ctx.reserved_room ? std::min(s.room, ctx.reserved_room) : s.room;
    if (usable < need) {
      // Nops that run into the section end: the region cannot fit at all.
      if (s.offset + s.room == sec.size && s.room < need)
        return img.error_at(s.section, s.offset,
                            "site " + site_name(ctx, s) +
                                ": the trampoline would straddle the end of " + sec.name);
      skip(ctx, s, SkipReason::RoomTooSmall,
           "room " + std::to_string(usable) + " < " + std::to_string(need));
      continue;
    }
    if (next_site < need) {
      skip(ctx, s, SkipReason::RoomTooSmall,
           "next site at +" + std::to_string(next_site) + " inside the " +
               std::to_string(need) + "-byte region");
      continue;
    }
    if (s.relax_section && !ctx.options.allow_relax) {
      skip(ctx, s, SkipReason::LinkerRelaxation,
           "section " + sec.name + " has linker relaxation (R_RISCV_RELAX/ALIGN)");
      continue;
    }
    if (s.hazard == SkipReason::ForeignRelocation) {
      skip(ctx, s, SkipReason::ForeignRelocation, "relocation in region: " + ctx.detail_of(s));
      continue;
    }
    if (s.hazard == SkipReason::Referenced) {
      skip(ctx, s, SkipReason::Referenced, "referenced in region: " + ctx.detail_of(s));
      continue;
    }
    if (s.branch_into) {
      skip(ctx, s, SkipReason::BranchIntoRegion,
           "branch into region at +" + std::to_string(s.branch_into));
      continue;
    }
    s.decision = Decision::Rewrite;
    s.fixup = two_aligned;
    s.region_size = need;
  }
  return Status::ok();
}

std::string nothing_rewritten_reason(const Context &ctx) {
  if (ctx.sites.empty())
    return "no ftrace site: no __mcount_loc, __patchable_function_entries or -pg call "
           "(built without CONFIG_FUNCTION_TRACER or -fpatchable-function-entry?)";
  size_t candidates = 0;
  std::map<SkipReason, size_t> reasons;
  uint32_t most_room = 0;
  bool two_aligned = false;
  for (const Site &s : ctx.sites) {
    if (s.decision == Decision::Rewrite)
      return {};
    if (s.reason == SkipReason::AlreadyRewritten)
      continue;
    ++candidates;
    ++reasons[s.reason];
    most_room = std::max(most_room, s.room);
    two_aligned |= (s.offset & 3) != 0;
  }
  if (!candidates)
    return {}; // every site already rewritten: nothing to do, not a problem
  const std::string all = "none of the " + std::to_string(candidates) + " sites can be rewritten: ";
  if (reasons.size() == 1) {
    switch (reasons.begin()->first) {
    case SkipReason::RoomTooSmall: {
      // c.nop is 2 bytes, nop 4: the flag counts nops.
      const bool rvc = two_aligned || (ctx.image.e_flags() & EF_RISCV_RVC);
      const uint32_t reserved = ctx.reserved_room ? ctx.reserved_room : most_room;
      return all + "they reserve " + std::to_string(reserved) + " bytes of nops and the inline "
             "layout needs " +
             (rvc ? "26 (24 plus a c.nop to align a 2-aligned entry); build with "
                    "-fpatchable-function-entry=13"
                  : "24; build with -fpatchable-function-entry=6") +
             (ctx.image.type() == ET_REL ? "" : " (for Linux: CONFIG_RISCV_FTRACE_INLINE_TRAMPOLINE with the rvtramp series)");
    }
    case SkipReason::LinkerRelaxation:
      return all + "their sections have linker relaxation; build with -mno-relax (as Linux "
                   "builds modules), or pass --allow-relax if nothing links the output again";
    case SkipReason::NotAnEntry:
      return all + "they are -pg calls to _mcount, not reserved nops; build with "
                   "-fpatchable-function-entry=13 (RVC) or =6";
    default:
      break;
    }
  }
  std::string list;
  for (const auto &[reason, n] : reasons)
    list += (list.empty() ? "" : ", ") + std::to_string(n) + " " + skip_reason_key(reason);
  return all + list + " (each site is named with its reason)";
}

} // namespace rvtramp
