// SPDX-License-Identifier: GPL-2.0-only
// Every encoding and both layouts, against what GNU as makes of the same text.
#include "arch/riscv.h"
#include "cross_tools.h"

#include <gtest/gtest.h>

using namespace rvtramp;
using namespace rvtramp::riscv;
using rvtramp::test::assemble_text;

namespace {

#define REQUIRE_CROSS_TOOLS()                                                                      \
  if (auto why = test::cross_tools_missing())                                                      \
    GTEST_SKIP() << "skipped: " << *why;

uint32_t word(const std::vector<uint8_t> &b, size_t at) {
  return uint32_t(b.at(at)) | uint32_t(b.at(at + 1)) << 8 | uint32_t(b.at(at + 2)) << 16 |
         uint32_t(b.at(at + 3)) << 24;
}

// No RVC so that "j" stays the 4-byte jal the layouts use.
std::vector<uint8_t> as_rv64g(const std::string &s) { return assemble_text(".option norvc\n" + s, "rv64g"); }

TEST(Encoding, MatchesAssembler) {
  REQUIRE_CROSS_TOOLS();
  const auto b = as_rv64g("j .+24\nj .+12\nauipc t0, 0\nld t0, 8(t0)\nld t0, 12(t0)\n"
                          "lw t0, 8(t0)\njalr t0, 0(t0)\nnop\njal ra, .-2048\nauipc ra, 0xfffff\n"
                          "j .+0xffffe\nj .-0x100000\n");
  ASSERT_EQ(b.size(), 12u * 4);
  EXPECT_EQ(word(b, 0), encode_j(24));
  EXPECT_EQ(word(b, 4), encode_j(12));
  EXPECT_EQ(word(b, 8), encode_auipc(kT0, 0));
  EXPECT_EQ(word(b, 12), encode_ld(kT0, kT0, 8));
  EXPECT_EQ(word(b, 16), encode_ld(kT0, kT0, 12));
  EXPECT_EQ(word(b, 20), encode_lw(kT0, kT0, 8));
  EXPECT_EQ(word(b, 24), encode_jalr(kT0, kT0, 0));
  EXPECT_EQ(word(b, 28), kNop);
  EXPECT_EQ(word(b, 32), encode_jal(kRa, -2048));
  EXPECT_EQ(word(b, 36), encode_auipc(kRa, 0xfffff));
  EXPECT_EQ(word(b, 40), encode_j(0xffffe));
  EXPECT_EQ(word(b, 44), encode_j(-0x100000));
}

// c.j against the assembler, and the CJ toggle: c.j .+24 and a zero
// halfword, differing from the enabled toggle in the low halfword only.
TEST(Encoding, CompressedJumpAndToggleForms) {
  REQUIRE_CROSS_TOOLS();
  const auto b = assemble_text(".option rvc\nc.j .+24\nc.j .-2048\nc.j .+2046\nc.j .+2\n");
  ASSERT_EQ(b.size(), 8u);
  auto half = [&](size_t at) { return uint16_t(b[at] | b[at + 1] << 8); };
  EXPECT_EQ(half(0), encode_c_j(24));
  EXPECT_EQ(half(2), encode_c_j(-2048));
  EXPECT_EQ(half(4), encode_c_j(2046));
  EXPECT_EQ(half(6), encode_c_j(2));
  const auto t = assemble_text(".option rvc\nc.j .+24\n.half 0\n.option norvc\nj .+24\n"
                               "auipc t0, 0\n");
  ASSERT_EQ(t.size(), 12u);
  EXPECT_EQ(word(t, 0), toggle_word(ToggleState::Disabled, DisabledToggle::CJ));
  EXPECT_EQ(word(t, 4), toggle_word(ToggleState::Disabled, DisabledToggle::J));
  EXPECT_EQ(word(t, 8), toggle_word(ToggleState::Enabled, DisabledToggle::CJ));
  EXPECT_EQ(word(t, 8), toggle_word(ToggleState::Enabled, DisabledToggle::J));
  // Enabled and disabled (CJ) share the high halfword, 0; with J they do not.
  EXPECT_EQ((word(t, 0) ^ word(t, 8)) >> 16, 0u);
  EXPECT_NE((word(t, 4) ^ word(t, 8)) >> 16, 0u);
  EXPECT_EQ(instruction_length(uint16_t(word(t, 0))), 2u);
}

TEST(Encoding, CompressedNop) {
  REQUIRE_CROSS_TOOLS();
  const auto b = assemble_text(".option rvc\nc.nop\n");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(uint16_t(b[0] | b[1] << 8), kCNop);
  EXPECT_EQ(instruction_length(kCNop), 2u);
  EXPECT_EQ(instruction_length(uint16_t(kNop & 0xffff)), 4u);
}

TEST(Encoding, NopRun) {
  REQUIRE_CROSS_TOOLS();
  const auto b = assemble_text(".option rvc\nc.nop\nc.nop\n.option norvc\nnop\n.option rvc\nc.nop\nc.addi a0, 1\n");
  EXPECT_EQ(nop_run(b), 10u);
  EXPECT_EQ(nop_run(std::span<const uint8_t>(b).subspan(8)), 2u);
  EXPECT_EQ(nop_run(std::span<const uint8_t>(b).subspan(10)), 0u);
}

// The toggle as the test names it: disabled j, disabled c.j, or enabled.
enum class Toggle { J, CJ, Enabled };

// The layout text of layout.md, assembled at P, with the literal as .dword.
std::string layout_source(Layout l, Toggle toggle_kind, uint64_t dest, bool rv32) {
  const std::string toggle = toggle_kind == Toggle::Enabled ? "auipc t0, 0\n"
                             : toggle_kind == Toggle::CJ
                                 ? ".option rvc\nc.j .+24\n.half 0\n.option norvc\n"
                                 : "j .+24\n";
  const std::string load = rv32 ? "lw" : "ld";
  const std::string lit = rv32 ? ".word " + std::to_string(dest & 0xffffffff) + "\n.word 0\n"
                               : ".dword " + std::to_string(dest) + "\n";
  if (l == Layout::A8)
    return toggle + "j .+12\n" + lit + load + " t0, 8(t0)\njalr t0, 0(t0)\n";
  return toggle + load + " t0, 12(t0)\nj .+12\n" + lit + "jalr t0, 0(t0)\n";
}

class LayoutTest : public ::testing::TestWithParam<std::tuple<Layout, Toggle, bool>> {};

TEST_P(LayoutTest, BytesMatchAssembler) {
  REQUIRE_CROSS_TOOLS();
  const auto [layout, toggle, rv32] = GetParam();
  const Xlen xlen = rv32 ? Xlen::RV32 : Xlen::RV64;
  const uint64_t dest = rv32 ? 0x80001234u : 0xffffffff80a0b0c8ull;
  const auto want = assemble_text(".option norvc\n" + layout_source(layout, toggle, dest, rv32),
                                  rv32 ? "rv32gc" : "rv64gc");
  const ToggleState state = toggle == Toggle::Enabled ? ToggleState::Enabled : ToggleState::Disabled;
  const DisabledToggle form = toggle == Toggle::CJ ? DisabledToggle::CJ : DisabledToggle::J;
  const auto got = build_trampoline(layout, xlen, state, dest, form);
  ASSERT_EQ(want.size(), kTrampolineSize);
  EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.end()), want);

  // Recognised again, at an address with the matching P mod 8.
  const uint64_t p = layout == Layout::A8 ? 0x1000 : 0x1004;
  auto m = match_trampoline(got, p, xlen, true);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->layout, layout);
  EXPECT_EQ(m->dest, dest);
  EXPECT_EQ(m->state, state);
  EXPECT_EQ(m->form, toggle == Toggle::CJ ? DisabledToggle::CJ : DisabledToggle::J);
  // And not at the other alignment.
  EXPECT_FALSE(match_trampoline(got, p ^ 4, xlen, true).has_value());
  // Without RVC a c.j toggle is an illegal instruction: not a trampoline.
  EXPECT_EQ(match_trampoline(got, p, xlen, false).has_value(), toggle != Toggle::CJ);

  auto dec = Decoder::create(xlen);
  ASSERT_NE(dec, nullptr);
  EXPECT_EQ(check_decoded_trampoline(*dec, got, p, xlen, true), std::nullopt);
  const auto without_rvc = check_decoded_trampoline(*dec, got, p, xlen, false);
  if (toggle == Toggle::CJ) {
    ASSERT_TRUE(without_rvc.has_value());
    EXPECT_NE(without_rvc->find("without the C extension"), std::string::npos) << *without_rvc;
  } else {
    EXPECT_EQ(without_rvc, std::nullopt);
  }

  // Capstone's reading of the toggle itself.
  const auto insns = dec->decode(got, p);
  ASSERT_FALSE(insns.empty());
  const Insn &first = insns[0];
  switch (toggle) {
  case Toggle::CJ:
    EXPECT_EQ(first.mnemonic, "c.j");
    EXPECT_EQ(first.size, 2u);
    EXPECT_EQ(first.branch_target, p + kTrampolineSize);
    EXPECT_EQ(got[2] | got[3], 0);
    break;
  case Toggle::J:
    EXPECT_EQ(first.mnemonic, "j");
    EXPECT_EQ(first.size, 4u);
    EXPECT_EQ(first.branch_target, p + kTrampolineSize);
    break;
  case Toggle::Enabled:
    EXPECT_EQ(first.mnemonic, "auipc");
    EXPECT_EQ(first.operands, "t0, 0");
    break;
  }
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, LayoutTest,
                         ::testing::Combine(::testing::Values(Layout::A8, Layout::A4),
                                            ::testing::Values(Toggle::J, Toggle::CJ,
                                                              Toggle::Enabled),
                                            ::testing::Bool()));

TEST(Layout, ChoiceByAlignment) {
  EXPECT_EQ(layout_for(0x1000), Layout::A8);
  EXPECT_EQ(layout_for(0x1004), Layout::A4);
  EXPECT_EQ(literal_offset(Layout::A8), 8u);
  EXPECT_EQ(literal_offset(Layout::A4), 12u);
  // The literal is 8-aligned in both layouts.
  EXPECT_EQ((0x1000 + literal_offset(Layout::A8)) % 8, 0u);
  EXPECT_EQ((0x1004 + literal_offset(Layout::A4)) % 8, 0u);
}

TEST(Decoder, CorruptLayoutIsNamed) {
  auto dec = Decoder::create(Xlen::RV64);
  ASSERT_NE(dec, nullptr);
  auto bytes = build_trampoline(Layout::A8, Xlen::RV64, ToggleState::Disabled, 0,
                                DisabledToggle::J);
  bytes[0x14] ^= 0x80; // jalr t0 -> jalr with another rd
  auto why = check_decoded_trampoline(*dec, bytes, 0x1000, Xlen::RV64, true);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("+20"), std::string::npos) << *why;
}

// A c.j toggle is one only as the kernel writes it: to P+24, then a zero
// halfword.
TEST(Decoder, CorruptCompressedToggleIsNamed) {
  auto dec = Decoder::create(Xlen::RV64);
  ASSERT_NE(dec, nullptr);
  const auto good = build_trampoline(Layout::A4, Xlen::RV64, ToggleState::Disabled, 0,
                                     DisabledToggle::CJ);
  auto high = good;
  high[2] = 0x01; // c.j .+24; c.nop: the high halfword is not 0
  EXPECT_FALSE(match_trampoline(high, 0x1004, Xlen::RV64, true).has_value());
  auto why = check_decoded_trampoline(*dec, high, 0x1004, Xlen::RV64, true);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("+2: "), std::string::npos) << *why;
  auto elsewhere = good;
  const uint16_t cj16 = encode_c_j(16);
  elsewhere[0] = uint8_t(cj16);
  elsewhere[1] = uint8_t(cj16 >> 8);
  why = check_decoded_trampoline(*dec, elsewhere, 0x1004, Xlen::RV64, true);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("elsewhere than P+24"), std::string::npos) << *why;
}

TEST(Decoder, BranchTargets) {
  REQUIRE_CROSS_TOOLS();
  const auto b = assemble_text(".option rvc\n1: c.nop\nc.nop\nbeq a0, a1, 1b\nc.j 1b\njal ra, 1b\nc.beqz a0, 1b\njalr t0, 0(t0)\n");
  auto dec = Decoder::create(Xlen::RV64);
  std::vector<uint64_t> t;
  dec->branch_targets(b, 0x2000, t);
  EXPECT_EQ(t, (std::vector<uint64_t>{0x2000, 0x2000, 0x2000, 0x2000}));
}

} // namespace
