// SPDX-License-Identifier: GPL-2.0-only
// Tables follow the trampolines: every entry naming a rewritten site now names
// P (the toggle), whether it is an absolute word (vmlinux), a relocation
// addend (objects, modules) or both (R_RISCV_RELATIVE in relocatable images).
// Objects keep P mod 8 through the link by raising sh_addralign to 8, and
// -pg objects can get the __mcount_loc table recordmcount would have made.
#include "passes.h"

#include <algorithm>
#include <elf.h>
#include <set>

namespace rvtramp {
namespace {

constexpr uint64_t kLayoutAlign = 8; // P mod 8 picks the layout: keep it through the link
constexpr uint64_t kMaxRelayoutAlign = uint64_t(1) << 24;

// recordmcount's choice of base symbol: the section symbol, else any symbol
// defined in the section (the entry then is symbol + (offset - value)).
std::optional<size_t> base_symbol(const ElfImage &img, size_t section) {
  std::optional<size_t> any;
  const std::vector<Symbol> &symbols = img.symbols();
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

} // namespace

Status run_emit(Context &ctx) {
  ElfImage &img = ctx.image;
  std::set<size_t> text_sections;
  for (const Site &s : ctx.sites) {
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
  return Status::ok();
}

} // namespace rvtramp
