// SPDX-License-Identifier: GPL-2.0-only
// Hazards that forbid touching a site's region: a branch from its function
// into the middle of the region (a Capstone sweep of the function), any
// relocation inside the region other than the site's own, and linker
// relaxation in its section (the linker would move code after the rewrite).
#include "passes.h"

#include <algorithm>
#include <elf.h>
#include <unordered_map>

namespace rvtramp {
namespace {

// End of the function that starts at functions[i]: its size when it has one,
// else the next symbol, else the section end.
uint64_t function_end(const ElfImage &img, const std::vector<std::pair<uint64_t, size_t>> &funcs,
                      size_t i, const Section &sec) {
  const Symbol &sym = img.symbols()[funcs[i].second];
  uint64_t end = sec.addr + sec.size;
  if (sym.size)
    end = std::min(end, sym.value + sym.size);
  for (size_t k = i + 1; k < funcs.size(); ++k)
    if (funcs[k].first > funcs[i].first) {
      end = std::min(end, funcs[k].first);
      break;
    }
  return end;
}

} // namespace

Status run_analyze(Context &ctx) {
  const ElfImage &img = ctx.image;
  // Relocations by target section, sorted by offset; relaxation per section.
  std::vector<std::vector<const Rela *>> relocs(img.sections().size());
  std::vector<bool> relaxed(img.sections().size(), false);
  for (const RelaSection &rs : img.relas()) {
    if (rs.target == 0)
      continue; // dynamic relocations do not patch text here
    for (const Rela &r : rs.entries) {
      relocs[rs.target].push_back(&r);
      if (r.type == R_RISCV_RELAX || r.type == R_RISCV_ALIGN)
        relaxed[rs.target] = true;
    }
  }
  for (auto &v : relocs)
    std::sort(v.begin(), v.end(), [](const Rela *a, const Rela *b) { return a->offset < b->offset; });

  // Branch targets per function, swept once even when it has several sites.
  std::unordered_map<uint64_t, std::vector<uint64_t>> targets_of_function;
  std::vector<uint64_t> scratch;

  for (Site &s : ctx.sites) {
    const Section &sec = img.section(s.section);
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
      s.foreign_reloc = std::string(riscv_reloc_name(r.type)) + " at +" +
                        std::to_string(r.offset - s.offset);
      break;
    }

    // Sweep the owning function for direct branches into (S, S+region).
    const auto &funcs = ctx.functions_by_section[s.section];
    auto f = std::upper_bound(funcs.begin(), funcs.end(), s.address,
                              [](uint64_t a, const auto &e) { return a < e.first; });
    uint64_t fstart = sec.addr, fend = sec.addr + sec.size;
    if (f != funcs.begin()) {
      const size_t i = size_t(std::prev(f) - funcs.begin());
      fstart = funcs[i].first;
      fend = function_end(img, funcs, i, sec);
    }
    if (fend <= s.address)
      fend = sec.addr + sec.size;
    auto [cached, fresh] = targets_of_function.try_emplace((uint64_t(s.section) << 48) ^ fstart);
    if (fresh) {
      auto bytes = img.read(s.section, fstart - sec.addr, fend - fstart);
      RVT_TRY(bytes);
      scratch.clear();
      ctx.decoder->branch_targets(*bytes, fstart, scratch);
      cached->second = scratch;
    }
    const uint64_t p = s.address + ((s.address & 3) ? 2 : 0);
    for (uint64_t t : cached->second)
      if (t > s.address && t < s.address + region && t != p) {
        s.branch_into = t;
        break;
      }
  }
  return Status::ok();
}

} // namespace rvtramp
