// SPDX-License-Identifier: GPL-2.0-only
// One mcount / patchable-function-entry site and what the plan decided for it.
#pragma once

#include "elf_image.h"

#include <cstdint>
#include <elf.h>
#include <string>
#include <string_view>

namespace rvtramp {

enum class SiteSource : uint8_t {
  McountLoc = 1 << 0,                // vmlinux __mcount_loc table (absolute)
  PatchableFunctionEntries = 1 << 1, // objects/modules: relocations
  McountCall = 1 << 2,               // legacy -pg: call _mcount
};
const char *source_name(SiteSource s);

// What the bytes at the site look like before the rewrite.
enum class SiteState : uint8_t { Nops, Disabled, Enabled, Other };
const char *site_state_name(SiteState s);

// Where a table points at this site, so emit can move the pointer to P.
// 24 bytes: one per table entry, and a kernel has 10^5 of them. A table
// is either relocatable (its entries are RELA addends: via_rela) or
// linked (words, each maybe with an R_RISCV_RELATIVE: has_relative), never
// both, so the two (list, entry) pairs share their storage.
struct TableRef {
  uint64_t entry_offset = 0;  // offset of the pointer inside table_section
  uint32_t table_section = 0; // section holding the pointer (absolute tables)
  union {
    // Relocatable tables: the RELA entry whose addend is the pointer.
    uint32_t rela_list = 0;   // index into ElfImage::relas()
    // vmlinux built relocatable: an R_RISCV_RELATIVE holding the same value.
    uint32_t relative_list;
  };
  union {
    uint32_t rela_entry = 0;
    uint32_t relative_entry;
  };
  bool via_rela = false;
  bool has_relative = false;
};
static_assert(sizeof(TableRef) <= 24, "TableRef is per-entry memory: keep it small");

enum class Decision : uint8_t { Undecided, Rewrite, Skip };

enum class SkipReason : uint8_t {
  None,
  RoomTooSmall,
  NotNops,
  BranchIntoRegion,
  ForeignRelocation,
  NotExecutable,
  AlreadyRewritten,
  LinkerRelaxation,
  NotAnEntry,   // -pg call sites: a call, not reserved nops
  Referenced,   // .alternative, __jump_table, __ex_table or a relocation points inside
};
const char *skip_reason_key(SkipReason r); // stable machine key ("room", ...)

// Where a site's function starts, and its name: the owner lookup of locate
// and analyze, one per function symbol or code label.
// 24 bytes: what lookups read per site (address, size, kind) is here, so a
// sweep in address order does not chase each symbol through the symbol
// table (a cache miss per function); the name comes from the image's
// symbol table, which lives as long as the image.
// The name is a pointer into the image's string table, where parse()
// found its NUL (symbols are not copied: SymbolTable), so it is measured
// when asked for, which is per message, not per site.
struct FunctionEntry {
  FunctionEntry() = default;
  FunctionEntry(uint64_t addr, const Symbol &sym)
      : FunctionEntry(addr, sym.name.data(), sym.size, sym.type == STT_FUNC) {}
  FunctionEntry(uint64_t addr, const char *name, uint64_t size, bool is_function)
      : address(addr), name_(name), size_(size < kSizeLimit ? size : kSizeLimit - 1),
        func(is_function) {}
  uint64_t address = 0;
  uint64_t size() const { return size_; }
  std::string_view name() const { return name_ ? std::string_view(name_) : std::string_view(); }
  bool is_func() const { return func; } // else a code label

private:
  // 63 bits of size: a symbol of 2^63 bytes or more (no file has them) is
  // taken as 2^63 - 1, which reaches past the end of any section alike.
  static constexpr uint64_t kSizeLimit = uint64_t(1) << 63;
  const char *name_ = nullptr;
  uint64_t size_ : 63 = 0;
  uint64_t func : 1 = 0;
};
static_assert(sizeof(FunctionEntry) <= 24);

// A kernel has 10^5 sites (a synthetic stress image 5 * 10^5): fields are
// ordered and sized to keep this small, derived values are methods, and the
// few sites with text keep it in the Context.
struct Site {
  uint64_t offset = 0;      // S, section-relative
  uint64_t address = 0;     // sh_addr + S
  // Owning symbol, in Context::functions_by_section (which outlives the
  // sites and never changes after locate), or null.
  const FunctionEntry *owner = nullptr;
  uint32_t first_ref = 0;   // this site's table entries: Context::refs_of()
  uint32_t ref_count = 0;
  uint32_t section = 0;     // executable section holding the site
  uint32_t room = 0;        // bytes of nop/c.nop from S
  SiteState state = SiteState::Other;
  uint8_t sources = 0;      // SiteSource bits

  // Analyze: hazards that forbid touching the region.
  bool relax_section = false;       // its section carries R_RISCV_RELAX/ALIGN
  // The first of a relocation inside the region (ForeignRelocation) or a
  // table/relocation pointing into it (Referenced); its text is the detail
  // until the plan decides.
  SkipReason hazard = SkipReason::None;
  uint8_t branch_into = 0;          // a branch target inside the region, as S+n; 0 if none

  // Plan.
  Decision decision = Decision::Undecided;
  SkipReason reason = SkipReason::None;
  bool fixup = false;         // P = S + 2
  uint32_t region_size = 0;   // bytes of [S, ...) the rewrite owns
  uint32_t detail = 0;        // human text, e.g. "room 8 < 24": Context::detail_of()

  // P, section-relative and absolute (meaningful when rewritten).
  uint64_t tramp_offset() const { return offset + (fixup ? 2 : 0); }
  uint64_t tramp_address() const { return address + (fixup ? 2 : 0); }
  std::string_view function() const { return owner ? owner->name() : std::string_view(); }
  uint64_t function_offset() const { return owner ? address - owner->address : 0; }
  unsigned align() const { return unsigned(address & 7); }
};
static_assert(sizeof(Site) <= 56, "Site is per-site memory: keep it small");

// A table entry of a file being checked (run_locate_entries): what the
// output check needs and no more, 16 bytes against a Site's 56. Its offset
// in the section is address - sh_addr.
struct CheckedEntry {
  uint64_t address = 0;
  uint32_t section = 0;
  SiteState state = SiteState::Other;
  uint8_t sources = 0; // SiteSource bits
};
static_assert(sizeof(CheckedEntry) == 16);

// "symbol+0xoff", or the address when no function owns the site; with a
// Context, site_name (context.h) names an unowned site by its neighbour.
std::string site_owner(const Site &s);

// The plan's word for a site: "rewrite", "fixup" (P = S + 2), "skip", or
// "undecided" when no plan ran. One spelling for sites, report and CSV.
const char *decision_name(const Site &s);

} // namespace rvtramp
