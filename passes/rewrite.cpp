// SPDX-License-Identifier: GPL-2.0-only
// Writes the planned layouts: a c.nop at S for fixups, then the 24 bytes at P.
// Trailing nops stay nops.
#include "passes.h"

namespace rvtramp {

Status run_rewrite(Context &ctx) {
  for (const Site &s : ctx.sites) {
    if (s.decision != Decision::Rewrite)
      continue;
    if (s.fixup) {
      const uint8_t cnop[2] = {uint8_t(riscv::kCNop & 0xff), uint8_t(riscv::kCNop >> 8)};
      RVT_TRY(ctx.image.write_bytes(s.section, s.offset, cnop));
    }
    const uint64_t p = s.tramp_address();
    const auto bytes = riscv::build_trampoline(riscv::layout_for(p), ctx.xlen,
                                               ctx.options.state, ctx.dest);
    RVT_TRY(ctx.image.write_bytes(s.section, s.tramp_offset(), bytes));
  }
  return Status::ok();
}

} // namespace rvtramp
