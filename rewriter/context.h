// SPDX-License-Identifier: GPL-2.0-only
// What the passes share: the image, its sites, the options that steer the
// plan, warnings, and timers. No globals: every pass takes a Context&.
#pragma once

#include "arch/riscv.h"
#include "elf_image.h"
#include "site.h"
#include "timer.h"

#include <elf.h>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rvtramp {

struct Options {
  std::optional<std::string> dest;  // symbol or address; default ftrace_caller / 0
  riscv::ToggleState state = riscv::ToggleState::Disabled;
  // --disabled-toggle: the disabled toggle's form; unset (auto): c.j with
  // RVC, else j (riscv.h, DisabledToggle).
  std::optional<riscv::DisabledToggle> disabled_toggle;
  bool allow_relax = false;
  bool emit_mcount_loc = false;
  std::optional<uint32_t> reserved; // bytes the compiler reserved per site
};

struct Context {
  explicit Context(ElfImage img) : image(std::move(img)) {}

  ElfImage image;
  Options options;
  std::vector<Site> sites;           // sorted by (address, section)
  std::vector<CheckedEntry> entries; // run_locate_entries only: instead of sites, same order
  std::vector<TableRef> table_refs;  // grouped by site, in site order
  std::vector<std::string> details{std::string()}; // Site::detail indexes this; 0 is ""
  const std::string &detail_of(const Site &s) const { return details.at(s.detail); }
  void set_detail(Site &s, std::string text) {
    s.detail = uint32_t(details.size());
    details.push_back(std::move(text));
  }
  std::span<const TableRef> refs_of(const Site &s) const {
    return std::span<const TableRef>(table_refs).subspan(s.first_ref, s.ref_count);
  }
  std::unique_ptr<riscv::Decoder> decoder;
  riscv::Xlen xlen = riscv::Xlen::RV64;
  // Built with the C extension: c.j toggles are instructions there.
  bool rvc() const { return image.e_flags() & EF_RISCV_RVC; }
  // The disabled toggle rewrite writes (plan: Options::disabled_toggle).
  riscv::DisabledToggle disabled_toggle = riscv::DisabledToggle::J;

  // Destination literal chosen by the plan and why.
  uint64_t dest = 0;
  std::string dest_origin;           // "ftrace_caller", "0x...", "0 (relocatable: ...)"
  // A relocatable ET_DYN kernel whose .rela.dyn ends in reserved zero
  // entries: each rewritten literal holds the destination's link address and
  // gets an R_RISCV_RELATIVE there, which the kernel applies at boot
  // (passes/relocate_literals.cpp). Set by the plan with where the
  // reserved entries are (as the input has them); relocated_literals is
  // how many the pass filled, from the first free entry on.
  bool relocate_literals = false;
  size_t rela_reserve_list = 0;  // index into ElfImage::relas()
  size_t rela_reserve_first = 0; // first free entry
  size_t rela_reserve_free = 0;  // free entries from there to the end
  size_t relocated_literals = 0;
  size_t emitted_mcount_entries = 0; // --emit-mcount-loc
  size_t sorted_mcount_entries = 0;  // entries of ET_EXEC __mcount_loc tables emit sorted
  size_t null_table_entries = 0;
  // Bytes reserved per site: --reserved, else the most common nop run. A run
  // longer than that reaches into the body (an ALTERNATIVE or static-key nop)
  // and must not be used.
  uint32_t reserved_room = 0;
  std::string reserved_origin;     // zero entries (functions the linker dropped)
  // Owning-function lookup, per section, sorted by address (functions first).
  std::vector<std::vector<FunctionEntry>> functions_by_section;

  std::vector<std::string> warnings; // "symbol+off: what"
  std::vector<PassTime> timers;
};

// How every message names a code address (objtool's "func+0x12"): the
// function or code label that starts at or before it in its section, even
// past that symbol's size (a site without an owner still reads as "near
// foo"), else "SECTION+0xOFF". Needs run_locate's function index; without
// it (run_locate_entries) the section form.
std::string address_name(const Context &ctx, size_t section, uint64_t address);
// A site's owner when it has one, else address_name.
std::string site_name(const Context &ctx, const Site &s);

} // namespace rvtramp
