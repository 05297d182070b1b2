// SPDX-License-Identifier: GPL-2.0-only
#include "riscv.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rvtramp::riscv {
namespace {

uint32_t load_le32(std::span<const uint8_t> b, size_t at) {
  return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 |
         uint32_t(b[at + 3]) << 24;
}
void store_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}

uint32_t i_type(uint32_t opcode, unsigned funct3, unsigned rd, unsigned rs1, int32_t imm) {
  return (uint32_t(imm) & 0xfff) << 20 | (rs1 & 31) << 15 | (funct3 & 7) << 12 |
         (rd & 31) << 7 | opcode;
}

// Offsets inside the 24 bytes, per layout (layout.md tables).
struct Shape {
  uint32_t skip_jump_at;   // "j" over the literal
  uint32_t skip_jump_to;   // its target, relative to P
  uint32_t load_at;        // ld/lw t0, literal-P(t0)
  uint32_t literal_at;
  uint32_t jalr_at;
};
constexpr Shape kA8{0x04, 0x10, 0x10, 0x08, 0x14};
constexpr Shape kA4{0x08, 0x14, 0x04, 0x0c, 0x14};
const Shape &shape(Layout l) { return l == Layout::A8 ? kA8 : kA4; }

uint32_t load_insn(Xlen xlen, int32_t off) {
  return xlen == Xlen::RV64 ? encode_ld(kT0, kT0, off) : encode_lw(kT0, kT0, off);
}

// Capstone instruction ids whose last operand is a PC-relative target.
constexpr unsigned kDirectBranches[] = {
    RISCV_INS_JAL,  RISCV_INS_C_J,   RISCV_INS_C_JAL,  RISCV_INS_BEQ,
    RISCV_INS_BNE,  RISCV_INS_BLT,   RISCV_INS_BGE,    RISCV_INS_BLTU,
    RISCV_INS_BGEU, RISCV_INS_C_BEQZ, RISCV_INS_C_BNEZ,
};
bool is_direct_branch(unsigned id) {
  return std::find(std::begin(kDirectBranches), std::end(kDirectBranches), id) !=
         std::end(kDirectBranches);
}

std::optional<uint64_t> target_of(const cs_insn &in) {
  if (!is_direct_branch(in.id) || !in.detail)
    return std::nullopt;
  const cs_riscv &r = in.detail->riscv;
  if (r.op_count == 0 || r.operands[r.op_count - 1].type != RISCV_OP_IMM)
    return std::nullopt;
  return in.address + uint64_t(r.operands[r.op_count - 1].imm);
}

} // namespace

uint32_t encode_jal(unsigned rd, int32_t off) {
  const uint32_t imm = uint32_t(off);
  return ((imm >> 20) & 1) << 31 | ((imm >> 1) & 0x3ff) << 21 | ((imm >> 11) & 1) << 20 |
         ((imm >> 12) & 0xff) << 12 | (rd & 31) << 7 | 0x6f;
}
uint32_t encode_j(int32_t off) { return encode_jal(kZero, off); }
uint32_t encode_auipc(unsigned rd, int32_t imm20) {
  return (uint32_t(imm20) & 0xfffff) << 12 | (rd & 31) << 7 | 0x17;
}
uint32_t encode_ld(unsigned rd, unsigned rs1, int32_t imm) { return i_type(0x03, 3, rd, rs1, imm); }
uint32_t encode_lw(unsigned rd, unsigned rs1, int32_t imm) { return i_type(0x03, 2, rd, rs1, imm); }
uint32_t encode_jalr(unsigned rd, unsigned rs1, int32_t imm) { return i_type(0x67, 0, rd, rs1, imm); }
uint16_t encode_c_j(int32_t off) { // imm[11|4|9:8|10|6|7|3:1|5] in bits 12..2
  const uint32_t imm = uint32_t(off);
  return uint16_t(0xa001 | ((imm >> 11) & 1) << 12 | ((imm >> 4) & 1) << 11 |
                  ((imm >> 8) & 3) << 9 | ((imm >> 10) & 1) << 8 | ((imm >> 6) & 1) << 7 |
                  ((imm >> 7) & 1) << 6 | ((imm >> 1) & 7) << 3 | ((imm >> 5) & 1) << 2);
}

unsigned instruction_length(uint16_t h) {
  if ((h & 3) != 3)
    return 2;
  if ((h & 0x1c) != 0x1c)
    return 4;
  return 0;
}

uint32_t nop_run(std::span<const uint8_t> b) {
  size_t at = 0;
  // Four c.nops at a time first: a site is mostly a run of them.
  constexpr uint8_t kFourCNops[8] = {kCNop & 0xff, kCNop >> 8, kCNop & 0xff, kCNop >> 8,
                                     kCNop & 0xff, kCNop >> 8, kCNop & 0xff, kCNop >> 8};
  while (at + 8 <= b.size() && std::memcmp(b.data() + at, kFourCNops, 8) == 0)
    at += 8;
  while (at + 2 <= b.size()) {
    const uint16_t h = uint16_t(b[at] | b[at + 1] << 8);
    if (h == kCNop) {
      at += 2;
    } else if (at + 4 <= b.size() && load_le32(b, at) == kNop) {
      at += 4;
    } else {
      break;
    }
  }
  return static_cast<uint32_t>(at);
}

Layout layout_for(uint64_t p) { return (p & 7) == 0 ? Layout::A8 : Layout::A4; }
uint32_t literal_offset(Layout l) { return shape(l).literal_at; }
uint32_t toggle_word(ToggleState s, DisabledToggle form) {
  if (s == ToggleState::Enabled)
    return encode_auipc(kT0, 0);
  // CJ: the upper halfword is 0, as auipc t0, 0's is.
  return form == DisabledToggle::CJ ? encode_c_j(int32_t(kTrampolineSize))
                                    : encode_j(int32_t(kTrampolineSize));
}
const char *toggle_form_name(DisabledToggle f) { return f == DisabledToggle::CJ ? "c.j" : "j"; }
const char *layout_name(Layout l) { return l == Layout::A8 ? "A8" : "A4"; }
const char *state_name(ToggleState s) { return s == ToggleState::Disabled ? "disabled" : "enabled"; }

std::array<uint8_t, kTrampolineSize> build_trampoline(Layout layout, Xlen xlen,
                                                      ToggleState state, uint64_t dest,
                                                      DisabledToggle form) {
  const Shape &sh = shape(layout);
  std::array<uint8_t, kTrampolineSize> out{};
  store_le32(&out[0], toggle_word(state, form));
  store_le32(&out[sh.skip_jump_at], encode_j(int32_t(sh.skip_jump_to - sh.skip_jump_at)));
  store_le32(&out[sh.load_at], load_insn(xlen, int32_t(sh.literal_at)));
  // RV32 keeps a 4-byte literal in the low half of the 8-byte slot.
  const uint64_t literal = xlen == Xlen::RV64 ? dest : (dest & 0xffffffffu);
  for (int i = 0; i < 8; ++i)
    out[sh.literal_at + i] = uint8_t(literal >> (8 * i));
  store_le32(&out[sh.jalr_at], encode_jalr(kT0, kT0, 0));
  return out;
}

std::optional<Trampoline> match_trampoline(std::span<const uint8_t> b, uint64_t p, Xlen xlen,
                                           bool rvc) {
  if (b.size() < kTrampolineSize || (p & 3) != 0)
    return std::nullopt;
  const Layout layout = layout_for(p);
  const Shape &sh = shape(layout);
  const uint32_t toggle = load_le32(b, 0);
  ToggleState state = ToggleState::Disabled;
  DisabledToggle form = DisabledToggle::J;
  if (toggle == toggle_word(ToggleState::Disabled, DisabledToggle::J))
    form = DisabledToggle::J;
  else if (rvc && toggle == toggle_word(ToggleState::Disabled, DisabledToggle::CJ))
    form = DisabledToggle::CJ;
  else if (toggle == toggle_word(ToggleState::Enabled, DisabledToggle::J))
    state = ToggleState::Enabled;
  else
    return std::nullopt;
  if (load_le32(b, sh.skip_jump_at) != encode_j(int32_t(sh.skip_jump_to - sh.skip_jump_at)) ||
      load_le32(b, sh.load_at) != load_insn(xlen, int32_t(sh.literal_at)) ||
      load_le32(b, sh.jalr_at) != encode_jalr(kT0, kT0, 0))
    return std::nullopt;
  uint64_t dest = 0;
  for (int i = 0; i < 8; ++i)
    dest |= uint64_t(b[sh.literal_at + i]) << (8 * i);
  if (xlen == Xlen::RV32 && (dest >> 32) != 0)
    return std::nullopt;
  return Trampoline{layout, state, dest, form};
}

// ---- Capstone --------------------------------------------------------------

std::unique_ptr<Decoder> Decoder::create(Xlen xlen) {
  csh h = 0;
  const int mode = (xlen == Xlen::RV64 ? CS_MODE_RISCV64 : CS_MODE_RISCV32) | CS_MODE_RISCVC;
  if (cs_open(CS_ARCH_RISCV, cs_mode(mode), &h) != CS_ERR_OK)
    return nullptr;
  cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
  return std::unique_ptr<Decoder>(new Decoder(static_cast<size_t>(h), xlen));
}

Decoder::~Decoder() {
  csh h = static_cast<csh>(handle_);
  cs_close(&h);
}

namespace {
// A linear Capstone sweep; an undecodable halfword is stepped over.
template <class Fn>
void sweep(size_t handle, std::span<const uint8_t> bytes, uint64_t address, Fn &&fn) {
  const csh h = static_cast<csh>(handle);
  cs_insn *in = cs_malloc(h);
  const uint8_t *code = bytes.data();
  size_t left = bytes.size();
  uint64_t addr = address;
  while (left >= 2) {
    if (cs_disasm_iter(h, &code, &left, &addr, in)) {
      fn(*in);
    } else {
      code += 2;
      left -= 2;
      addr += 2;
    }
  }
  cs_free(in, 1);
}
} // namespace

std::vector<Insn> Decoder::decode(std::span<const uint8_t> bytes, uint64_t address) const {
  std::vector<Insn> out;
  sweep(handle_, bytes, address, [&](const cs_insn &in) {
    Insn i;
    i.address = in.address;
    i.size = uint8_t(in.size);
    i.id = in.id;
    i.mnemonic = in.mnemonic;
    i.operands = in.op_str;
    i.branch_target = target_of(in);
    out.push_back(std::move(i));
  });
  return out;
}

namespace {
// Immediates of the six direct-branch encodings, sign-extended.
int64_t cj_offset(uint32_t h) { // c.j / c.jal: imm[11|4|9:8|10|6|7|3:1|5] in bits 12..2
  const uint32_t imm = ((h >> 12) & 1) << 11 | ((h >> 11) & 1) << 4 | ((h >> 9) & 3) << 8 |
                       ((h >> 8) & 1) << 10 | ((h >> 7) & 1) << 6 | ((h >> 6) & 1) << 7 |
                       ((h >> 3) & 7) << 1 | ((h >> 2) & 1) << 5;
  return int64_t(int32_t(imm << 20) >> 20);
}
int64_t cb_offset(uint32_t h) { // c.beqz / c.bnez: imm[8|4:3] in 12..10, imm[7:6|2:1|5] in 6..2
  const uint32_t imm = ((h >> 12) & 1) << 8 | ((h >> 10) & 3) << 3 | ((h >> 5) & 3) << 6 |
                       ((h >> 3) & 3) << 1 | ((h >> 2) & 1) << 5;
  return int64_t(int32_t(imm << 23) >> 23);
}
int64_t jal_offset(uint32_t w) { // imm[20|10:1|11|19:12]
  const uint32_t imm = ((w >> 31) & 1) << 20 | ((w >> 21) & 0x3ff) << 1 | ((w >> 20) & 1) << 11 |
                       ((w >> 12) & 0xff) << 12;
  return int64_t(int32_t(imm << 11) >> 11);
}
int64_t b_offset(uint32_t w) { // imm[12|10:5] in bits 31..25, imm[4:1|11] in bits 11..7
  const uint32_t imm = ((w >> 31) & 1) << 12 | ((w >> 25) & 0x3f) << 5 | ((w >> 8) & 0xf) << 1 |
                       ((w >> 7) & 1) << 11;
  return int64_t(int32_t(imm << 19) >> 19);
}
// Quadrant-1 compressed branches by bits 15..13 and 1..0: c.j, c.beqz,
// c.bnez, and c.jal (RV32 only; RV64 reuses the encoding for c.addiw).
constexpr uint32_t kCJ = 0xa001, kCBeqz = 0xc001, kCBnez = 0xe001, kCJal = 0x2001;
int64_t compressed_branch_offset(uint32_t h) {
  const uint32_t q = h & 0xe003;
  return q == kCJ || q == kCJal ? cj_offset(h) : cb_offset(h);
}

// What the sweep does with an instruction, from the ten bits that decide it
// (bits 6..0 and 15..13 of its first halfword): step 2, step 4, or 0 for a
// branch candidate that needs a closer look. One table load per instruction
// instead of a chain of compares.
using StepTable = std::array<uint8_t, 1024>;
constexpr size_t step_index(uint32_t h) { return (h & 0x7f) | ((h >> 6) & 0x380); }
constexpr StepTable make_step_table(bool rv32) {
  StepTable t{};
  for (uint32_t i = 0; i < t.size(); ++i) {
    const uint32_t h = (i & 0x7f) | ((i & 0x380) << 6); // bits 6..0 and 15..13
    if ((h & 3) != 3) {
      const uint32_t q = h & 0xe003;
      const bool branch = q == kCJ || q == kCBeqz || q == kCBnez || (rv32 && q == kCJal);
      t[i] = branch ? 0 : 2;
    } else if ((h & 0x1c) == 0x1c) {
      t[i] = 2; // 48-bit and longer encodings: stepped a halfword
    } else {
      const uint32_t op = h & 0x7f;
      t[i] = op == 0x6f || op == 0x63 ? 0 : 4;
    }
  }
  return t;
}
constexpr StepTable kStepRV64 = make_step_table(false), kStepRV32 = make_step_table(true);

// The same ten bits, for the window below: the length an instruction
// starting there has (2 or 4; a branch candidate's too, as candidate() will
// find it) and, in kBranchBit, whether it is a branch candidate. The
// f3 = 2, 3 words of the branch opcode are not instructions and step 2
// (bits 14..13 = 01 say so; bit 12 is not needed).
constexpr uint8_t kBranchBit = 0x80;
constexpr StepTable make_info_table(const StepTable &step) {
  StepTable t{};
  for (uint32_t i = 0; i < t.size(); ++i) {
    const uint32_t h = (i & 0x7f) | ((i & 0x380) << 6);
    if (step[i] != 0)
      t[i] = step[i];
    else if ((h & 3) != 3)
      t[i] = 2 | kBranchBit;
    else if ((h & 0x7f) == 0x63 && ((h >> 13) & 3) == 1)
      t[i] = 2;
    else
      t[i] = 4 | kBranchBit;
  }
  return t;
}
constexpr StepTable kInfoRV64 = make_info_table(kStepRV64), kInfoRV32 = make_info_table(kStepRV32);

#if defined(__SSE2__)
// The info table's two bits for 32 halfwords, eight per compare (the table
// lookups were most of the sweep: a load and five shifts per halfword).
// The same rules as make_step_table and make_info_table, as compares; the
// branch scan test holds them to the table's answers.
void classify_window_sse2(const uint8_t *code, bool rv32, uint64_t &wide, uint64_t &branch) {
  auto k = [](uint32_t x) { return _mm_set1_epi16(short(uint16_t(x))); };
  const __m128i low2 = k(3), len48 = k(0x1c), op7 = k(0x7f), f3hi = k(0x6000), q = k(0xe003);
  __m128i w16[4], b16[4];
  for (int i = 0; i < 4; ++i) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(code + 16 * i));
    const __m128i op = _mm_and_si128(h, op7), quad = _mm_and_si128(h, q);
    const __m128i is_long = _mm_cmpeq_epi16(_mm_and_si128(h, low2), low2);
    const __m128i is48 = _mm_cmpeq_epi16(_mm_and_si128(h, len48), len48);
    const __m128i is_b = _mm_cmpeq_epi16(op, k(0x63));
    const __m128i f3_2_3 = _mm_cmpeq_epi16(_mm_and_si128(h, f3hi), k(0x2000));
    // 4 bytes: bits 1..0 = 11, not a 48-bit or longer encoding, not the
    // branch opcode's f3 = 2, 3 (no instruction: stepped a halfword).
    w16[i] = _mm_andnot_si128(_mm_or_si128(is48, _mm_and_si128(is_b, f3_2_3)), is_long);
    __m128i c = _mm_or_si128(_mm_cmpeq_epi16(quad, k(0xa001)),
                             _mm_or_si128(_mm_cmpeq_epi16(quad, k(0xc001)),
                                          _mm_cmpeq_epi16(quad, k(0xe001))));
    if (rv32)
      c = _mm_or_si128(c, _mm_cmpeq_epi16(quad, k(0x2001)));
    b16[i] = _mm_or_si128(_mm_or_si128(c, _mm_cmpeq_epi16(op, k(0x6f))),
                          _mm_andnot_si128(f3_2_3, is_b));
  }
  auto mask = [](const __m128i *v) {
    const uint64_t lo = uint32_t(_mm_movemask_epi8(_mm_packs_epi16(v[0], v[1])));
    const uint64_t hi = uint32_t(_mm_movemask_epi8(_mm_packs_epi16(v[2], v[3])));
    return lo | hi << 16;
  };
  wide = mask(w16);
  branch = mask(b16);
}
#endif
} // namespace

void Decoder::branch_targets(std::span<const uint8_t> bytes, uint64_t address,
                             std::vector<uint64_t> &out, size_t readable) const {
  const uint8_t *code = bytes.data();
  const size_t n = bytes.size();
  const StepTable &step = xlen_ == Xlen::RV32 ? kStepRV32 : kStepRV64;
  auto word_at = [&](size_t at) {
    uint32_t w;
    std::memcpy(&w, code + at, 4);
    if constexpr (std::endian::native == std::endian::big)
      w = __builtin_bswap32(w);
    return w;
  };
  // A branch candidate whose first four bytes (read from the function, or
  // from the copy of its end below) are w, at `at`: its target, if it is
  // one, and its length.
  auto candidate_word = [&](uint32_t w, size_t at) -> size_t {
    const uint64_t pc = address + at;
    if ((w & 3) != 3) {
      out.push_back(pc + uint64_t(compressed_branch_offset(w)));
      return 2;
    }
    if ((w & 0x7f) == 0x6f) {
      out.push_back(pc + uint64_t(jal_offset(w)));
      return 4;
    }
    if (const uint32_t f3 = (w >> 12) & 7; f3 == 2 || f3 == 3)
      return 2; // not an instruction: resynchronise as the Capstone sweep does
    out.push_back(pc + uint64_t(b_offset(w)));
    return 4;
  };
  // The same at `at` in the function (four bytes readable).
  auto candidate = [&](size_t at) { return candidate_word(word_at(at), at); };
  size_t at = 0;
  // 32 halfwords at a time, without a walk from one instruction to the
  // next: each halfword's length if an instruction started there (W: 4
  // bytes) comes from SSE2 compares (a table elsewhere), and the starts
  // follow from W by bit arithmetic. The window starts on an instruction;
  // inside a run of W halfwords beginning at position r (always a start)
  // the starts are r, r+2, ..., so the halfwords covered by a 4-byte
  // instruction are those right after a run member at an even distance
  // from its run's start. Only the branch candidates among the starts are
  // then looked at.
  const StepTable &info = xlen_ == Xlen::RV32 ? kInfoRV32 : kInfoRV64;
  constexpr uint64_t kEven = 0x5555555555555555ull;
  constexpr size_t kWindow = 64;
  // One window of 32 halfwords at w (an instruction start, the function's
  // byte `base`; at least kWindow + 4 bytes readable from w): its branch
  // candidates, those at positions p with keep(p). Returns the
  // window's length in bytes: 64, or 66 when its last instruction runs
  // into the next window.
  auto window = [&](const uint8_t *w, size_t base, auto &&keep) -> size_t {
    uint64_t wide = 0, branch = 0;
#if defined(__SSE2__)
    (void)info;
    classify_window_sse2(w, xlen_ == Xlen::RV32, wide, branch);
#else
    for (unsigned i = 0; i < kWindow / 2; ++i) {
      uint16_t h;
      std::memcpy(&h, w + 2 * i, 2);
      if constexpr (std::endian::native == std::endian::big)
        h = __builtin_bswap16(h);
      const uint8_t x = info[step_index(h)];
      wide |= uint64_t(x & 4) >> 2 << i;
      branch |= uint64_t(x >> 7) << i;
    }
#endif
    const uint64_t run_starts = wide & ~(wide << 1);
    // Members of runs that start at an even position: adding the start bit
    // carries through its run and clears it.
    const uint64_t from_even = wide & ~(wide + (run_starts & kEven));
    const uint64_t even_in_run = (from_even & kEven) | (wide & ~from_even & ~kEven);
    const uint64_t covered = even_in_run << 1; // bit 32: the next window's first halfword
    for (uint64_t b = branch & ~covered & 0xffffffffu; b; b &= b - 1) {
      const size_t p = 2 * unsigned(__builtin_ctzll(b));
      if (keep(p)) {
        uint32_t word;
        std::memcpy(&word, w + p, 4);
        if constexpr (std::endian::native == std::endian::big)
          word = __builtin_bswap32(word);
        candidate_word(word, base + p);
      }
    }
    return kWindow + 2 * ((covered >> 32) & 1);
  };
  while (at + kWindow + 4 <= n)
    at += window(code + at, at, [](size_t) { return true; });
  // The function's last bytes (a function of 188 bytes ends with 60 of
  // them) through the same window: the starts before the end depend on the
  // bytes before them only, so what follows the end (the next function,
  // or zeros in a copy where the section ends: a zero halfword is 2 bytes
  // and no branch) changes none of them. Kept: candidates whole before the
  // end (a 4-byte word cut off by it is not an instruction). One
  // instruction at a time they were half of the sweep (a dependent load
  // and a mispredicted branch each); the copy, where the section goes on,
  // cost a store-forwarding stall per load of the window.
  if (at + 4 <= n) {
    const size_t from = at, left = n - at;
    uint8_t tail[kWindow + 8] = {};
    const uint8_t *w = code + from;
    if (from + kWindow + 4 > std::max(readable, n)) {
      std::memcpy(tail, w, std::min(left, sizeof tail));
      w = tail;
    }
    at += window(w, from, [&](size_t p) { return p + ((w[p] & 3) == 3 ? 4 : 2) <= left; });
  }
  // The rest one instruction at a time; four bytes are readable up to n - 4.
  while (at + 4 <= n) {
    if (const uint8_t len = step[step_index(word_at(at))]; len != 0) {
      at += len;
      continue;
    }
    at += candidate(at);
  }
  if (at + 2 <= n) { // a last halfword: a compressed branch, or a cut-off word
    const uint32_t h = uint32_t(code[at]) | uint32_t(code[at + 1]) << 8;
    if (step[step_index(h)] == 0 && (h & 3) != 3)
      out.push_back(address + at + uint64_t(compressed_branch_offset(h)));
  }
}

void Decoder::branch_targets_capstone(std::span<const uint8_t> bytes, uint64_t address,
                                      std::vector<uint64_t> &out) const {
  sweep(handle_, bytes, address, [&](const cs_insn &in) {
    if (auto t = target_of(in))
      out.push_back(*t);
  });
}

namespace {
std::optional<std::string> decode_and_check(const Decoder &decoder, std::span<const uint8_t> b,
                                            uint64_t p, Xlen xlen, bool rvc);

// The Capstone check depends only on the four instruction words, P mod 8 and
// the decoder (targets are compared relative to P; the literal is not
// decoded), and a rewritten image holds a handful of distinct word patterns:
// decode each pattern once. Bounded, so odd inputs cannot grow it.
struct CheckKey {
  const Decoder *decoder;
  uint32_t words[4];
  uint8_t p_mod8;
  uint8_t xlen;
  bool rvc;
  bool operator==(const CheckKey &o) const {
    return decoder == o.decoder && p_mod8 == o.p_mod8 && xlen == o.xlen && rvc == o.rvc &&
           std::memcmp(words, o.words, sizeof words) == 0;
  }
};
struct CheckKeyHash {
  size_t operator()(const CheckKey &k) const {
    uint64_t h = uint64_t(reinterpret_cast<uintptr_t>(k.decoder)) * 0x9e3779b97f4a7c15ull;
    for (uint32_t w : k.words)
      h = (h ^ w) * 0x100000001b3ull;
    return size_t(h ^ (uint64_t(k.p_mod8) << 8 | uint64_t(k.rvc) << 1 | k.xlen));
  }
};
} // namespace

std::optional<std::string> check_decoded_trampoline(const Decoder &decoder,
                                                    std::span<const uint8_t> b, uint64_t p,
                                                    Xlen xlen, bool rvc) {
  if (b.size() < kTrampolineSize)
    return "fewer than 24 bytes";
  // Per thread: the verify of a check may run beside other work.
  static thread_local std::unordered_map<CheckKey, std::optional<std::string>, CheckKeyHash> cache;
  const Shape &sh = shape(layout_for(p));
  const CheckKey key{&decoder,
                     {load_le32(b, 0), load_le32(b, sh.skip_jump_at), load_le32(b, sh.load_at),
                      load_le32(b, sh.jalr_at)},
                     uint8_t(p & 7),
                     uint8_t(xlen == Xlen::RV64),
                     rvc};
  if (auto it = cache.find(key); it != cache.end())
    return it->second;
  auto result = decode_and_check(decoder, b, p, xlen, rvc);
  if (cache.size() >= 4096)
    cache.clear();
  cache.emplace(key, result);
  return result;
}

namespace {
std::optional<std::string> decode_and_check(const Decoder &decoder, std::span<const uint8_t> b,
                                            uint64_t p, Xlen xlen, bool rvc) {
  const Layout layout = layout_for(p);
  const Shape &sh = shape(layout);
  auto one = [&](uint32_t off) -> std::optional<Insn> {
    auto v = decoder.decode(b.subspan(off, 4), p + off);
    if (v.size() != 1 || v[0].size != 4)
      return std::nullopt;
    return v[0];
  };
  auto at = [](uint32_t off) { return "+" + std::to_string(off) + ": "; };
  if ((b[0] & 3) != 3) {
    // A 2-byte toggle: the disabled CJ form, c.j .+24 and a zero halfword
    // that is never executed (the kernel compares the whole word).
    auto v = decoder.decode(b.subspan(0, 2), p);
    if (v.size() != 1 || v[0].size != 2 || v[0].id != RISCV_INS_C_J)
      return at(0) + "toggle is a 2-byte instruction other than c.j";
    if (!rvc)
      return at(0) + "toggle c.j in an image without the C extension (no EF_RISCV_RVC in "
                     "e_flags): an illegal instruction there";
    if (v[0].branch_target != p + kTrampolineSize)
      return at(0) + "toggle c.j jumps elsewhere than P+24";
    if (b[2] != 0 || b[3] != 0)
      return at(2) + "the halfword after the c.j toggle is not 0";
  } else if (auto toggle = one(0); !toggle) {
    return at(0) + "toggle does not decode";
  } else if (toggle->id == RISCV_INS_JAL &&
             toggle->operands.find("t0") == std::string::npos) { // j: disabled
    if (toggle->branch_target != p + kTrampolineSize)
      return at(0) + "toggle jumps elsewhere than P+24";
  } else if (!(toggle->mnemonic == "auipc" && toggle->operands == "t0, 0")) {
    return at(0) + "toggle is '" + toggle->mnemonic + " " + toggle->operands + "'";
  }
  auto skip = one(sh.skip_jump_at);
  if (!skip || skip->mnemonic != "j" || skip->branch_target != p + sh.skip_jump_to)
    return at(sh.skip_jump_at) + "jump over the literal is wrong";
  auto load = one(sh.load_at);
  const std::string want_load = std::string(xlen == Xlen::RV64 ? "ld" : "lw");
  // Capstone prints small immediates in decimal, larger ones in hex.
  const std::string imm = sh.literal_at > 9 ? "0x" + [](unsigned v) {
    char text[16];
    std::snprintf(text, sizeof text, "%x", v);
    return std::string(text);
  }(sh.literal_at) : std::to_string(sh.literal_at);
  const std::string want_ops = "t0, " + imm + "(t0)";
  if (!load || load->mnemonic != want_load || load->operands != want_ops)
    return at(sh.load_at) + "literal load is not '" + want_load + " " + want_ops + "'";
  auto jalr = one(sh.jalr_at);
  if (!jalr || jalr->id != RISCV_INS_JALR || jalr->operands.find("t0") != 0 ||
      jalr->operands != "t0, t0, 0")
    return at(sh.jalr_at) + "final jump is not 'jalr t0, 0(t0)'";
  if (((p + sh.literal_at) & (xlen == Xlen::RV64 ? 7 : 3)) != 0)
    return "literal at P+" + std::to_string(sh.literal_at) + " is not naturally aligned";
  return std::nullopt;
}

} // namespace

} // namespace rvtramp::riscv
