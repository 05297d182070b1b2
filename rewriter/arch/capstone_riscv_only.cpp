// SPDX-License-Identifier: GPL-2.0-only
// Linked into the rvtramp executable with a static Capstone only: rvtramp
// decodes RISC-V and nothing else, but cs.o names every architecture's
// module through its table of <ARCH>_global_init / <ARCH>_option, so a
// static link pulled in all of them. Their tables of pointers are
// relocated at every start: 1.35 MB of .data.rel.ro (1 MiB of it M68K's
// g_instruction_table), 330 pages copied on write, 6-9 ms of a module
// rewrite's 10 on this virtual machine, where a fault costs 20-35 us
// (bench/README.md). Defined here, these entry points satisfy cs.o, the
// archive's modules are never linked, and cs_open of any of them fails
// as for an architecture Capstone was built without.
#include <capstone/capstone.h>

#include <cstddef>

#define RVT_NO_CAPSTONE_ARCH(arch)                                                                 \
  extern "C" cs_err arch##_global_init(void *) { return CS_ERR_ARCH; }                             \
  extern "C" cs_err arch##_option(void *, cs_opt_type, size_t) { return CS_ERR_ARCH; }

RVT_NO_CAPSTONE_ARCH(AArch64)
RVT_NO_CAPSTONE_ARCH(ARM)
RVT_NO_CAPSTONE_ARCH(BPF)
RVT_NO_CAPSTONE_ARCH(EVM)
RVT_NO_CAPSTONE_ARCH(M680X)
RVT_NO_CAPSTONE_ARCH(M68K)
RVT_NO_CAPSTONE_ARCH(MOS65XX)
RVT_NO_CAPSTONE_ARCH(Mips)
RVT_NO_CAPSTONE_ARCH(PPC)
RVT_NO_CAPSTONE_ARCH(SH)
RVT_NO_CAPSTONE_ARCH(Sparc)
RVT_NO_CAPSTONE_ARCH(SystemZ)
RVT_NO_CAPSTONE_ARCH(TMS320C64x)
RVT_NO_CAPSTONE_ARCH(TRICORE)
RVT_NO_CAPSTONE_ARCH(WASM)
RVT_NO_CAPSTONE_ARCH(X86)
RVT_NO_CAPSTONE_ARCH(XCore)
