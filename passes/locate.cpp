// SPDX-License-Identifier: GPL-2.0-only
// Site discovery: every source a kernel build can produce.
//  - linked images (vmlinux, programs): absolute tables, __mcount_loc between
//    __start_mcount_loc/__stop_mcount_loc, or a kept __patchable_function_entries;
//  - objects and modules: the same tables as relocations (contents are zero);
//  - legacy -pg objects: auipc/jalr calls relocated against _mcount.
#include "passes.h"
#include "sort_keys.h"

#include <algorithm>
#include <optional>
#include <elf.h>
#include <unordered_map>

namespace rvtramp {
namespace {

struct TableKind {
  const char *section;
  const char *start_symbol; // linked images may delimit the table by symbols
  const char *stop_symbol;
  SiteSource source;
};
constexpr TableKind kTables[] = {
    {"__mcount_loc", "__start_mcount_loc", "__stop_mcount_loc", SiteSource::McountLoc},
    {"__patchable_function_entries", nullptr, nullptr, SiteSource::PatchableFunctionEntries},
};
constexpr const char *kMcountSymbols[] = {"_mcount", "mcount", "__fentry__"};
constexpr uint32_t kRoomScanLimit = 64; // far more than any layout needs

class Locator {
public:
  // full: owners and table references too (everything later passes use);
  // else only the entries and what their bytes hold (the output check).
  Locator(Context &ctx, bool full) : ctx_(ctx), img_(ctx.image), full_(full) {}

  Status run() {
    ctx_.functions_by_section.assign(img_.sections().size(), {});
    // Every name a pass asks for, in one scan while the table is resident
    // (below its pages go back to the page cache): plan's search for the
    // destination after that read the whole table again, faulting its
    // pages back in (at 122K sites most of plan's time).
    std::vector<std::string_view> names;
    for (const auto &kind : kTables)
      if (kind.start_symbol)
        names.insert(names.end(), {kind.start_symbol, kind.stop_symbol});
    if (full_ && !img_.is_relocatable())
      names.push_back(ctx_.options.dest ? std::string_view(*ctx_.options.dest) : kDefaultDest);
    img_.find_symbols(names);
    if (full_)
      index_functions();
    if (img_.is_relocatable()) {
      for (const auto &kind : kTables)
        RVT_TRY(relocatable_tables(kind));
      RVT_TRY(mcount_calls());
    } else {
      for (const auto &kind : kTables)
        RVT_TRY(absolute_tables(kind));
    }
    // The symbols are indexed and the tables found: the symbol table's
    // pages (12 MiB at 500K symbols) need not stay resident beside the
    // sites about to be built, the peak of a run's memory.
    img_.release_symbol_pages();
    finish();
    return Status::ok();
  }

private:
  void index_functions() {
    // A symbol that can own a site: a function, or a code label (not a
    // mapping symbol or a local .L label), in an executable section. Read
    // as fields: the name's first bytes, only for labels (building a
    // Symbol measured every name, twice per symbol: most of locate).
    std::vector<char> executable(img_.sections().size(), 0);
    for (const Section &s : img_.sections())
      executable[s.index] = s.executable();
    auto owner_candidate = [&](const SymbolTable::Fields &s) {
      if (s.shndx == 0 || s.shndx >= executable.size() || !executable[s.shndx])
        return false;
      return s.type == STT_FUNC || (s.type == STT_NOTYPE && s.name[0] != 0 && s.name[0] != '$' &&
                                    !(s.name[0] == '.' && s.name[1] == 'L'));
    };
    // Counted first: one allocation per section, no regrowth.
    std::vector<size_t> count(img_.sections().size(), 0);
    img_.symbols().for_each([&](const SymbolTable::Fields &s) {
      if (owner_candidate(s))
        ++count[s.shndx];
    });
    for (size_t i = 0; i < count.size(); ++i)
      ctx_.functions_by_section[i].reserve(count[i]);
    img_.symbols().for_each([&](const SymbolTable::Fields &s) {
      if (owner_candidate(s))
        ctx_.functions_by_section[s.shndx].emplace_back(s.value, s.name, s.size,
                                                        s.type == STT_FUNC);
    });
    // At one address a function names the site better than a label. The
    // entries carry what the sort and the lookup need: no symbol-table
    // access per comparison.
    for (auto &v : ctx_.functions_by_section)
      sort_functions(v);
  }

  Status add(size_t section, uint64_t offset, SiteSource source, const TableRef *ref,
             uint64_t entry_where, size_t table_section) {
    const Section &sec = img_.section(section);
    if (!sec.executable())
      return img_.error_at(table_section, entry_where,
                           std::string(source_name(source)) + " entry points into " +
                               sec.name + ", which is not executable");
    if (offset >= sec.size)
      return img_.error_at(table_section, entry_where,
                           std::string(source_name(source)) + " entry " +
                               hex(sec.addr + offset) + " is past the end of " + sec.name);
    // One sort key and one source per entry; in full mode one TableRef per
    // entry too (a placeholder for a -pg call, which has no table), in
    // entry order: build_sites permutes them into site order in place.
    keys_.push_back({sec.addr + offset, uint64_t(section) << 32 | keys_.size()});
    sources_.push_back(uint8_t(source));
    if (full_) {
      refs_.push_back(ref ? *ref : TableRef{});
      has_calls_ |= !ref;
    }
    return Status::ok();
  }

  // ElfImage::section_at_addr, remembering the last hit: table entries come
  // in runs inside one section. Only used when no two candidate sections
  // overlap (then the containing section is unique and any hit is the hit).
  const Section *section_at(uint64_t a) {
    if (overlap_checked_ == 0) {
      std::vector<const Section *> cands;
      for (const Section &s : img_.sections())
        if (s.index && (s.flags & SHF_ALLOC) && s.has_file_bytes() && s.size)
          cands.push_back(&s);
      std::sort(cands.begin(), cands.end(),
                [](const Section *x, const Section *y) { return x->addr < y->addr; });
      bool overlap = false;
      for (size_t i = 1; i < cands.size(); ++i)
        overlap |= cands[i - 1]->addr + cands[i - 1]->size > cands[i]->addr;
      overlap_checked_ = overlap ? 2 : 1;
    }
    if (overlap_checked_ == 1 && last_hit_ && last_hit_->contains_addr(a))
      return last_hit_;
    const Section *s = img_.section_at_addr(a);
    if (s)
      last_hit_ = s;
    return s;
  }

  // R_RISCV_RELATIVE entries of a linked image, by the address they patch.
  void index_relatives() {
    if (relatives_indexed_)
      return;
    relatives_indexed_ = true;
    const auto &lists = img_.relas();
    for (size_t l = 0; l < lists.size(); ++l)
      for (size_t e = 0; e < lists[l].entries.size(); ++e)
        if (lists[l].entries[e].type == R_RISCV_RELATIVE)
          relatives_.emplace(lists[l].entries[e].offset, std::make_pair(l, e));
  }

  Status absolute_table(const TableKind &kind, size_t table, uint64_t lo, uint64_t hi) {
    const Section &t = img_.section(table);
    const unsigned w = img_.word_size();
    if ((hi - lo) % w != 0)
      return img_.error_at(table, lo, std::string(kind.section) + " table size " +
                                          std::to_string(hi - lo) +
                                          " is not a multiple of " + std::to_string(w));
    index_relatives();
    keys_.reserve(keys_.size() + (hi - lo) / w);
    sources_.reserve(sources_.size() + (hi - lo) / w);
    if (full_)
      refs_.reserve(refs_.size() + (hi - lo) / w);
    // The whole table at once (one bounds check), decoded word by word.
    auto table_bytes = img_.read(table, lo, hi - lo);
    RVT_TRY(table_bytes);
    const uint8_t *words = table_bytes->data();
    for (uint64_t off = lo; off < hi; off += w) {
      uint64_t value = 0;
      for (unsigned k = 0; k < w; ++k)
        value |= uint64_t(words[off - lo + k]) << (8 * k);
      TableRef ref;
      ref.table_section = table;
      ref.entry_offset = off;
      if (auto r = relatives_.empty() ? relatives_.end() : relatives_.find(t.addr + off);
          r != relatives_.end()) {
        ref.has_relative = true;
        ref.relative_list = r->second.first;
        ref.relative_entry = r->second.second;
        if (value == 0)
          value = uint64_t(img_.relas()[r->second.first].entries[r->second.second].addend);
      }
      if (value == 0) {
        ++ctx_.null_table_entries; // the linker dropped that function
        continue;
      }
      const Section *target = section_at(value);
      if (!target || !target->executable())
        return img_.error_at(table, off,
                             std::string(kind.section) + " entry " + hex(value) +
                                 " is outside any executable section");
      RVT_TRY(add(target->index, value - target->addr, kind.source, &ref, off, table));
    }
    return Status::ok();
  }

  Status absolute_tables(const TableKind &kind) {
    std::vector<std::pair<size_t, std::pair<uint64_t, uint64_t>>> done;
    if (kind.start_symbol) {
      const Symbol *start = img_.find_symbol(kind.start_symbol);
      const Symbol *stop = img_.find_symbol(kind.stop_symbol);
      if (start && stop) {
        if (stop->value < start->value)
          return img_.error(std::string(kind.stop_symbol) + " is below " + kind.start_symbol);
        if (stop->value > start->value) {
          const Section *t = img_.section_at_addr(start->value);
          if (!t || stop->value - t->addr > t->size)
            return img_.error(std::string(kind.start_symbol) + ".." + kind.stop_symbol +
                              " is not inside one section with contents");
          const uint64_t lo = start->value - t->addr, hi = stop->value - t->addr;
          RVT_TRY(absolute_table(kind, t->index, lo, hi));
          done.push_back({t->index, {lo, hi}});
        }
      }
    }
    for (const auto &s : img_.sections()) {
      if (s.name != kind.section || !s.has_file_bytes())
        continue;
      const bool covered = std::any_of(done.begin(), done.end(),
                                       [&](const auto &d) { return d.first == s.index; });
      if (!covered)
        RVT_TRY(absolute_table(kind, s.index, 0, s.size));
    }
    return Status::ok();
  }

  Status relocatable_tables(const TableKind &kind) {
    const auto &lists = img_.relas();
    const uint32_t want = img_.is64() ? R_RISCV_64 : R_RISCV_32;
    for (size_t l = 0; l < lists.size(); ++l) {
      const RelaSection &rs = lists[l];
      if (rs.target == 0 || img_.section(rs.target).name != kind.section)
        continue;
      for (size_t e = 0; e < rs.entries.size(); ++e) {
        const Rela &r = rs.entries[e];
        if (r.type != want)
          return img_.error_at(rs.index, e, std::string(kind.section) + " relocation " +
                                                std::to_string(e) + " has type " +
                                                riscv_reloc_name(r.type));
        if (r.sym >= img_.symbols().size())
          return img_.error_at(rs.index, e, "relocation symbol out of range");
        const Symbol &sym = img_.symbols()[r.sym];
        if (sym.shndx == 0 || sym.shndx >= img_.sections().size())
          return img_.error_at(rs.index, e,
                               std::string(kind.section) + " entry against " +
                                   (sym.name.empty() ? std::string("an undefined symbol")
                                                     : std::string(sym.name)) +
                                   " is outside any executable section");
        TableRef ref;
        ref.table_section = rs.target;
        ref.entry_offset = r.offset;
        ref.via_rela = true;
        ref.rela_list = l;
        ref.rela_entry = e;
        const uint64_t offset = relocation_target_offset(sym, r.addend);
        RVT_TRY(add(sym.shndx, offset, kind.source, &ref, r.offset, rs.target));
      }
    }
    return Status::ok();
  }

  Status mcount_calls() {
    for (const RelaSection &rs : img_.relas()) {
      if (rs.target == 0 || !img_.section(rs.target).executable())
        continue;
      for (const Rela &r : rs.entries) {
        if (r.type != R_RISCV_CALL && r.type != R_RISCV_CALL_PLT)
          continue;
        if (r.sym == 0 || r.sym >= img_.symbols().size())
          continue;
        const std::string_view name = img_.symbols()[r.sym].name;
        if (std::none_of(std::begin(kMcountSymbols), std::end(kMcountSymbols),
                         [&](const char *m) { return name == m; }))
          continue;
        RVT_TRY(add(rs.target, r.offset, SiteSource::McountCall, nullptr, r.offset, rs.target));
      }
    }
    return Status::ok();
  }

  // The entries by (address, section): keys (address, section << 32 |
  // index), within a section the address orders the offsets. 16-byte keys
  // sort much faster than the entries themselves; riscv's __mcount_loc is
  // not sorted at build time. Then one Site per distinct (section, offset),
  // no hashing. Memory is the point at 5 * 10^5 entries: the keys are the
  // only per-entry array besides the TableRefs, which are permuted into
  // site order where they are (one bit per entry of bookkeeping) instead of
  // copied.
  void build_sites() {
    sort_key_pairs(keys_);
    size_t distinct = 0;
    for (size_t k = 0; k < keys_.size(); ++k)
      distinct += k == 0 || keys_[k].first != keys_[k - 1].first ||
                  keys_[k].second >> 32 != keys_[k - 1].second >> 32;
    ctx_.sites.reserve(distinct);
    for (size_t k = 0; k < keys_.size(); ++k) {
      const uint32_t section = uint32_t(keys_[k].second >> 32), i = uint32_t(keys_[k].second);
      if (k == 0 || keys_[k].first != keys_[k - 1].first ||
          section != uint32_t(keys_[k - 1].second >> 32)) {
        Site &site = ctx_.sites.emplace_back();
        site.section = section;
        site.address = keys_[k].first;
        site.offset = keys_[k].first - img_.section(section).addr;
        site.first_ref = uint32_t(k);
      }
      Site &site = ctx_.sites.back();
      site.sources |= sources_[i];
      ++site.ref_count;
    }
    if (has_calls_) {
      // -pg calls have no table entry: an object's few refs are copied, the
      // calls' placeholders left out.
      ctx_.table_refs.reserve(refs_.size());
      for (Site &site : ctx_.sites) {
        const uint32_t first = site.first_ref, n = site.ref_count;
        site.first_ref = uint32_t(ctx_.table_refs.size());
        site.ref_count = 0;
        for (uint32_t k = first; k < first + n; ++k) {
          const uint32_t i = uint32_t(keys_[k].second);
          if (sources_[i] == uint8_t(SiteSource::McountCall))
            continue;
          ctx_.table_refs.push_back(refs_[i]);
          ++site.ref_count;
        }
      }
    } else {
      // refs_[k] <- refs_[i of key k], following each cycle once.
      std::vector<bool> placed(refs_.size(), false);
      for (size_t j = 0; j < refs_.size(); ++j) {
        if (placed[j])
          continue;
        const TableRef first = refs_[j];
        for (size_t k = j;;) {
          placed[k] = true;
          const size_t from = uint32_t(keys_[k].second);
          if (from == j) {
            refs_[k] = first;
            break;
          }
          refs_[k] = refs_[from];
          k = from;
        }
      }
      ctx_.table_refs = std::move(refs_);
    }
    std::vector<KeyPair>().swap(keys_);
    std::vector<uint8_t>().swap(sources_);
    std::vector<TableRef>().swap(refs_);
  }

  // What the bytes at a site hold, and how many bytes of nops start there.
  SiteState classify(std::span<const uint8_t> bytes, uint64_t offset, uint64_t address,
                     uint32_t &room) const {
    room = (offset & 1) ? 0 : riscv::nop_run(bytes);
    if (room)
      return SiteState::Nops;
    if (auto t = riscv::match_trampoline(bytes, address, ctx_.xlen, ctx_.rvc()))
      return t->state == riscv::ToggleState::Disabled ? SiteState::Disabled : SiteState::Enabled;
    return SiteState::Other;
  }

  // Entries only (the output check): one CheckedEntry per distinct
  // (section, offset), in (address, section) order, and its state.
  void build_entries() {
    sort_key_pairs(keys_);
    ReleaseBehind behind(img_); // classify reads each entry's bytes, in address order
    for (size_t k = 0; k < keys_.size(); ++k) {
      const uint32_t section = uint32_t(keys_[k].second >> 32);
      if (k == 0 || keys_[k].first != keys_[k - 1].first ||
          section != uint32_t(keys_[k - 1].second >> 32)) {
        CheckedEntry &e = ctx_.entries.emplace_back();
        e.address = keys_[k].first;
        e.section = section;
        const Section &sec = img_.section(section);
        const uint64_t offset = e.address - sec.addr;
        behind.at(sec.offset + offset);
        if (auto bytes = img_.read(section, offset,
                                   std::min<uint64_t>(kRoomScanLimit, sec.size - offset))) {
          uint32_t room = 0;
          e.state = classify(*bytes, offset, e.address, room);
        }
      }
      ctx_.entries.back().sources |= sources_[uint32_t(keys_[k].second)];
    }
    std::vector<KeyPair>().swap(keys_);
    std::vector<uint8_t>().swap(sources_);
  }

  void finish() {
    if (!full_) {
      build_entries();
      return;
    }
    build_sites();
    // Each section's bytes once, not one bounds-checked read per site.
    std::vector<std::span<const uint8_t>> contents(img_.sections().size());
    std::vector<char> have(img_.sections().size(), 0);
    // Sites come in address order, so each section's owner lookup is a
    // cursor that only moves forward through its sorted functions.
    std::vector<size_t> cursor(img_.sections().size(), 0);
    for (Site &s : ctx_.sites) {
      const Section &sec = img_.section(s.section);
      if (!have[s.section]) {
        auto all = img_.read(s.section, 0, sec.size);
        have[s.section] = all ? 1 : 2;
        if (all)
          contents[s.section] = *all;
      }
      std::optional<std::span<const uint8_t>> bytes;
      if (have[s.section] == 1)
        bytes = contents[s.section].subspan(
            s.offset, std::min<uint64_t>(kRoomScanLimit, sec.size - s.offset));
      if (bytes)
        s.state = classify(*bytes, s.offset, s.address, s.room);
      const auto &funcs = ctx_.functions_by_section[s.section];
      size_t &c = cursor[s.section];
      while (c < funcs.size() && funcs[c].address <= s.address)
        ++c;
      const auto it = funcs.begin() + std::ptrdiff_t(c); // upper bound of s.address
      if (it != funcs.begin()) {
        // Step back to the first symbol at that address (the preferred one).
        auto first = std::prev(it);
        while (first != funcs.begin() && std::prev(first)->address == first->address)
          --first;
        // Past the end of a sized function is no man's land: typically the
        // left-over body of an overridden __weak function, whose table
        // entry survives the link but whose symbol now names the override.
        if (!(first->is_func() && first->size() && s.address >= first->address + first->size())) {
          s.owner = &*first; // names come from the entry: no symbol-table access
        }
      }
    }
  }

  // Functions before labels at one address; sorted through 16-byte keys.
  static void sort_functions(std::vector<FunctionEntry> &v) {
    auto before = [](const FunctionEntry &a, const FunctionEntry &b) {
      return a.address != b.address ? a.address < b.address : a.is_func() > b.is_func();
    };
    if (std::is_sorted(v.begin(), v.end(), before))
      return;
    std::vector<KeyPair> keys(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      keys[i] = {v[i].address, uint64_t(!v[i].is_func()) << 32 | i};
    sort_key_pairs(keys);
    std::vector<FunctionEntry> sorted;
    sorted.reserve(v.size());
    for (const auto &k : keys)
      sorted.push_back(v[uint32_t(k.second)]);
    v.swap(sorted);
  }

  Context &ctx_;
  const ElfImage &img_;
  const bool full_;
  std::vector<KeyPair> keys_;    // every table entry / call, before merging
  std::vector<uint8_t> sources_; // SiteSource of each, by entry index
  std::vector<TableRef> refs_;   // full: by entry index (placeholders for calls)
  bool has_calls_ = false;
  bool relatives_indexed_ = false;
  int overlap_checked_ = 0; // 0: not yet, 1: no overlap, 2: overlap
  const Section *last_hit_ = nullptr;
  std::unordered_map<uint64_t, std::pair<size_t, size_t>> relatives_;
};

} // namespace

namespace {
Status locate(Context &ctx, bool full) {
  ctx.xlen = ctx.image.is64() ? riscv::Xlen::RV64 : riscv::Xlen::RV32;
  if (!ctx.decoder)
    ctx.decoder = riscv::Decoder::create(ctx.xlen);
  if (!ctx.decoder)
    return ctx.image.error("Capstone cannot decode RISC-V (built without it?)");
  ctx.sites.clear();
  ctx.entries.clear();
  ctx.table_refs.clear();
  return Locator(ctx, full).run();
}
} // namespace

Status run_locate(Context &ctx) { return locate(ctx, true); }
Status run_locate_entries(Context &ctx) { return locate(ctx, false); }

} // namespace rvtramp
