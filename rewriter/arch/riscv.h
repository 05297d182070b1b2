// SPDX-License-Identifier: GPL-2.0-only
// Everything RISC-V: instruction encodings the rewrite writes, the two
// inline-trampoline layouts of README.md, "The layout" (A8 and A4, RV64
// with ld and RV32 with lw), recognising them again, and Capstone decoding.
// Passes reach the architecture only through this interface (objtool's
// arch_* split).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rvtramp::riscv {

enum class Xlen { RV32, RV64 };

// Integer registers used by the layouts.
constexpr unsigned kZero = 0, kRa = 1, kT0 = 5;

// Encoders (return the little-endian instruction word).
uint32_t encode_jal(unsigned rd, int32_t offset);   // J-type, offset even, +-1 MiB
uint32_t encode_j(int32_t offset);                  // jal x0, offset
uint32_t encode_auipc(unsigned rd, int32_t imm20);
uint32_t encode_ld(unsigned rd, unsigned rs1, int32_t imm12);
uint32_t encode_lw(unsigned rd, unsigned rs1, int32_t imm12);
uint32_t encode_jalr(unsigned rd, unsigned rs1, int32_t imm12);
uint16_t encode_c_j(int32_t offset);                // c.j offset: CJ-type, even, +-2 KiB
constexpr uint32_t kNop = 0x00000013;  // addi x0, x0, 0
constexpr uint16_t kCNop = 0x0001;     // c.nop

// Length in bytes of the instruction whose first halfword is h (2 or 4;
// longer encodings are reported as 0: not used by RV64GC).
unsigned instruction_length(uint16_t first_halfword);

// Bytes of consecutive nop / c.nop at the start of `bytes`.
uint32_t nop_run(std::span<const uint8_t> bytes);

// ---- The inline trampoline -------------------------------------------------
constexpr uint32_t kTrampolineSize = 24;     // P .. P+0x18
constexpr uint32_t kFixupSize = 26;          // room for a 2-aligned site
enum class Layout { A8, A4 };                // chosen by P mod 8
enum class ToggleState { Disabled, Enabled };
// The two forms of the disabled toggle (README.md, "The toggle"). J: `j
// .+24`. CJ: `c.j .+24` in the low halfword, 0 in the high one (never
// executed). Enabled is `auipc t0, 0`, whose high halfword is 0 too, so with
// CJ the two states differ in the low halfword only: a fetch that reads the
// word as two halfwords at different times (QEMU's TCG; hardware without
// Ziccif) still sees one whole state, where with J it can see `auipc t0,
// 0x1800` or `j .`. CJ needs the C extension: without it, an illegal
// instruction. Linux (the rvtramp series) keeps a disabled site in the CJ
// form with CONFIG_RISCV_ISA_C and converts a J toggle it finds at init.
enum class DisabledToggle : uint8_t { J, CJ };

Layout layout_for(uint64_t p);               // P must be 4-aligned
uint32_t literal_offset(Layout layout);      // 0x08 (A8) or 0x0c (A4)
// j .+24 or c.j .+24; 0 (disabled, by form) / auipc t0, 0 (enabled)
uint32_t toggle_word(ToggleState state, DisabledToggle form);
const char *toggle_form_name(DisabledToggle form); // "j" or "c.j"
const char *layout_name(Layout layout);
const char *state_name(ToggleState state);

// form: the disabled toggle's (unused when enabled).
std::array<uint8_t, kTrampolineSize> build_trampoline(Layout layout, Xlen xlen,
                                                      ToggleState state, uint64_t dest,
                                                      DisabledToggle form);

struct Trampoline {
  Layout layout;
  ToggleState state;
  uint64_t dest;
  DisabledToggle form; // of a disabled toggle; J when enabled
};
// Recognises a well-formed layout at address p (either state, any literal).
// rvc: the image has the C extension (EF_RISCV_RVC); only then is a CJ
// toggle one (without it the kernel would execute an illegal instruction).
std::optional<Trampoline> match_trampoline(std::span<const uint8_t> bytes, uint64_t p,
                                           Xlen xlen, bool rvc);

// ---- Decoding (Capstone) ---------------------------------------------------
struct Insn {
  uint64_t address = 0;
  uint8_t size = 0;
  unsigned id = 0;               // Capstone RISCV_INS_*
  std::string mnemonic;
  std::string operands;
  std::optional<uint64_t> branch_target;  // jal/j/branches: absolute target
};

class Decoder {
public:
  static std::unique_ptr<Decoder> create(Xlen xlen); // nullptr: Capstone failed
  ~Decoder();
  Decoder(const Decoder &) = delete;
  Decoder &operator=(const Decoder &) = delete;

  // Decodes everything; an undecodable halfword is skipped (2 bytes) so a
  // sweep never stops early on data in text.
  std::vector<Insn> decode(std::span<const uint8_t> bytes, uint64_t address) const;
  // Only the direct branch/jump targets of a linear sweep: jal, beq..bgeu,
  // c.j, c.jal (RV32), c.beqz, c.bnez. Decoded by hand (no Capstone: this is
  // the hot loop of analyze); instruction length comes from the encoding as
  // on hardware, and an encoding that is not a branch is stepped over.
  // `readable`: how many bytes from bytes.data() may be read (the section
  // goes on after a function; at most bytes.size() when less): the sweep
  // looks at 64 bytes at a time, and only the bytes of `bytes` count.
  void branch_targets(std::span<const uint8_t> bytes, uint64_t address,
                      std::vector<uint64_t> &out, size_t readable = 0) const;
  // The same sweep through Capstone (an undecodable halfword is skipped):
  // the reference the hand decoder is tested against.
  void branch_targets_capstone(std::span<const uint8_t> bytes, uint64_t address,
                               std::vector<uint64_t> &out) const;

private:
  Decoder(size_t handle, Xlen xlen) : handle_(handle), xlen_(xlen) {}
  size_t handle_;
  Xlen xlen_;
};

// Capstone's view of a trampoline: returns a description of what is wrong,
// or nothing when the decoded instructions are exactly the layout's. The
// toggle may be either disabled form when rvc (the image has EF_RISCV_RVC),
// only J when not.
std::optional<std::string> check_decoded_trampoline(const Decoder &decoder,
                                                    std::span<const uint8_t> bytes,
                                                    uint64_t p, Xlen xlen, bool rvc);

} // namespace rvtramp::riscv
