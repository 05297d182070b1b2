// SPDX-License-Identifier: GPL-2.0-only
// The ELF model on real objects from the cross assembler, and on the bad
// inputs every rvtramp command must refuse with a one-line error.
#include "context.h"
#include "cross_tools.h"
#include "elf_image.h"
#include "passes.h"

#include <algorithm>
#include <elf.h>
#include <fstream>
#include <iterator>
#include <gtest/gtest.h>

using namespace rvtramp;

namespace {

#define REQUIRE_CROSS_TOOLS()                                                                      \
  if (auto why = test::cross_tools_missing())                                                      \
    GTEST_SKIP() << "skipped: " << *why;

const char *kTwoFunctions = R"(
  .option rvc
  .text
  .globl f
  .type f, @function
  .p2align 2
f:
  .rept 13
  c.nop
  .endr
  ret
  .size f, .-f
  .globl g
  .type g, @function
g:
  .rept 13
  c.nop
  .endr
  ret
  .size g, .-g
  .section __patchable_function_entries,"awo",@progbits,f
  .p2align 3
  .dword f
  .dword g
)";

Expected<ElfImage> from(std::vector<uint8_t> bytes) {
  return ElfImage::from_bytes("t.o", std::move(bytes));
}

TEST(ElfImage, ParsesAssemblerObject) {
  REQUIRE_CROSS_TOOLS();
  auto img = ElfImage::load(test::assemble_object(kTwoFunctions));
  ASSERT_TRUE(img) << img.error().message();
  EXPECT_TRUE(img->is_relocatable());
  EXPECT_TRUE(img->is64());
  const Section *text = img->find_section(".text");
  ASSERT_NE(text, nullptr);
  EXPECT_TRUE(text->executable());
  const Symbol *f = img->find_symbol("f"), *g = img->find_symbol("g");
  ASSERT_NE(f, nullptr);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->value, f->value + f->size);
  EXPECT_GE(text->size, g->value + g->size); // as may pad the section end
  EXPECT_LT(text->size - (g->value + g->size), 4u);
  EXPECT_GE(f->size, 26u + 2);
  bool found = false;
  for (const auto &rs : img->relas())
    if (img->section(rs.target).name == "__patchable_function_entries") {
      found = true;
      ASSERT_EQ(rs.entries.size(), 2u);
      EXPECT_EQ(rs.entries[0].type, uint32_t(R_RISCV_64));
      EXPECT_STREQ(riscv_reloc_name(rs.entries[1].type), "R_RISCV_64");
    }
  EXPECT_TRUE(found);
}

// find_symbols looks several names up in one scan (locate asks for every
// name a later pass needs while the table is resident): the answers must
// be find_defined's one name at a time, in the in-place (ELF64) and the
// decoded (ELF32) tables alike, and an undefined symbol is not an answer.
TEST(ElfImage, FindsSeveralSymbolsInOneScan) {
  REQUIRE_CROSS_TOOLS();
  const std::string src = std::string(kTwoFunctions) + R"(
  .text
  .globl caller
  .type caller, @function
caller:
  call h
  .size caller, .-caller
)";
  for (const char *march : {"rv64gc", "rv32gc"}) {
    SCOPED_TRACE(march);
    const std::string obj = test::assemble_object(src, march);
    auto one = ElfImage::load(obj), many = ElfImage::load(obj);
    ASSERT_TRUE(one && many);
    const std::string_view names[] = {"g", "h", "caller", "missing", "f", "g"};
    std::optional<size_t> at[std::size(names)];
    many->symbols().find_defined(names, at);
    for (size_t k = 0; k < std::size(names); ++k)
      EXPECT_EQ(at[k], one->symbols().find_defined(names[k])) << names[k];
    EXPECT_TRUE(at[0] && at[2] && at[4] && at[5]);
    EXPECT_FALSE(at[1]); // h is referenced, not defined
    EXPECT_FALSE(at[3]);
    EXPECT_NE(at[0], at[4]);
    // Kept for find_symbol: the same symbols as a search of their own.
    many->find_symbols(names);
    for (std::string_view name : names) {
      const Symbol *a = one->find_symbol(name), *b = many->find_symbol(name);
      ASSERT_EQ(a == nullptr, b == nullptr) << name;
      if (a) {
        EXPECT_EQ(a->value, b->value) << name;
        EXPECT_EQ(a->name, b->name);
      }
    }
  }
}

TEST(ElfImage, LocatesPatchableEntries) {
  REQUIRE_CROSS_TOOLS();
  auto img = ElfImage::load(test::assemble_object(kTwoFunctions));
  ASSERT_TRUE(img);
  Context ctx(img.take());
  ASSERT_TRUE(run_locate(ctx));
  ASSERT_EQ(ctx.sites.size(), 2u);
  EXPECT_EQ(ctx.sites[0].function(), "f");
  EXPECT_EQ(ctx.sites[1].function(), "g");
  EXPECT_EQ(ctx.sites[1].offset, ctx.image.find_symbol("g")->value);
  EXPECT_EQ(ctx.sites[0].room, 26u);
  EXPECT_EQ(ctx.sites[0].state, SiteState::Nops);
}

TEST(ElfImage, EditsAreBoundsChecked) {
  REQUIRE_CROSS_TOOLS();
  auto img = ElfImage::load(test::assemble_object(kTwoFunctions));
  ASSERT_TRUE(img);
  const size_t text = img->find_section(".text")->index;
  const uint8_t four[4] = {1, 2, 3, 4};
  EXPECT_TRUE(img->write_bytes(text, 0, four));
  EXPECT_FALSE(img->write_bytes(text, img->section(text).size - 2, four));
  EXPECT_FALSE(img->read(text, 1, img->section(text).size));
  auto edited = img->read(text, 0, 4);
  ASSERT_TRUE(edited);
  EXPECT_EQ((*edited)[3], 4);
  uint8_t original[2] = {0xff, 0xff};
  ASSERT_TRUE(img->read_original(text, 0, original));
  EXPECT_EQ(original[0], 0x01); // c.nop low byte
  EXPECT_EQ(original[1], 0x00);
}

// Edits go to a private mapping: the file on disk keeps its bytes, and an
// in-memory image keeps its original for read_original.
TEST(ElfImage, EditsNeverReachTheInput) {
  REQUIRE_CROSS_TOOLS();
  const std::string path = test::assemble_object(kTwoFunctions);
  auto img = ElfImage::load(path);
  ASSERT_TRUE(img);
  const Section &text = *img->find_section(".text");
  const uint8_t four[4] = {0xde, 0xad, 0xbe, 0xef};
  ASSERT_TRUE(img->write_bytes(text.index, 0, four));
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(disk.size(), text.offset + 4);
  EXPECT_EQ(disk[text.offset], 0x01);
  EXPECT_EQ(disk[text.offset + 1], 0x00);
  EXPECT_EQ(img->current_bytes()[text.offset], 0xde);

  auto mem = from(disk);
  ASSERT_TRUE(mem);
  ASSERT_TRUE(mem->write_bytes(text.index, 0, four));
  uint8_t original[4] = {};
  ASSERT_TRUE(mem->read_original(text.index, 0, original));
  EXPECT_EQ(original[0], 0x01);
  EXPECT_EQ(mem->current_bytes()[text.offset + 3], 0xef);
}

// Pages handed back behind a reader (report, verify --against) read back
// as the file's bytes; an edited image keeps its edits (dropping a private
// mapping's edited page would give the file's bytes back in its place).
TEST(ElfImage, ReleasedPagesReadBackAndEditsStay) {
  REQUIRE_CROSS_TOOLS();
  const std::string path = test::assemble_object(R"(
  .option norvc
  .text
  .globl f
  .type f, @function
f:
  .rept 8192
  nop
  .endr
  ret
  .size f, .-f
)");
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> disk((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  auto img = ElfImage::load(path);
  ASSERT_TRUE(img);
  const Section &text = *img->find_section(".text");
  ASSERT_GE(text.size, 32768u); // whole pages inside the section
  const std::vector<uint8_t> before(img->current_bytes().begin(), img->current_bytes().end());
  ASSERT_EQ(before, disk);
  img->release_range(0, img->file_size());
  ReleaseBehind behind(*img);
  for (uint64_t at = 0; at <= img->file_size(); at += 4096)
    behind.at(at);
  EXPECT_TRUE(std::equal(before.begin(), before.end(), img->current_bytes().begin()));

  const uint64_t mid = text.size / 2 / 4096 * 4096 + 4096 - text.offset % 4096;
  const uint8_t four[4] = {0xde, 0xad, 0xbe, 0xef};
  ASSERT_TRUE(img->write_bytes(text.index, mid, four));
  img->release_range(0, img->file_size());
  img->release_pages();
  img->release_symbol_pages();
  EXPECT_EQ(img->current_bytes()[text.offset + mid], 0xde);
  EXPECT_EQ(img->current_bytes()[text.offset + mid + 3], 0xef);
  uint8_t original[4] = {};
  ASSERT_TRUE(img->read_original(text.index, mid, original));
  EXPECT_EQ(original[0], disk[text.offset + mid]);
}

TEST(ElfImage, RejectsBadInput) {
  EXPECT_EQ(from({}).error().what, "empty file");
  EXPECT_NE(from({'n', 'o', 't', 'e', 'l', 'f'}).error().what.find("not an ELF"), std::string::npos);
  std::vector<uint8_t> hdr(16, 0);
  hdr[0] = 0x7f; hdr[1] = 'E'; hdr[2] = 'L'; hdr[3] = 'F';
  hdr[EI_CLASS] = ELFCLASS64;
  hdr[EI_DATA] = ELFDATA2MSB;
  EXPECT_NE(from(hdr).error().what.find("big-endian"), std::string::npos);
  hdr[EI_DATA] = ELFDATA2LSB;
  EXPECT_NE(from(hdr).error().what.find("identification version"), std::string::npos);
  hdr[EI_VERSION] = EV_CURRENT;
  EXPECT_NE(from(hdr).error().what.find("truncated ELF header"), std::string::npos);
}

TEST(ElfImage, RejectsTruncationsAndWrongMachine) {
  REQUIRE_CROSS_TOOLS();
  const auto bytes = test::read_file(test::assemble_object(kTwoFunctions));
  // Every prefix shorter than the file must fail cleanly (never crash).
  for (size_t n = 0; n < bytes.size(); n += 7) {
    auto img = from(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n));
    EXPECT_FALSE(img) << "prefix " << n << " accepted";
  }
  auto wrong = bytes;
  wrong[18] = EM_X86_64;
  wrong[19] = 0;
  auto img = from(wrong);
  ASSERT_FALSE(img);
  EXPECT_NE(img.error().what.find("not a RISC-V ELF"), std::string::npos) << img.error().what;
  EXPECT_EQ(img.error().message().rfind("t.o: ", 0), 0u);
}

} // namespace
