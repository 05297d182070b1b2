// SPDX-License-Identifier: GPL-2.0-only
// Tables follow the trampolines: every entry naming a rewritten site now names
// P (the toggle), whether it is an absolute word (vmlinux), a relocation
// addend (objects, modules) or both (R_RISCV_RELATIVE in relocatable images).
// Objects keep P mod 8 through the link by raising sh_addralign to 8, and
// -pg objects can get the __mcount_loc table recordmcount would have made.
// A linked executable's __mcount_loc is left in ascending order.
#include "passes.h"

#include "sort_keys.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <elf.h>
#include <numeric>
#include <set>

namespace rvtramp {
namespace {

// A little-endian word of 4 or 8 bytes, as riscv files hold them.
uint64_t load_le(const uint8_t *p, unsigned width) {
  uint64_t v = 0;
  std::memcpy(&v, p, width);
  if constexpr (std::endian::native == std::endian::big)
    v = __builtin_bswap64(v); // the width bytes were copied to the top
  return v;
}

constexpr uint64_t kLayoutAlign = 8; // P mod 8 picks the layout: keep it through the link
constexpr uint64_t kMaxRelayoutAlign = uint64_t(1) << 24;

// recordmcount's choice of base symbol: the section symbol, else any symbol
// defined in the section (the entry then is symbol + (offset - value)).
std::optional<size_t> base_symbol(const ElfImage &img, size_t section) {
  std::optional<size_t> any;
  const SymbolTable &symbols = img.symbols();
  for (size_t i = 0; i < symbols.size(); ++i) {
    const Symbol &s = symbols[i];
    if (s.shndx != section)
      continue;
    if (s.type == STT_SECTION)
      return i;
    if (!any && (s.type == STT_FUNC || s.type == STT_NOTYPE) && !s.name.empty())
      any = i;
  }
  return any;
}

Status emit_mcount_loc(Context &ctx) {
  ElfImage &img = ctx.image;
  if (!img.is_relocatable())
    return img.error("--emit-mcount-loc applies to relocatable objects (.o) only");
  if (img.find_section("__mcount_loc"))
    return Status::ok(); // already has one: nothing to make
  // Adding sections means libelf lays the whole object out again, padding
  // every section to its alignment: a corrupt 2^48 would ask for a file that
  // size. Real objects stay far below 16 MiB.
  for (const Section &s : img.sections())
    if (s.addralign > kMaxRelayoutAlign)
      return img.error("--emit-mcount-loc: section " + s.name + " has sh_addralign " +
                       std::to_string(s.addralign) + " (more than " +
                       std::to_string(kMaxRelayoutAlign) + "), too large to lay the object out again");
  size_t symtab = 0;
  for (const Section &s : img.sections())
    if (s.type == SHT_SYMTAB)
      symtab = s.index;
  if (!symtab)
    return img.error("--emit-mcount-loc: no symbol table");
  NewSection table;
  table.name = "__mcount_loc";
  table.type = SHT_PROGBITS;
  table.flags = SHF_ALLOC;
  table.addralign = img.word_size();
  table.entsize = img.word_size();
  NewSection rela;
  rela.name = ".rela__mcount_loc";
  rela.type = SHT_RELA;
  rela.flags = SHF_INFO_LINK;
  rela.addralign = img.word_size();
  rela.entsize = img.is64() ? sizeof(Elf64_Rela) : sizeof(Elf32_Rela);
  rela.link = static_cast<uint32_t>(symtab);
  for (const Site &s : ctx.sites) {
    if (!(s.sources & uint8_t(SiteSource::McountCall)))
      continue;
    auto base = base_symbol(img, s.section);
    if (!base)
      return img.error_at(s.section, s.offset, "--emit-mcount-loc: no symbol to relocate against");
    const Symbol &sym = img.symbols()[*base];
    Rela r;
    r.offset = table.bytes.size();
    r.type = img.is64() ? R_RISCV_64 : R_RISCV_32;
    r.sym = static_cast<uint32_t>(*base);
    // The entry is symbol + addend: use the symbol's real value, which a
    // section symbol normally has as 0 but a damaged table may not.
    r.addend = int64_t(s.offset - sym.value);
    rela.relas.push_back(r);
    table.bytes.resize(table.bytes.size() + img.word_size(), 0);
  }
  if (rela.relas.empty())
    return Status::ok();
  ctx.emitted_mcount_entries = rela.relas.size();
  const size_t table_index = img.add_section(std::move(table));
  rela.info = static_cast<uint32_t>(table_index);
  img.add_section(std::move(rela));
  return Status::ok();
}

// Ascending __mcount_loc (a linked image: an ET_EXEC vmlinux, or an ET_DYN
// one, riscv's CONFIG_RELOCATABLE). Sorted input stays sorted through the
// moves (entries move by 0 or +2 and every rewritten site owns at least 24
// bytes, so no other entry lies within 2 bytes of it); this sort is for
// tables the link left unsorted, as riscv's is without
// HAVE_BUILDTIME_MCOUNT_SORT. Slots are permuted, word and R_RISCV_RELATIVE
// addend together; relocation offsets stay.
Status sort_mcount_tables(Context &ctx) {
  ElfImage &img = ctx.image;
  if (img.is_relocatable())
    return Status::ok();
  const unsigned w = img.word_size();
  for (const McountTable &t : sortable_mcount_tables(img)) {
    // The slots as (value, slot) keys straight from the table: no copy of
    // its bytes or values (at 500K sites each was 4 MiB more at the peak).
    auto table = img.read(t.section, t.lo, t.hi - t.lo);
    RVT_TRY(table);
    const uint8_t *words = table->data();
    const size_t n = table->size() / w;
    std::vector<KeyPair> order(n);
    bool sorted = true;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t v = t.relatives.empty()
                             ? load_le(words + i * w, w)
                             : uint64_t(img.relas()[t.relatives[i].first]
                                            .entries[t.relatives[i].second]
                                            .addend);
      sorted = sorted && (i == 0 || order[i - 1].first <= v);
      order[i] = {v, i};
    }
    if (sorted)
      continue;
    sort_key_pairs(order); // stable: equal values keep their slot order
    // The permuted table is one edit (a word each was 300 instructions).
    std::vector<uint8_t> permuted(n * w);
    for (size_t j = 0; j < n; ++j)
      std::memcpy(permuted.data() + j * w, words + order[j].second * w, w);
    if (!t.relatives.empty()) {
      std::vector<int64_t> addends(n);
      for (size_t i = 0; i < n; ++i)
        addends[i] = img.relas()[t.relatives[i].first].entries[t.relatives[i].second].addend;
      for (size_t j = 0; j < n; ++j)
        img.set_rela_addend(t.relatives[j].first, t.relatives[j].second,
                            addends[size_t(order[j].second)]);
    }
    RVT_TRY(img.write_bytes(t.section, t.lo, permuted));
    ctx.sorted_mcount_entries += n;
  }
  return Status::ok();
}

} // namespace

std::vector<McountTable> sortable_mcount_tables(const ElfImage &img) {
  std::vector<McountTable> out;
  if (img.is_relocatable())
    return out;
  const unsigned w = img.word_size();
  auto consider = [&](size_t section, uint64_t lo, uint64_t hi) {
    if (hi <= lo || (hi - lo) % w != 0)
      return;
    const Section &sec = img.section(section);
    if (sec.executable())
      return; // a table inside code (a damaged file): permuting it would move code
    const uint64_t a = sec.addr + lo, b = sec.addr + hi, n = (hi - lo) / w;
    McountTable t{section, lo, hi, {}};
    size_t relative = 0;
    // Filled on the first relocation into the table: a table without
    // them (a kernel that is not relocatable) costs no 16 bytes per slot
    // (8 MiB at 500K sites, in emit and again in the output check).
    std::vector<std::pair<size_t, size_t>> slot;
    const auto &lists = img.relas();
    for (size_t l = 0; l < lists.size(); ++l) {
      // Static relocations kept in a linked image (--emit-relocs: riscv's
      // relocatable vmlinux has an R_RISCV_64 against each .LPFE label in
      // .rela.init.data) are not loaded and no loader applies them: they
      // record the link, as they do for a site moved to S + 2, and are left
      // as they are. Only loaded (SHF_ALLOC) relocations decide the value.
      if (!(img.section(lists[l].index).flags & SHF_ALLOC))
        continue;
      for (size_t e = 0; e < lists[l].entries.size(); ++e) {
        const Rela &r = lists[l].entries[e];
        if (r.offset + w <= a || r.offset >= b)
          continue;
        if (slot.empty())
          slot.assign(n, {SIZE_MAX, 0});
        if (r.type != R_RISCV_RELATIVE || (r.offset - a) % w != 0 ||
            slot[(r.offset - a) / w].first != SIZE_MAX)
          return; // a symbol relocation, misaligned or doubled: not ours to permute
        slot[(r.offset - a) / w] = {l, e};
        ++relative;
      }
    }
    if (relative != 0 && relative != n)
      return; // some slots relocated, some not: a permutation would mix them
    if (relative) {
      // The addend is the value (the loader writes it); the word must be 0
      // or the same, else word and addend disagree on what the entry is.
      auto words = img.read(section, lo, hi - lo);
      if (!words)
        return;
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t v = 0;
        for (unsigned k = 0; k < w; ++k)
          v |= uint64_t((*words)[i * w + k]) << (8 * k);
        const Rela &r = lists[slot[i].first].entries[slot[i].second];
        if (v != 0 && v != uint64_t(r.addend))
          return;
      }
      t.relatives = std::move(slot);
    }
    out.push_back(std::move(t));
  };
  const Symbol *start = img.find_symbol("__start_mcount_loc");
  const Symbol *stop = img.find_symbol("__stop_mcount_loc");
  std::vector<size_t> covered;
  if (start && stop && stop->value > start->value)
    if (const Section *t = img.section_at_addr(start->value);
        t && stop->value - t->addr <= t->size) {
      consider(t->index, start->value - t->addr, stop->value - t->addr);
      covered.push_back(t->index);
    }
  for (const Section &s : img.sections())
    if (s.name == "__mcount_loc" && s.has_file_bytes() &&
        std::find(covered.begin(), covered.end(), s.index) == covered.end())
      consider(s.index, 0, s.size);
  return out;
}

Expected<std::vector<uint64_t>> mcount_values(const ElfImage &img, const McountTable &t,
                                              bool original) {
  const unsigned w = img.word_size();
  std::vector<uint64_t> values((t.hi - t.lo) / w);
  if (!t.relatives.empty()) {
    // The addends as the file holds them (the word is 0 or the same:
    // sortable_mcount_tables), not as relas() has them: the original's
    // must be the file's before any edit (relas() holds the edited ones,
    // so a check against them would compare the sorted table with itself),
    // and the checked image's what is written.
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const auto &[l, e] : t.relatives) {
      const uint64_t at = img.rela_addend_file_offset(l, e);
      lo = std::min(lo, at);
      hi = std::max(hi, at + w);
    }
    std::vector<uint8_t> copy;
    const uint8_t *span = nullptr;
    if (original) {
      copy.resize(hi - lo); // one read: a table's RELATIVEs lie together in .rela.dyn
      RVT_TRY(img.read_original_at(lo, copy));
      span = copy.data();
    } else {
      if (hi > img.current_bytes().size())
        return img.error("internal: __mcount_loc addend past the end of the file");
      span = img.current_bytes().data() + lo;
    }
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = load_le(span + (img.rela_addend_file_offset(t.relatives[i].first,
                                                              t.relatives[i].second) - lo), w);
    return values;
  }
  std::vector<uint8_t> copy;
  const uint8_t *bytes = nullptr;
  if (original && w == 8 && t.relatives.empty() && std::endian::native == std::endian::little) {
    // The words as they are, read straight into the values: no second
    // copy of the table (4 MiB at 500K sites, at the output check's peak).
    RVT_TRY(img.read_original(
        t.section, t.lo,
        std::span(reinterpret_cast<uint8_t *>(values.data()), values.size() * sizeof(uint64_t))));
    return values;
  }
  if (original) {
    copy.resize(t.hi - t.lo);
    RVT_TRY(img.read_original(t.section, t.lo, copy));
    bytes = copy.data();
  } else {
    auto b = img.read(t.section, t.lo, t.hi - t.lo);
    RVT_TRY(b);
    bytes = b->data();
  }
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = load_le(bytes + i * w, w);
  return values;
}

Status run_emit(Context &ctx) {
  ElfImage &img = ctx.image;
  std::set<size_t> text_sections;
  const uint8_t *bytes = img.current_bytes().data();
  constexpr size_t kAhead = 16;
  for (const Site &s : ctx.sites) {
    // The table words of the sites a little ahead: in an unsorted
    // __mcount_loc each site's slot is anywhere in the table, a cache miss
    // when it is read and written below.
    if (const size_t i = size_t(&s - ctx.sites.data()); i + kAhead < ctx.sites.size())
      for (const TableRef &r : ctx.refs_of(ctx.sites[i + kAhead]))
        if (!r.via_rela)
          __builtin_prefetch(bytes + img.section(r.table_section).offset + r.entry_offset, 1);
    if (s.decision != Decision::Rewrite)
      continue;
    text_sections.insert(s.section);
    const uint64_t delta = s.tramp_offset() - s.offset;
    if (delta == 0)
      continue;
    for (const TableRef &ref : ctx.refs_of(s)) {
      if (ref.via_rela) {
        const Rela &r = img.relas()[ref.rela_list].entries[ref.rela_entry];
        img.set_rela_addend(ref.rela_list, ref.rela_entry, r.addend + int64_t(delta));
        continue;
      }
      // A word the dynamic loader fills from its R_RISCV_RELATIVE addend may
      // be 0 in the file: then only the addend moves.
      auto word = img.read_word(ref.table_section, ref.entry_offset);
      RVT_TRY(word);
      if (*word != 0 || !ref.has_relative)
        RVT_TRY(img.write_word(ref.table_section, ref.entry_offset, s.tramp_address()));
      if (ref.has_relative) {
        const Rela &r = img.relas()[ref.relative_list].entries[ref.relative_entry];
        img.set_rela_addend(ref.relative_list, ref.relative_entry, r.addend + int64_t(delta));
      }
    }
  }
  if (img.is_relocatable())
    for (size_t sec : text_sections)
      img.raise_addralign(sec, kLayoutAlign);
  if (ctx.options.emit_mcount_loc)
    RVT_TRY(emit_mcount_loc(ctx));
  // Last: the table references of the sites name slots as they were.
  RVT_TRY(sort_mcount_tables(ctx));
  return Status::ok();
}

} // namespace rvtramp
