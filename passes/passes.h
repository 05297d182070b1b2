// SPDX-License-Identifier: GPL-2.0-only
// One function per pass, called in order by driver/pipeline.cpp. Each reads
// what earlier passes left in the Context and adds its own part.
#pragma once

#include "context.h"

namespace rvtramp {

Status run_locate(Context &ctx);   // sites from __mcount_loc, __patchable_function_entries, -pg calls
// The same sites and states without owners or table references: enough to
// verify a written file against its input (verify names sites through it).
Status run_locate_entries(Context &ctx);
Status run_analyze(Context &ctx);  // hazards: branch targets, relocations, relaxation
Status run_plan(Context &ctx);     // A8 / A4 / fixup / skip(reason), destination literal
Status run_rewrite(Context &ctx);  // layout bytes
Status run_emit(Context &ctx);     // table entries, addends, RELATIVE, sh_addralign, __mcount_loc
Status run_verify(Context &ctx);   // every rewritten site decodes as its layout, tables point at P

// Verification of a finished image, optionally against the file it came from.
struct VerifyResult {
  size_t entries = 0;        // sites named by the tables
  size_t disabled = 0;       // well-formed layouts, toggle off
  size_t enabled = 0;        // well-formed layouts, toggle on
  size_t untouched = 0;      // still reserved nops (skipped or never rewritten)
  size_t calls = 0;          // -pg call sites
  size_t compared_bytes = 0; // bytes compared against the original
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};
// ctx must have been through run_locate; original likewise, when given.
VerifyResult verify_image(Context &ctx, const Context *original);
// The same for a ctx not located yet: locate (run_locate or
// run_locate_entries) runs while the bytes are compared with the original.
Expected<VerifyResult> locate_and_verify(Context &ctx, const Context *original,
                                         Status (*locate)(Context &));

} // namespace rvtramp
