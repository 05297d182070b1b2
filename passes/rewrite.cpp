// SPDX-License-Identifier: GPL-2.0-only
// Writes the planned layouts: a c.nop at S for fixups, then the 24 bytes at P.
// Trailing nops stay nops.
#include "passes.h"

namespace rvtramp {

Status run_rewrite(Context &ctx) {
  // Two layouts, one state and one literal for the whole image: built once
  // (a build per site was a fifth of this pass).
  const auto a4 = riscv::build_trampoline(riscv::Layout::A4, ctx.xlen, ctx.options.state, ctx.dest,
                                          ctx.disabled_toggle);
  const auto a8 = riscv::build_trampoline(riscv::Layout::A8, ctx.xlen, ctx.options.state, ctx.dest,
                                          ctx.disabled_toggle);
  for (const Site &s : ctx.sites) {
    if (s.decision != Decision::Rewrite)
      continue;
    if (s.fixup) {
      const uint8_t cnop[2] = {uint8_t(riscv::kCNop & 0xff), uint8_t(riscv::kCNop >> 8)};
      RVT_TRY(ctx.image.write_bytes(s.section, s.offset, cnop));
    }
    const uint64_t p = s.tramp_address();
    RVT_TRY(ctx.image.write_bytes(s.section, s.tramp_offset(),
                                  riscv::layout_for(p) == riscv::Layout::A8 ? a8 : a4));
  }
  return Status::ok();
}

} // namespace rvtramp
