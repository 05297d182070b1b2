// SPDX-License-Identifier: GPL-2.0-only
// One function per pass, called in order by driver/pipeline.cpp. Each reads
// what earlier passes left in the Context and adds its own part.
#pragma once

#include "context.h"

namespace rvtramp {

// The destination a literal gets when the image defines it and --dest is
// not given (plan); locate looks it up with the tables' symbols.
inline constexpr std::string_view kDefaultDest = "ftrace_caller";

Status run_locate(Context &ctx);   // sites from __mcount_loc, __patchable_function_entries, -pg calls
// The same sites and states without owners or table references: enough to
// verify a written file against its input (verify names sites through it).
Status run_locate_entries(Context &ctx);
Status run_analyze(Context &ctx);  // hazards: branch targets, relocations, relaxation
Status run_plan(Context &ctx);     // A8 / A4 / fixup / skip(reason), destination literal
Status run_rewrite(Context &ctx);  // layout bytes
Status run_emit(Context &ctx);     // table entries, addends, RELATIVE, sh_addralign, __mcount_loc
Status run_verify(Context &ctx);   // every rewritten site decodes as its layout, tables point at P
// ET_DYN: an R_RISCV_RELATIVE per rewritten literal in .rela.dyn's reserved entries.
Status run_relocate_literals(Context &ctx);

// .rela.dyn's reserved entries: the trailing run of all-zero entries (a
// zero entry is R_RISCV_NONE at 0, which the kernel's relocate_kernel()
// skips), counted from the end backwards. A relocatable kernel's linker
// script reserves one per __mcount_loc entry for the literal relocations.
// count 0 (no .rela.dyn, or it ends in a real relocation): none.
struct RelaReserve {
  size_t list = 0;  // index into ElfImage::relas()
  size_t first = 0; // first free entry
  size_t count = 0;
};
RelaReserve reserved_rela_entries(const ElfImage &img);
// The reserved entries of the file ctx was loaded from: as the plan found
// them (a rewrite's ctx, whose relocations are edited), else as they are.
RelaReserve original_rela_reserve(const Context &ctx);

// The __mcount_loc of a linked executable (ET_EXEC vmlinux): between
// __start_mcount_loc and __stop_mcount_loc, else a section of that name.
// Rewrite leaves it in ascending order (the kernel may then skip its boot-time
// sort, HAVE_BUILDTIME_MCOUNT_SORT), verify checks the order and that the
// entries are the original's. Only tables whose slots carry no relocation, or
// exactly one R_RISCV_RELATIVE each (word 0 or equal to the addend), outside
// code, are sortable (a permutation of the slots then moves each word with
// its addend); any other is left as it is.
struct McountTable {
  size_t section = 0;
  uint64_t lo = 0, hi = 0; // byte range inside the section
  // Per slot (relocation list, entry) of its R_RISCV_RELATIVE; empty: none.
  std::vector<std::pair<size_t, size_t>> relatives;
};
std::vector<McountTable> sortable_mcount_tables(const ElfImage &img);
// Each slot's value: the word, or with RELATIVE relocations their addend
// (the word then is 0 or the same).
// original: the bytes as in the file (ElfImage::read_original), not edits.
Expected<std::vector<uint64_t>> mcount_values(const ElfImage &img, const McountTable &t,
                                              bool original = false);

constexpr size_t kListedNotTrampolines = 20;

// When a plan rewrites no site although the file has sites to rewrite (or
// has none at all): one sentence saying why and what to change, e.g. the
// -fpatchable-function-entry value the layout needs. Empty when something
// is rewritten, or every site already is. rewrite warns with it, report
// shows it as a banner.
std::string nothing_rewritten_reason(const Context &ctx);

// Verification of a finished image, optionally against the file it came from.
struct VerifyResult {
  size_t entries = 0;        // sites named by the tables
  size_t disabled = 0;       // well-formed layouts, toggle off
  size_t disabled_j = 0;     // of those in an RVC image, the j .+24 form (not c.j)
  size_t enabled = 0;        // well-formed layouts, toggle on
  size_t untouched = 0;      // still reserved nops (skipped or never rewritten)
  size_t calls = 0;          // -pg call sites
  size_t compared_bytes = 0; // bytes compared against the original
  size_t sorted_entries = 0; // __mcount_loc entries found in ascending order (linked images)
  size_t mcount_entries = 0; // entries of the __mcount_loc tables checked (sortable ones)
  // Of those, entries matched one to one with the original's (each S, or
  // S + 2): only when checked against an original.
  size_t mcount_matched = 0;
  // ET_DYN (ELF64): trampoline literals that point into the image and have
  // their one R_RISCV_RELATIVE in .rela.dyn (the kernel moves them at boot).
  size_t relocated_literals = 0;
  // Bytes that differ between the output and the input, when the check
  // compared them all (check_written: the edited ranges hold every change).
  std::optional<uint64_t> changed_bytes;
  std::vector<std::string> problems;
  // The first entries that are not trampolines ("0xADDR symbol+0xOFF"), for
  // verify --strict, which fails on any.
  std::vector<std::string> not_trampolines;
  bool ok() const { return problems.empty(); }
  size_t trampolines() const { return disabled + enabled; }
};
// ET_DYN (ELF64): every trampoline literal of ctx that points into the image
// has exactly one R_RISCV_RELATIVE at its address whose addend is the
// literal (counted in relocated_literals; a missing or wrong one is a
// problem naming the site); a literal of 0, or outside the image (an
// absolute --dest ADDRESS), needs none. reserve: the original's reserved
// entries, when known: each one now filled must be such a literal's
// relocation. Sites (run_locate, with a plan: rewritten ones at P) or
// entries (run_locate_entries); original names entries when given.
void check_literal_relocations(const Context &ctx, const Context *original,
                               const RelaReserve *reserve, VerifyResult &res);

// ctx must have been through run_locate; original likewise, when given.
VerifyResult verify_image(Context &ctx, const Context *original);
// The __mcount_loc part of verify_image: ascending (ET_EXEC, once it holds
// trampolines), and against the original the same entries (S or S + 2).
// original may be ctx itself (entries then come from read_original).
void check_mcount_order(const Context &ctx, const Context *original, VerifyResult &res);

// The output check of a rewrite that wrote only its edits
// (ElfImage::write_changes_to_fd), from the edit list instead of a second
// parse: the output at fd has the input's size; each edited range read back
// from fd equals the edited image, and differs from the input only inside
// a rewritten site's region, a table entry or addend the rewrite may move,
// or a raised sh_addralign; every rewritten site holds its layout (and
// 2-aligned ones their c.nop) in the bytes read back; table entries of
// moved sites name P; __mcount_loc as check_mcount_order says. Bytes outside
// the ranges are the input's by construction (copied by the kernel, or
// from memory no edit reached). `verify --against` stays the independent,
// whole-file check. From two_threads_from bytes of ranges on, two threads
// share the reading (tests pass 0 to split a small file too).
Expected<VerifyResult> check_written(const Context &ctx, int fd,
                                     const std::vector<ElfImage::FileRange> &ranges,
                                     uint64_t two_threads_from = uint64_t(4) << 20);
// The same for a ctx not located yet: locate (run_locate or
// run_locate_entries) runs while the bytes are compared with the original.
Expected<VerifyResult> locate_and_verify(Context &ctx, const Context *original,
                                         Status (*locate)(Context &));

} // namespace rvtramp
