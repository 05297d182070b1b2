// SPDX-License-Identifier: GPL-2.0-only
// The ELF model: a bounds-checked view of a RISC-V ELF file built with
// elfutils libelf, plus the edits a rewrite makes (section contents,
// relocation addends, section alignment, new sections), written back through
// libelf. This header does not expose libelf; elf_image.cpp is the only file that
// includes <libelf.h>.
#pragma once

#include "diag.h"

#include <cstdint>
#include <cstring>
#include <elf.h>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rvtramp {

struct Section {
  size_t index = 0;
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t addr = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t addralign = 0;
  uint64_t entsize = 0;
  uint32_t link = 0;
  uint32_t info = 0;

  bool executable() const;
  bool has_file_bytes() const; // not SHT_NOBITS
  bool contains_addr(uint64_t a) const { return a >= addr && a - addr < size; }
};

// One symbol as the model sees it. Not stored per symbol when the file's
// table can be read in place (SymbolTable): built on access, 40 bytes on
// the stack. Its index is its position in ElfImage::symbols().
struct Symbol {
  std::string_view name; // into the image's string table: lives as long as the image
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type = 0;    // STT_*
  uint8_t bind = 0;    // STB_*
  uint32_t shndx = 0;  // real section index (SHN_XINDEX resolved)
};
static_assert(sizeof(Symbol) <= 40, "Symbol is per-symbol memory: keep it small");

// The symbol table. A 64-bit little-endian table (every RISC-V kernel and
// module on a little-endian host) is read in place from the image's bytes:
// a copy was 40 bytes per symbol, 20 MiB of a 500K-site image and twice
// that for verify --against, against the 24 the file already holds. Any
// other table (ELF32, extended section indexes, a big-endian host) is
// decoded once into Symbols. Either way parse() has checked every entry
// (section index, a name that ends in a NUL inside the string table)
// before the table is handed out, so access needs no error path.
class SymbolTable {
public:
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // i < size(), as for a vector.
  Symbol operator[](size_t i) const;
  // The first defined symbol (section index not SHN_UNDEF) of that name.
  std::optional<size_t> find_defined(std::string_view name) const;
  // The same for several names in one scan of the table: out[k] for
  // names[k] (out.size() == names.size()).
  void find_defined(std::span<const std::string_view> names,
                    std::span<std::optional<size_t>> out) const;

  // Every symbol's fields, in table order, without measuring its name (a
  // C string in the string table): a pass over all symbols (locate indexes
  // 5 * 10^5 of them) need not pay a memchr per symbol for the few names
  // it looks at. f(const Fields &).
  struct Fields {
    const char *name; // NUL-terminated
    uint64_t value, size;
    uint32_t shndx;
    uint8_t type, bind;
  };
  template <class F> void for_each(F &&f) const {
    if (!raw_) {
      for (size_t i = 0; i < count_; ++i) {
        const Symbol &s = (*decoded_)[i];
        f(Fields{s.name.empty() ? "" : s.name.data(), s.value, s.size, s.shndx, s.type, s.bind});
      }
      return;
    }
    for (size_t i = 0; i < count_; ++i) {
      Elf64_Sym sym;
      std::memcpy(&sym, raw_ + i * sizeof(Elf64_Sym), sizeof sym);
      f(Fields{names_ + sym.st_name, sym.st_value, sym.st_size, sym.st_shndx,
               uint8_t(ELF64_ST_TYPE(sym.st_info)), uint8_t(ELF64_ST_BIND(sym.st_info))});
    }
  }

  class iterator {
  public:
    using value_type = Symbol;
    using difference_type = std::ptrdiff_t;
    iterator(const SymbolTable *t, size_t i) : t_(t), i_(i) {}
    Symbol operator*() const { return (*t_)[i_]; }
    iterator &operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const iterator &o) const { return i_ == o.i_; }
    bool operator!=(const iterator &o) const { return i_ != o.i_; }

  private:
    const SymbolTable *t_;
    size_t i_;
  };
  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, count_}; }

private:
  friend class ElfImage;
  const uint8_t *raw_ = nullptr; // count_ Elf64_Sym in the image, or null
  const char *names_ = nullptr;  // their string table
  uint64_t names_size_ = 0;
  std::shared_ptr<const std::vector<Symbol>> decoded_; // when raw_ is null
  size_t count_ = 0;
};

struct Rela {
  uint64_t offset = 0;
  uint32_t type = 0;
  uint32_t sym = 0;
  int64_t addend = 0;
};

// One SHT_RELA section: which section it patches and its entries.
struct RelaSection {
  size_t index = 0;   // the SHT_RELA section itself
  size_t target = 0;  // sh_info: the section its entries apply to (0: dynamic)
  size_t symtab = 0;  // sh_link
  std::vector<Rela> entries;
};

// A section the rewrite adds (ET_REL only: --emit-mcount-loc).
struct NewSection {
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t addralign = 1;
  uint64_t entsize = 0;
  uint32_t link = 0; // section index
  uint32_t info = 0; // section index
  std::vector<uint8_t> bytes;        // SHT_PROGBITS contents
  std::vector<Rela> relas;           // SHT_RELA entries
};

// Where a relocation against sym + addend points in a relocatable file, as
// an offset into sym's section: there st_value is a section offset and
// sh_addr plays no part (the linker ignores it; a damaged object may set it).
inline uint64_t relocation_target_offset(const Symbol &sym, int64_t addend) {
  return sym.value + uint64_t(addend);
}

const char *riscv_reloc_name(uint32_t type);
const char *elf_machine_name(uint16_t machine);

class ElfImage {
public:
  // Maps and validates the whole file; every later read is bounds-checked
  // against what was validated here. Errors name display_name (default: path).
  // Map: a private mapping (reading costs nothing until touched; an edit
  // copies its page). Copy: read into anonymous memory, for a rewrite that
  // edits most pages of the text (one sequential read beats a copy-on-write
  // fault per page, and a file truncated under us cannot raise SIGBUS).
  enum class LoadMode { Map, Copy };
  static Expected<ElfImage> load(const std::string &path, const std::string &display_name = {},
                                 LoadMode mode = LoadMode::Map);
  static Expected<ElfImage> from_bytes(std::string name, std::vector<uint8_t> bytes);
  // The edited image as it will be written, parsed afresh into a read-only
  // view of the same memory: what the write would put on disk, checked
  // without a copy. Only when no section is added (then the file written is
  // exactly these bytes).
  Expected<ElfImage> edited_image(std::string name) const;

  ElfImage(ElfImage &&) = default;
  ElfImage &operator=(ElfImage &&) = default;

  const std::string &path() const { return path_; }
  uint16_t type() const { return type_; }       // ET_*
  bool is64() const { return is64_; }
  unsigned word_size() const { return is64_ ? 8 : 4; }
  bool is_relocatable() const; // ET_REL
  bool is_position_independent() const; // ET_DYN (a PIE, a relocatable kernel)
  const char *type_name() const;
  uint64_t file_size() const { return image_.size(); }
  uint32_t e_flags() const { return e_flags_; }
  // The bytes write_to_fd starts from: the original with every edit applied.
  std::span<const uint8_t> current_bytes() const { return image_; }

  const std::vector<Section> &sections() const { return sections_; }
  const Section &section(size_t index) const { return sections_.at(index); }
  const Section *find_section(std::string_view name) const;
  size_t section_name_table() const { return shstrndx_; } // e_shstrndx, resolved
  // The section whose [addr, addr+size) holds a (allocated, with file bytes).
  const Section *section_at_addr(uint64_t a) const;
  const SymbolTable &symbols() const { return symbols_; }
  // The first defined symbol of that name, or null. The pointer stays valid
  // as long as the image (found symbols are kept: a handful per run).
  const Symbol *find_symbol(std::string_view name) const;
  // Looks up several names in one scan and keeps the answers for
  // find_symbol: each search reads the whole table (its names too), so
  // names wanted by later passes are best found while the table is
  // resident, before release_symbol_pages.
  void find_symbols(std::span<const std::string_view> names) const;
  const std::vector<RelaSection> &relas() const { return relas_; }

  // Bounds-checked section contents, with the edits made so far.
  Expected<std::span<const uint8_t>> read(size_t section, uint64_t offset,
                                          uint64_t length) const;
  Expected<uint64_t> read_word(size_t section, uint64_t offset) const;
  // The same section bytes as they were in the file, before any edit, copied
  // into out (edits are made in place: a mapped file's originals are read
  // back from the file, an in-memory image keeps a copy from its first edit).
  Status read_original(size_t section, uint64_t offset, std::span<uint8_t> out) const;

  // Edits. Each is bounds-checked and applied in place at the validated file
  // offset: to the private (copy-on-write) mapping of a loaded file, which
  // never reaches the file itself, or to the owned bytes. Writing is then one
  // sequential write and the layout cannot move.
  Status write_bytes(size_t section, uint64_t offset, std::span<const uint8_t> bytes);
  Status write_word(size_t section, uint64_t offset, uint64_t value);
  void set_rela_addend(size_t rela_list_index, size_t entry, int64_t addend);
  // The whole entry (offset, type, symbol, addend): fills a slot the link
  // reserved as zeros (passes/relocate_literals.cpp). Its bytes lie at
  // rela_entry_file_offset, rela_entry_size() of them.
  void set_rela(size_t rela_list_index, size_t entry, const Rela &rela);
  uint64_t rela_entry_file_offset(size_t rela_list_index, size_t entry) const;
  unsigned rela_entry_size() const { return is64_ ? 24 : 12; }
  void raise_addralign(size_t section, uint64_t align);
  // Where those two edits land in the file (and how wide the field is:
  // word_size()): the output check allows exactly these bytes to change.
  uint64_t rela_addend_file_offset(size_t rela_list_index, size_t entry) const;
  uint64_t addralign_file_offset(size_t section) const;
  // The section whose file bytes hold a file offset, or null (headers, padding).
  const Section *section_at_offset(uint64_t file_offset) const;
  size_t add_section(NewSection section); // returns the new section index
  const std::vector<NewSection> &new_sections() const { return new_sections_; }

  // A file mapped by load(LoadMode::Map) and never edited: hands its resident
  // pages back to the kernel (madvise MADV_DONTNEED). Later reads fault them
  // in again from the file, the same bytes; read_original reads the file.
  // verify --against holds two files: the original is released once located,
  // so only one file's text is resident at a time. No-op for other images.
  void release_pages();
  // The pages of the symbol table and its strings once the symbols are
  // indexed (locate), and in a rewrite's copy the other ranges it maps from
  // the file (debug info), as long as no edit reached them: later reads
  // fault them in again from the file, the same bytes. Const: what the
  // image holds does not change, only what is resident.
  void release_symbol_pages() const;
  // The page interiors of [lo, hi) of a file mapped by load(LoadMode::Map)
  // and never edited: release_pages for the part a sequential reader has
  // left behind (ReleaseBehind). No-op for other images.
  void release_range(uint64_t lo, uint64_t hi) const;

  // Writes the edited image to fd. The file at fd must be empty; it receives
  // the edited bytes, then libelf lays out the added sections, if any.
  Status write_to_fd(int fd, const std::string &display_name) const;

  // The edit list: every byte an edit reached (write_bytes, set_rela_addend,
  // raise_addralign) lies in one of these file ranges. Kept as one bit per
  // kEditBlock bytes of the file (a 94 MiB image: 185 KiB), so recording an
  // edit costs a store; ranges closer than merge_gap are merged (one pwrite
  // instead of two syscalls for a few bytes in between). In file order.
  static constexpr uint64_t kEditBlock = 64;
  struct FileRange {
    uint64_t lo = 0, hi = 0;
  };
  std::vector<FileRange> edited_ranges(uint64_t merge_gap = 4096) const;
  bool edited() const { return edited_; }

  // Only the changes: fd (empty) receives the input's bytes outside
  // `ranges`, copied inside the kernel by copy_file_range (shared extents on
  // file systems that have them, no trip through user space on the others),
  // and the edited bytes of `ranges` by pwrite. Where the kernel refuses the
  // copy (another file system, no support, copy = false) the same bytes come
  // from memory, which holds the input there. Needs the input file (load())
  // and no added sections.
  struct WriteStats {
    uint64_t copied = 0;   // bytes copied by the kernel
    uint64_t written = 0;  // bytes written from memory
    size_t ranges = 0;     // edited ranges written
    bool copy_refused = false;
  };
  Expected<WriteStats> write_changes_to_fd(int fd, const std::vector<FileRange> &ranges,
                                           bool copy, const std::string &display_name) const;
  // The input file as load() opened it, or -1.
  int input_fd() const { return file_ ? *file_ : -1; }
  // The input still has the size and modification time load() saw: its
  // unchanged bytes were copied from the file itself, after the analysis.
  Status check_input_unchanged(const std::string &display_name) const;
  // Original bytes at a file offset (any part of the file, headers
  // included), like read_original.
  Status read_original_at(uint64_t file_offset, std::span<uint8_t> out) const;

  Error error(std::string what) const { return make_error(path_, std::move(what)); }
  Error error_at(size_t section, uint64_t offset, std::string what) const;

private:
  ElfImage() = default;
  Status parse(bool reuse_symbols = false);
  // "WHAT (offset 0x.., N bytes[: SHAPE]) extends K bytes past the end of
  // the file (S bytes)" unless [offset, offset + size) lies in the file.
  Status check_within_file(const std::string &what, uint64_t offset, uint64_t size,
                           const std::string &shape) const;

  // [offset, offset + length) lies in the file bytes of section: read()
  // would succeed.
  bool in_section(size_t section, uint64_t offset, uint64_t length) const;
  uint8_t *edit_base(); // image_, writable; saves what read_original needs first
  void mark_edited(uint64_t file_offset, uint64_t length); // the edit list

  std::string path_;
  // The file's bytes, edits included: mapped (private) or owned. image_owner_
  // keeps them alive (shared with edited_image() views, which get no
  // writable_ pointer).
  std::span<const uint8_t> image_;
  std::shared_ptr<void> image_owner_;
  uint8_t *writable_ = nullptr;
  bool edited_ = false;
  bool file_mapped_ = false;   // image_ is a private mapping of file_
  bool pages_released_ = false; // release_pages(): originals come from file_
  std::vector<FileRange> file_backed_; // Copy: ranges mapped from the file, not read
  std::shared_ptr<const int> file_;                       // loaded: the input, read for originals
  std::shared_ptr<const std::vector<uint8_t>> pristine_;  // in memory: the original, from the first edit
  uint64_t shoff_ = 0;
  uint32_t e_flags_ = 0;
  uint16_t type_ = 0;
  bool is64_ = true;
  size_t shstrndx_ = 0;
  std::vector<Section> sections_;
  // Shared with edited_image() views when no edit touched the symbol table
  // or its strings (the same bytes would parse to the same symbols).
  SymbolTable symbols_;
  // What find_symbol handed out (its pointers must outlive the call).
  struct FoundSymbols;
  std::shared_ptr<FoundSymbols> found_;
  std::vector<size_t> symbol_sections_; // symtab, its strtab and SHN_XINDEX table
  std::vector<bool> edited_sections_;   // by index: an edit landed in its bytes
  std::vector<uint64_t> edited_blocks_; // bit per kEditBlock bytes: edited_ranges()
  int64_t input_mtime_ns_ = 0;          // load(): check_input_unchanged()
  std::vector<RelaSection> relas_;

  std::vector<NewSection> new_sections_;
};

// A sequential reader of a mapped image (verify --against: the located
// entries, their check, the byte comparison) hands the
// pages behind it back every few MiB: at 5 * 10^5 sites the text is 80 MiB,
// which stayed resident beside the per-site state and made the peak (verify
// --against 186 MiB, report 199 MiB for a 94.5 MiB file). Reading a page
// again costs a fault from the page cache, the same bytes. A reader that
// moves backwards starts over from there.
class ReleaseBehind {
public:
  explicit ReleaseBehind(const ElfImage &img) : img_(img) {}
  void at(uint64_t file_offset) {
    if (file_offset < done_)
      done_ = file_offset;
    else if (file_offset - done_ >= kStep) {
      img_.release_range(done_, file_offset);
      done_ = file_offset & ~uint64_t(4095);
    }
  }

private:
  // One madvise per 4 MiB read: each flushes the TLBs of the threads.
  static constexpr uint64_t kStep = uint64_t(4) << 20;
  const ElfImage &img_;
  uint64_t done_ = 0;
};

} // namespace rvtramp
