// SPDX-License-Identifier: GPL-2.0-only
// The report model: counts, histograms, the plan by outcome, and the
// code-size model of four ftrace layouts (see report.h and
// docs/report-schema.md for the model in words).
#include "report.h"

#include "passes.h"
#include "site_listing.h"

#include <algorithm>
#include <elf.h>
#include <unordered_map>

namespace rvtramp {
namespace {

constexpr SiteSource kSources[] = {SiteSource::McountLoc, SiteSource::PatchableFunctionEntries,
                                   SiteSource::McountCall};

uint64_t align_up(uint64_t v, uint64_t a) { return a <= 1 ? v : (v + a - 1) / a * a; }

bool image_rvc(const ElfImage &img) { return img.e_flags() & EF_RISCV_RVC; }

bool cnop_at(const ElfImage &img, size_t section, uint64_t offset) {
  auto b = img.read(section, offset, 2);
  return b && ((*b)[0] | (*b)[1] << 8) == riscv::kCNop;
}

bool function_at(const Context &ctx, size_t section, uint64_t address) {
  const auto &funcs = ctx.functions_by_section[section];
  auto it = std::lower_bound(funcs.begin(), funcs.end(), address,
                             [](const FunctionEntry &e, uint64_t a) { return e.address < a; });
  // Functions sort before labels at one address.
  return it != funcs.end() && it->address == address && it->is_func();
}

// Where a site's reservation starts: P - 2 for a rewritten fixup site.
uint64_t reservation_start(const Context &ctx, const Site &s) {
  if ((s.state == SiteState::Disabled || s.state == SiteState::Enabled) && s.offset >= 2 &&
      cnop_at(ctx.image, s.section, s.offset - 2) &&
      function_at(ctx, s.section, s.address - 2))
    return s.address - 2;
  return s.address;
}

struct Chunk {
  uint64_t start = 0, size = 0;
  uint64_t reserved = 0;
  bool function = false, traced = false;
};

// Modeled size of one section's chunks with layout m (nullptr: no ftrace).
uint64_t model_section(const std::vector<Chunk> &chunks, uint64_t sec_addr,
                       const LayoutModel *m) {
  uint64_t cursor = sec_addr;
  for (const Chunk &c : chunks) {
    const uint64_t body = c.size - c.reserved;
    if (!m) {
      cursor += body;
      continue;
    }
    if (c.traced) {
      const uint64_t entry = align_up(cursor + m->before_entry, m->entry_align);
      cursor = entry + m->at_entry + body;
    } else if (c.function && m->align_all) {
      cursor = align_up(cursor, m->entry_align) + body;
    } else {
      cursor += body;
    }
  }
  return cursor - sec_addr;
}

} // namespace

bool is_init_text(const std::string &name) {
  // vmlinux.lds keeps .exit.text beside .init.text, between __init_begin
  // and __init_end, and frees both (free_initmem).
  return name.rfind(".init.", 0) == 0 || name == ".exit.text";
}

const std::vector<LayoutModel> &layout_models() {
  static const std::vector<LayoutModel> models = {
      {"stock", "stock 6.12 (8 B)", 0, 8, 1, false,
       "-fpatchable-function-entry=4 (RVC) or =2: 8 B of nops at each traced entry, no alignment"},
      {"call_ops", "CALL_OPS 6.16 (16 B)", 8, 8, 8, true,
       "=8,4: 8 B ops literal before the entry + auipc/jalr at it; every function 8-aligned "
       "(-falign-functions=8), literal 8-aligned"},
      {"seed24", "seed 24 B (align 4)", 0, 24, 4, true,
       "24 B trampoline at each traced entry; entries must be 4-aligned (-falign-functions=4)"},
      {"seed26", "seed 26 B (fixups)", 0, 26, 1, false,
       "=13 (RVC): 26 B at each traced entry, a 2-aligned entry takes the c.nop first; "
       "no alignment needed"},
  };
  return models;
}

const LayoutModel *find_layout_model(const std::string &key) {
  for (const LayoutModel &m : layout_models())
    if (key == m.key)
      return &m;
  return nullptr;
}

size_t Report::skipped_total() const {
  size_t n = 0;
  for (const auto &[k, v] : skipped)
    n += v;
  return n;
}

const LayoutCost *Report::layout(const std::string &key) const {
  for (const LayoutCost &c : layouts)
    if (key == c.model->key)
      return &c;
  return nullptr;
}

uint32_t nominal_room(const Context &ctx) {
  std::map<uint32_t, size_t> count;
  for (const Site &s : ctx.sites)
    if (s.state == SiteState::Nops)
      ++count[s.room];
  uint32_t best = 0;
  size_t n = 0;
  for (auto [room, c] : count)
    if (c > n) {
      best = room;
      n = c;
    }
  return best;
}

uint64_t site_reservation(const Context &ctx, const Site &s, uint32_t nominal) {
  if (s.state == SiteState::Nops)
    return nominal ? std::min(s.room, nominal) : s.room;
  if (s.state == SiteState::Disabled || s.state == SiteState::Enabled) {
    uint64_t bytes = riscv::kTrampolineSize;
    if (reservation_start(ctx, s) != s.address)
      bytes += 2;
    else if (s.offset + riscv::kTrampolineSize + 2 <= ctx.image.section(s.section).size &&
             cnop_at(ctx.image, s.section, s.offset + riscv::kTrampolineSize))
      bytes += 2;
    return bytes;
  }
  return 0; // -pg call or not nops: nothing reserved
}

Report build_report(const Context &ctx, ReportParts parts) {
  const ElfImage &img = ctx.image;
  Report r;
  r.file = img.path();
  r.elf_type = img.type_name();
  r.elf_class = img.is64() ? 64 : 32;
  r.rvc = image_rvc(img);
  r.file_size = img.file_size();
  r.dest = ctx.dest;
  r.dest_origin = ctx.dest_origin;
  r.null_table_entries = ctx.null_table_entries;
  const uint32_t nominal = nominal_room(ctx);
  r.nominal_room = nominal;

  const auto &secs = img.sections();
  for (const Section &s : secs) {
    if (s.index == 0)
      continue;
    SectionInfo si;
    si.name = s.name;
    si.addr = s.addr;
    si.size = s.size;
    si.flags = s.flags;
    si.type = s.type;
    si.exec = s.executable() && s.has_file_bytes();
    si.alloc = (s.flags & SHF_ALLOC) != 0;
    if (si.exec)
      r.exec_text += s.size;
    if (si.exec && is_init_text(s.name))
      r.init_text += s.size;
    if (si.alloc)
      r.alloc_size += s.size;
    r.sections.push_back(std::move(si));
  }

  // Functions per executable section: (address, extent) of distinct entries.
  struct Func {
    uint64_t addr = 0, size = 0;
    bool has_site = false;
  };
  std::vector<std::vector<Func>> funcs(secs.size());
  {
    std::vector<size_t> count(secs.size(), 0);
    for (const Symbol &sym : img.symbols())
      if (sym.shndx && sym.shndx < secs.size() && sym.type == STT_FUNC)
        ++count[sym.shndx];
    for (size_t i = 0; i < secs.size(); ++i)
      funcs[i].reserve(count[i]);
  }
  for (const Symbol &sym : img.symbols()) {
    if (sym.shndx == 0 || sym.shndx >= secs.size())
      continue;
    const Section &sec = secs[sym.shndx];
    if (parts.symbols && (sym.type == STT_FUNC || sym.type == STT_OBJECT) && !sym.name.empty() &&
        sym.size)
      r.symbols.push_back({std::string(sym.name), sec.name, sym.value, sym.size, sym.type == STT_FUNC});
    if (sym.type != STT_FUNC || !sec.executable())
      continue;
    ++r.function_symbols;
    funcs[sym.shndx].push_back({sym.value, sym.size, false});
  }
  // Sites per section, sorted by address (ctx.sites is sorted by address).
  std::vector<std::vector<const Site *>> sites_in(secs.size());
  {
    std::vector<size_t> count(secs.size(), 0);
    for (const Site &s : ctx.sites)
      ++count[s.section];
    for (size_t i = 0; i < secs.size(); ++i)
      sites_in[i].reserve(count[i]);
  }
  for (const Site &s : ctx.sites)
    sites_in[s.section].push_back(&s);

  for (size_t si = 0; si < secs.size(); ++si) {
    auto &fv = funcs[si];
    std::sort(fv.begin(), fv.end(), [](const Func &a, const Func &b) {
      return a.addr != b.addr ? a.addr < b.addr : a.size > b.size;
    });
    // Merge aliases: keep the largest extent per address.
    fv.erase(std::unique(fv.begin(), fv.end(),
                         [](const Func &a, const Func &b) { return a.addr == b.addr; }),
             fv.end());
    const Section &sec = secs[si];
    const auto &sv = sites_in[si];
    std::vector<uint64_t> ends(fv.size());
    for (size_t i = 0; i < fv.size(); ++i) {
      Func &f = fv[i];
      uint64_t end = f.size ? f.addr + f.size
                            : (i + 1 < fv.size() ? fv[i + 1].addr : sec.addr + sec.size);
      ends[i] = std::max(end, f.addr + 1);
      auto it = std::lower_bound(sv.begin(), sv.end(), f.addr,
                                 [](const Site *s, uint64_t a) { return s->address < a; });
      f.has_site = it != sv.end() && (*it)->address < ends[i];
      ++r.function_mod8[f.addr & 7];
      ++(f.has_site ? r.functions_with_site : r.functions_without_site);
    }
    r.functions += fv.size();
    // Sites outside every function (extents rarely overlap: look a few back).
    for (const Site *s : sv) {
      size_t i = size_t(std::upper_bound(fv.begin(), fv.end(), s->address,
                                         [](uint64_t a, const Func &f) { return a < f.addr; }) -
                        fv.begin());
      bool inside = false;
      for (int back = 0; i > 0 && back < 8 && !inside; ++back)
        inside = s->address < ends[--i];
      r.sites_without_function += !inside;
    }
  }

  // Sites: sources, state, histograms, plan, rows.
  r.sites = ctx.sites.size();
  if (parts.site_rows)
    r.rows.reserve(ctx.sites.size());
  size_t by_source[3] = {0, 0, 0}, by_state[4] = {0, 0, 0, 0}, mod8[8] = {};
  std::vector<char> init_section(secs.size(), 0);
  for (const Section &sec : secs)
    init_section[sec.index] = is_init_text(sec.name);
  r.nothing_rewritten = nothing_rewritten_reason(ctx);
  if (img.is_position_independent() && img.is64()) {
    r.rela_dyn_free_entries = reserved_rela_entries(img).count;
    if (ctx.relocate_literals)
      r.literal_relocations = size_t(std::count_if(ctx.sites.begin(), ctx.sites.end(), [](const Site &s) {
        return s.decision == Decision::Rewrite;
      }));
    VerifyResult found;
    check_literal_relocations(ctx, nullptr, nullptr, found);
    r.relocated_literals = found.relocated_literals;
  }
  for (const Site &s : ctx.sites) {
    r.init_sites += init_section[s.section];
    const bool left = s.decision != Decision::Rewrite && s.reason != SkipReason::AlreadyRewritten;
    if (left || !s.owner)
      r.site_notes.push_back({std::string(s.function()), site_name(ctx, s), secs[s.section].name,
                              s.address, decision_name(s),
                              s.decision == Decision::Skip ? ctx.detail_of(s) : std::string()});
    for (size_t k = 0; k < 3; ++k)
      by_source[k] += (s.sources & uint8_t(kSources[k])) != 0;
    ++by_state[size_t(s.state) & 3];
    ++mod8[s.address & 7];
    ++r.room[s.room];
    r.reserved_now += site_reservation(ctx, s, nominal);

    const bool rows = parts.site_rows;
    SiteRow row;
    if (rows) {
      row.address = s.address;
      row.section = secs[s.section].name;
      row.offset = s.offset;
      row.function = s.function();
      row.function_offset = s.function_offset();
      row.room = s.room;
      row.align = s.align();
      row.source = site_sources(s);
      row.state = site_state_name(s.state);
      row.name = site_name(ctx, s);
    }
    if (s.decision == Decision::Rewrite) {
      const uint64_t p = s.tramp_address();
      const riscv::Layout l = riscv::layout_for(p);
      ++(l == riscv::Layout::A8 ? r.rewrite_a8 : r.rewrite_a4);
      r.fixup_before += s.fixup;
      if (!s.fixup && s.room > riscv::kTrampolineSize)
        ++r.nops_after;
      if (rows) {
        row.decision = decision_name(s);
        row.layout = riscv::layout_name(l);
        row.trampoline = p;
      }
    } else {
      // Undecided (no plan ran) counts as a skip with reason "unplanned".
      const char *key = s.decision == Decision::Skip ? skip_reason_key(s.reason) : "unplanned";
      ++r.skipped[key];
      if (rows) {
        row.decision = "skip";
        row.reason = key;
        row.reason_detail = ctx.detail_of(s);
      }
    }
    if (parts.site_rows)
      r.rows.push_back(std::move(row));
  }

  // By function, then address; unsymbolised sites ("") first, where the
  // eye lands.
  std::sort(r.site_notes.begin(), r.site_notes.end(), [](const SiteNote &a, const SiteNote &b) {
    return a.function != b.function ? a.function < b.function : a.address < b.address;
  });
  for (size_t k = 0; k < 3; ++k)
    if (by_source[k])
      r.sites_by_source[source_name(kSources[k])] = by_source[k];
  for (auto st : {SiteState::Nops, SiteState::Disabled, SiteState::Enabled, SiteState::Other})
    if (by_state[size_t(st) & 3])
      r.sites_by_state[site_state_name(st)] = by_state[size_t(st) & 3];
  for (unsigned k = 0; k < 8; ++k)
    if (mod8[k])
      r.site_mod8[k] = mod8[k];

  // Code size: cut every executable section into chunks at function entries
  // and at sites, then lay the chunks out again with each model.
  std::vector<std::pair<uint64_t, std::vector<Chunk>>> sections_chunks;
  for (size_t si = 0; si < secs.size(); ++si) {
    const Section &sec = secs[si];
    if (!sec.executable() || !sec.has_file_bytes() || sec.size == 0)
      continue;
    const uint64_t lo = sec.addr, hi = sec.addr + sec.size;
    // (start, function?, site reservation)
    // Merged in place below: one array of (functions + sites) chunks, sized
    // once (at 500K sites, regrowth would briefly hold two copies).
    std::vector<Chunk> starts;
    starts.reserve(1 + funcs[si].size() + sites_in[si].size());
    starts.push_back({lo, 0, 0, false, false});
    for (const Func &f : funcs[si])
      if (f.addr >= lo && f.addr < hi)
        starts.push_back({f.addr, 0, 0, true, false});
    for (const Site *s : sites_in[si]) {
      Chunk c;
      c.start = reservation_start(ctx, *s);
      c.reserved = site_reservation(ctx, *s, nominal);
      c.traced = true;
      starts.push_back(c);
    }
    std::sort(starts.begin(), starts.end(),
              [](const Chunk &a, const Chunk &b) { return a.start < b.start; });
    std::vector<Chunk> &chunks = starts;
    size_t kept = 0;
    for (size_t k = 0; k < starts.size(); ++k) {
      const Chunk c = starts[k];
      if (kept && chunks[kept - 1].start == c.start) {
        Chunk &m = chunks[kept - 1];
        m.function |= c.function;
        m.traced |= c.traced;
        m.reserved += c.reserved;
        continue;
      }
      chunks[kept++] = c;
    }
    chunks.resize(kept);
    for (size_t i = 0; i < chunks.size(); ++i) {
      const uint64_t end = i + 1 < chunks.size() ? chunks[i + 1].start : hi;
      chunks[i].size = end - chunks[i].start;
      // A reservation never exceeds its chunk (room scans stop at 64 bytes
      // and may run into the next function's nops).
      chunks[i].reserved = std::min(chunks[i].reserved, chunks[i].size);
    }
    sections_chunks.emplace_back(lo, std::move(chunks));
  }
  uint64_t reserved_chunks = 0;
  for (const auto &[lo, chunks] : sections_chunks) {
    r.base_text += model_section(chunks, lo, nullptr);
    for (const Chunk &c : chunks)
      reserved_chunks += c.reserved;
  }
  r.reserved_now = std::min(r.reserved_now, reserved_chunks);
  for (const LayoutModel &m : layout_models()) {
    LayoutCost c;
    c.model = &m;
    c.traced = 0;
    for (const auto &[lo, chunks] : sections_chunks) {
      c.text += model_section(chunks, lo, &m);
      for (const Chunk &ch : chunks)
        c.traced += ch.traced;
    }
    c.reserved = c.traced * (m.before_entry + m.at_entry);
    c.overhead = c.text - r.base_text;
    c.padding = c.overhead - c.reserved;
    c.vs_now = int64_t(c.text) - int64_t(r.exec_text);
    c.overhead_pct = r.base_text ? 100.0 * double(c.overhead) / double(r.base_text) : 0;
    r.layouts.push_back(c);
  }
  return r;
}

Comparison compare_reports(const Report &o, const Report &n, size_t top_n) {
  Comparison c;
  c.old_file = o.file;
  c.new_file = n.file;
  auto both = [](const char *name, uint64_t a, uint64_t b) {
    SizeDelta d;
    d.name = name;
    d.old_size = a;
    d.new_size = b;
    d.in_old = d.in_new = true;
    return d;
  };
  c.exec_text = both("exec text", o.exec_text, n.exec_text);
  c.alloc = both("alloc image", o.alloc_size, n.alloc_size);
  c.file = both("file", o.file_size, n.file_size);
  c.sites = both("sites", o.sites, n.sites);
  c.functions = both("functions", o.functions, n.functions);

  // Sections by name, in the new image's order, then old-only ones.
  std::map<std::string, size_t> old_index;
  for (size_t i = 0; i < o.sections.size(); ++i)
    old_index.emplace(o.sections[i].name, i);
  std::map<std::string, bool> seen;
  for (const SectionInfo &s : n.sections) {
    if (seen[s.name])
      continue;
    seen[s.name] = true;
    SizeDelta d;
    d.name = s.name;
    d.new_size = s.size;
    d.in_new = true;
    if (auto it = old_index.find(s.name); it != old_index.end()) {
      d.old_size = o.sections[it->second].size;
      d.in_old = true;
    }
    c.sections.push_back(d);
  }
  for (const SectionInfo &s : o.sections)
    if (!seen[s.name]) {
      seen[s.name] = true;
      SizeDelta d;
      d.name = s.name;
      d.old_size = s.size;
      d.in_old = true;
      c.sections.push_back(d);
    }

  // Symbols by name; the k-th symbol of a name in address order matches the
  // k-th in the other image (static functions share names across files).
  auto group = [](const Report &r) {
    std::unordered_map<std::string, std::vector<const SymbolSize *>> g;
    for (const SymbolSize &s : r.symbols)
      g[s.name].push_back(&s);
    for (auto &[k, v] : g)
      std::stable_sort(v.begin(), v.end(), [](const SymbolSize *a, const SymbolSize *b) {
        return a->address < b->address;
      });
    return g;
  };
  const auto og = group(o), ng = group(n);
  std::vector<SizeDelta> all;
  for (const auto &[name, nv] : ng) {
    auto it = og.find(name);
    const size_t ocount = it == og.end() ? 0 : it->second.size();
    for (size_t k = 0; k < nv.size(); ++k) {
      SizeDelta d;
      d.name = name;
      d.new_size = nv[k]->size;
      d.in_new = true;
      d.function = nv[k]->function;
      if (k < ocount) {
        d.old_size = it->second[k]->size;
        d.in_old = true;
        ++c.matched;
        c.symbol_growth += d.delta();
      } else {
        ++c.only_new;
      }
      all.push_back(d);
    }
    if (ocount > nv.size())
      c.only_old += ocount - nv.size();
  }
  for (const auto &[name, ov] : og)
    if (!ng.count(name))
      c.only_old += ov.size();
  // The per-site amount: what the reservation change adds to each traced
  // function.
  c.per_site_growth = int64_t(n.nominal_room) - int64_t(o.nominal_room);
  std::vector<SizeDelta> other;
  for (const SizeDelta &d : all) {
    if (!d.in_old || !d.function)
      continue;
    ++c.function_growth[d.delta()];
    if (d.delta() != 0 && d.delta() != c.per_site_growth)
      other.push_back(d);
  }
  c.other_growth = other.size();
  std::sort(other.begin(), other.end(), [](const SizeDelta &a, const SizeDelta &b) {
    return a.delta() != b.delta() ? a.delta() > b.delta() : a.name < b.name;
  });
  if (other.size() > top_n)
    other.resize(top_n);
  c.top = std::move(other);
  return c;
}

std::optional<Budget> check_budget(const Report &r, const std::string &layout, double limit) {
  const LayoutCost *c = r.layout(layout);
  if (!c)
    return std::nullopt;
  Budget b;
  b.layout = layout;
  b.limit_pct = limit;
  b.overhead = c->overhead;
  b.overhead_pct = c->overhead_pct;
  b.exceeded = c->overhead_pct > limit;
  return b;
}

} // namespace rvtramp
