// SPDX-License-Identifier: GPL-2.0-only
#include "elf_image.h"

#include "output_file.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <fcntl.h>
#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rvtramp {
namespace {

// Owns an Elf* for the span of one parse or write.
struct ElfHandle {
  Elf *elf = nullptr;
  ~ElfHandle() {
    if (elf)
      elf_end(elf);
  }
};

bool libelf_ready() {
  static const bool ready = elf_version(EV_CURRENT) != EV_NONE;
  return ready;
}

std::string libelf_message() {
  const char *m = elf_errmsg(-1);
  return m ? m : "unknown libelf error";
}

struct RelocName {
  uint32_t type;
  const char *name;
};

// RISC-V psABI relocation names (the subset readelf prints for kernel builds
// and more); unknown types print as numbers.
constexpr RelocName kRiscvRelocs[] = {
    {0, "R_RISCV_NONE"},          {1, "R_RISCV_32"},
    {2, "R_RISCV_64"},            {3, "R_RISCV_RELATIVE"},
    {4, "R_RISCV_COPY"},          {5, "R_RISCV_JUMP_SLOT"},
    {6, "R_RISCV_TLS_DTPMOD32"},  {7, "R_RISCV_TLS_DTPMOD64"},
    {8, "R_RISCV_TLS_DTPREL32"},  {9, "R_RISCV_TLS_DTPREL64"},
    {10, "R_RISCV_TLS_TPREL32"},  {11, "R_RISCV_TLS_TPREL64"},
    {16, "R_RISCV_BRANCH"},       {17, "R_RISCV_JAL"},
    {18, "R_RISCV_CALL"},         {19, "R_RISCV_CALL_PLT"},
    {20, "R_RISCV_GOT_HI20"},     {21, "R_RISCV_TLS_GOT_HI20"},
    {22, "R_RISCV_TLS_GD_HI20"},  {23, "R_RISCV_PCREL_HI20"},
    {24, "R_RISCV_PCREL_LO12_I"}, {25, "R_RISCV_PCREL_LO12_S"},
    {26, "R_RISCV_HI20"},         {27, "R_RISCV_LO12_I"},
    {28, "R_RISCV_LO12_S"},       {29, "R_RISCV_TPREL_HI20"},
    {30, "R_RISCV_TPREL_LO12_I"}, {31, "R_RISCV_TPREL_LO12_S"},
    {32, "R_RISCV_TPREL_ADD"},    {33, "R_RISCV_ADD8"},
    {34, "R_RISCV_ADD16"},        {35, "R_RISCV_ADD32"},
    {36, "R_RISCV_ADD64"},        {37, "R_RISCV_SUB8"},
    {38, "R_RISCV_SUB16"},        {39, "R_RISCV_SUB32"},
    {40, "R_RISCV_SUB64"},        {41, "R_RISCV_GNU_VTINHERIT"},
    {42, "R_RISCV_GNU_VTENTRY"},  {43, "R_RISCV_ALIGN"},
    {44, "R_RISCV_RVC_BRANCH"},   {45, "R_RISCV_RVC_JUMP"},
    {46, "R_RISCV_RVC_LUI"},      {51, "R_RISCV_RELAX"},
    {52, "R_RISCV_SUB6"},         {53, "R_RISCV_SET6"},
    {54, "R_RISCV_SET8"},         {55, "R_RISCV_SET16"},
    {56, "R_RISCV_SET32"},        {57, "R_RISCV_32_PCREL"},
    {58, "R_RISCV_IRELATIVE"},    {59, "R_RISCV_PLT32"},
    {60, "R_RISCV_SET_ULEB128"},  {61, "R_RISCV_SUB_ULEB128"},
};

struct MachineName {
  uint16_t machine;
  const char *name;
};
constexpr MachineName kMachines[] = {
    {EM_386, "Intel 80386"}, {EM_ARM, "ARM"},         {EM_X86_64, "x86-64"},
    {EM_AARCH64, "AArch64"}, {EM_PPC64, "PowerPC64"}, {EM_S390, "IBM S/390"},
    {EM_MIPS, "MIPS"},       {EM_RISCV, "RISC-V"},    {EM_LOONGARCH, "LoongArch"},
};

// The entry size libelf expects (and writes when it lays a file out, as
// --emit-mcount-loc makes it do) for a table section type; 0 when it does
// not care. The list follows elfutils' elf_update.
uint64_t table_entsize(uint32_t type, bool is64) {
  switch (type) {
  case SHT_SYMTAB:
  case SHT_DYNSYM: return is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
  case SHT_RELA: return is64 ? sizeof(Elf64_Rela) : sizeof(Elf32_Rela);
  case SHT_REL: return is64 ? sizeof(Elf64_Rel) : sizeof(Elf32_Rel);
  case SHT_DYNAMIC: return is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
  case SHT_SYMTAB_SHNDX:
  case SHT_GROUP:
  case SHT_HASH: return sizeof(Elf32_Word); // 8 only on Alpha and s390x
  case SHT_GNU_versym: return sizeof(Elf32_Half);
  case SHT_SUNW_move: return is64 ? sizeof(Elf64_Move) : sizeof(Elf32_Move);
  case SHT_SUNW_syminfo: return is64 ? sizeof(Elf64_Syminfo) : sizeof(Elf32_Syminfo);
  default: return 0;
  }
}

// File ranges (page interiors) of a 64-bit little-endian image that no
// edit reaches and whose bytes the passes read once or in part: the symbol
// table and its strings (read while locating, then only a name now and
// then) and sections neither allocated nor relocations (debug info, never
// read). A rewrite maps them from the file instead of reading them into
// its anonymous copy, so they are resident only while read, and
// ElfImage::release_symbol_pages hands them back. Read from the section
// headers before the parse, as a hint: headers that make no sense add
// nothing, and the parse says what is wrong with them.
std::vector<std::pair<uint64_t, uint64_t>> mappable_ranges(int fd, uint64_t size,
                                                           uint64_t page) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  Elf64_Ehdr eh;
  if (std::endian::native != std::endian::little ||
      pread(fd, &eh, sizeof eh, 0) != ssize_t(sizeof eh) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_shentsize != sizeof(Elf64_Shdr) ||
      eh.e_shnum == 0 || eh.e_shoff > size ||
      uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr) > size - eh.e_shoff)
    return out;
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  const size_t bytes = sh.size() * sizeof(Elf64_Shdr);
  if (pread(fd, sh.data(), bytes, off_t(eh.e_shoff)) != ssize_t(bytes))
    return out;
  auto add = [&](const Elf64_Shdr &s) {
    if (s.sh_type == SHT_NOBITS || s.sh_offset > size || s.sh_size > size - s.sh_offset)
      return;
    const uint64_t lo = (s.sh_offset + page - 1) / page * page;
    const uint64_t hi = (s.sh_offset + s.sh_size) / page * page;
    if (hi > lo)
      out.push_back({lo, hi});
  };
  for (size_t i = 1; i < sh.size(); ++i) {
    const Elf64_Shdr &s = sh[i];
    if (s.sh_type == SHT_SYMTAB) {
      add(s);
      if (s.sh_link && s.sh_link < sh.size() && sh[s.sh_link].sh_type == SHT_STRTAB)
        add(sh[s.sh_link]);
    } else if (!(s.sh_flags & SHF_ALLOC) && s.sh_type != SHT_RELA && s.sh_type != SHT_REL &&
               s.sh_type != SHT_STRTAB && s.sh_type != SHT_SYMTAB_SHNDX) {
      add(s);
    }
  }
  // In file order, overlaps merged (the parse refuses overlapping
  // sections, but this runs before it).
  std::sort(out.begin(), out.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto &r : out)
    if (!merged.empty() && r.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  return merged;
}

} // namespace

const char *riscv_reloc_name(uint32_t type) {
  for (const auto &r : kRiscvRelocs)
    if (r.type == type)
      return r.name;
  return "R_RISCV_<unknown>";
}

const char *elf_machine_name(uint16_t machine) {
  for (const auto &m : kMachines)
    if (m.machine == machine)
      return m.name;
  return "unknown machine";
}

bool Section::executable() const {
  return (flags & SHF_EXECINSTR) && (flags & SHF_ALLOC) && type == SHT_PROGBITS;
}
bool Section::has_file_bytes() const { return type != SHT_NOBITS; }

bool ElfImage::is_relocatable() const { return type_ == ET_REL; }
bool ElfImage::is_position_independent() const { return type_ == ET_DYN; }

const char *ElfImage::type_name() const {
  switch (type_) {
  case ET_REL: return "REL";
  case ET_EXEC: return "EXEC";
  case ET_DYN: return "DYN";
  default: return "OTHER";
  }
}

Expected<ElfImage> ElfImage::load(const std::string &path, const std::string &display_name,
                                  LoadMode mode) {
  const std::string &name = display_name.empty() ? path : display_name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error(name, std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int saved = errno;
    ::close(fd);
    return make_error(name, S_ISDIR(st.st_mode) ? "is a directory, not an ELF file"
                                                : (saved ? std::strerror(saved)
                                                         : "not a regular file"));
  }
  auto file = std::shared_ptr<const int>(new int(fd), [](const int *p) {
    ::close(*p);
    delete p;
  });
  if (st.st_size == 0)
    return make_error(name, "empty file");
  const size_t size = static_cast<size_t>(st.st_size);
  void *map = MAP_FAILED;
  std::vector<FileRange> file_backed; // Copy: ranges mapped from the file
  if (mode == LoadMode::Copy) {
    // Anonymous memory in huge pages where the kernel allows it (a handful
    // of faults instead of one per 4 KiB), filled by pread. Placed on a
    // 2 MiB boundary: mmap gives a 4 KiB one, and the unaligned head and
    // tail of a huge-page range fall back to 4 KiB pages (syn122k: 842
    // faults and 27 ms for the read, aligned 331 and 16 ms).
    constexpr size_t kHuge = size_t(2) << 20;
    const bool huge = size >= kHuge; // below one huge page there is nothing to gain
    const size_t span = huge ? size + kHuge : size;
    uint64_t span_end = size; // mapped bytes from map on
    map = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
      return make_error(name, std::string("cannot allocate: ") + std::strerror(errno));
    if (huge) {
      const uintptr_t raw = reinterpret_cast<uintptr_t>(map);
      const uintptr_t start = (raw + kHuge - 1) & ~uintptr_t(kHuge - 1);
      const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
      const uintptr_t end = (start + size + page - 1) & ~(page - 1);
      if (start > raw)
        munmap(map, start - raw);
      if (raw + span > end)
        munmap(reinterpret_cast<void *>(end), raw + span - end);
      map = reinterpret_cast<void *>(start);
      span_end = end - start;
      madvise(map, size, MADV_HUGEPAGE);
      // The symbol table, its strings and debug info from the file, in
      // place (mappable_ranges); a range the kernel will not map is read.
      for (const auto &[lo, hi] : mappable_ranges(fd, size, page))
        if (mmap(static_cast<uint8_t *>(map) + lo, hi - lo, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_FIXED, fd, off_t(lo)) != MAP_FAILED)
          file_backed.push_back({lo, hi});
    }
    auto read_range = [&](uint64_t done, uint64_t end) -> Status {
#ifdef MADV_POPULATE_WRITE
      // The pages first, in one call: the ends of a range beside a mapped
      // one are not whole huge pages, and pread faulted them in 4 KiB at a
      // time (syn122k: ~350 faults, on this virtual machine ~30 us each).
      // A kernel without it (before 5.14) says EINVAL and pread faults.
      if (huge && end > done) {
        const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE));
        const uint64_t lo = done / page * page, hi = (end + page - 1) / page * page;
        madvise(static_cast<uint8_t *>(map) + lo, std::min<uint64_t>(hi, span_end) - lo,
                MADV_POPULATE_WRITE);
      }
#endif
      while (done < end) {
        const ssize_t n =
            pread(fd, static_cast<uint8_t *>(map) + done, end - done, off_t(done));
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0) {
          const int saved = n < 0 ? errno : 0;
          return make_error(name, saved ? std::string("cannot read: ") + std::strerror(saved)
                                        : std::string("file shrank while being read"));
        }
        done += uint64_t(n);
      }
      return Status::ok();
    };
    uint64_t at = 0;
    Status read = Status::ok();
    for (const FileRange &r : file_backed) {
      if (!(read = read_range(at, r.lo)))
        break;
      at = r.hi;
    }
    if (read)
      read = read_range(at, size);
    if (!read) {
      munmap(map, size);
      return read.error();
    }
  } else {
    // A private mapping: reads come straight from the page cache, edits copy
    // only the pages they touch, and nothing ever reaches the file. Mapped
    // read-only and populated first (populating a writable private mapping
    // would copy every page), then made writable.
    map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED)
      return make_error(name, std::string("cannot map: ") + std::strerror(errno));
    if (mprotect(map, size, PROT_READ | PROT_WRITE) != 0) {
      const int saved = errno;
      munmap(map, size);
      return make_error(name, std::string("cannot map: ") + std::strerror(saved));
    }
  }
  ElfImage img;
  img.path_ = name;
  img.writable_ = static_cast<uint8_t *>(map);
  img.image_ = std::span<const uint8_t>(img.writable_, size);
  img.image_owner_ = std::shared_ptr<void>(map, [size](void *p) { munmap(p, size); });
  img.file_ = std::move(file);
  img.file_mapped_ = mode == LoadMode::Map;
  img.file_backed_ = std::move(file_backed);
  img.input_mtime_ns_ = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  RVT_TRY(img.parse());
  return img;
}

Expected<ElfImage> ElfImage::from_bytes(std::string name, std::vector<uint8_t> bytes) {
  ElfImage img;
  img.path_ = std::move(name);
  auto owned = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  img.writable_ = owned->data();
  img.image_ = std::span<const uint8_t>(*owned);
  img.image_owner_ = std::move(owned);
  RVT_TRY(img.parse());
  return img;
}

Expected<ElfImage> ElfImage::edited_image(std::string name) const {
  if (!new_sections_.empty())
    return make_error(name, "internal: edited_image with added sections");
  ElfImage img;
  img.path_ = std::move(name);
  img.image_ = image_;
  img.image_owner_ = image_owner_; // read-only view: no writable_
  // Symbols are the bulk of a parse; when no edit reached their bytes the
  // view parses to the same table, so it shares this one.
  const bool reuse = std::none_of(symbol_sections_.begin(), symbol_sections_.end(),
                                  [&](size_t i) { return edited_sections_.at(i); });
  if (reuse)
    img.symbols_ = symbols_; // pointers into the same bytes
  RVT_TRY(img.parse(reuse));
  return img;
}

Status ElfImage::check_within_file(const std::string &what, uint64_t offset, uint64_t size,
                                   const std::string &shape) const {
  const uint64_t fsize = image_.size();
  if (offset <= fsize && size <= fsize - offset)
    return Status::ok();
  // Wide arithmetic: a hostile offset near 2^64 must not wrap the figure.
  const unsigned __int128 end = (unsigned __int128)offset + size;
  const unsigned __int128 over = end - fsize;
  const std::string by = over > UINT64_MAX ? std::string("more than 2^64") : std::to_string(uint64_t(over));
  return error(what + " (offset " + hex(offset) + ", " + std::to_string(size) + " bytes" +
               (shape.empty() ? "" : ": " + shape) + ") extends " + by +
               " bytes past the end of the file (" + std::to_string(fsize) + " bytes)");
}

// Checks the identification by hand first so that every wrong-kind input gets
// a precise message, then lets libelf parse and checks every table it gives
// against the file size before anything is read.
Status ElfImage::parse(bool reuse_symbols) {
  const auto &b = image_;
  if (b.empty())
    return error("empty file");
  if (b.size() < EI_NIDENT || std::memcmp(b.data(), ELFMAG, SELFMAG) != 0)
    return error("not an ELF file (bad magic)");
  if (b[EI_CLASS] != ELFCLASS64 && b[EI_CLASS] != ELFCLASS32)
    return error("bad ELF class " + std::to_string(b[EI_CLASS]));
  is64_ = b[EI_CLASS] == ELFCLASS64;
  if (b[EI_DATA] == ELFDATA2MSB)
    return error("big-endian ELF: RISC-V images are little-endian");
  if (b[EI_DATA] != ELFDATA2LSB)
    return error("bad ELF data encoding " + std::to_string(b[EI_DATA]));
  if (b[EI_VERSION] != EV_CURRENT)
    return error("bad ELF identification version " + std::to_string(b[EI_VERSION]));
  const size_t ehdr_size = is64_ ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
  if (b.size() < ehdr_size)
    return error("truncated ELF header (" + std::to_string(b.size()) + " of " +
                 std::to_string(ehdr_size) + " bytes)");
  // The header tables, from the raw header before libelf sees them: libelf
  // reports a table cut off by the end of the file as "no section headers",
  // where the user needs which table runs past the end and by how much (as
  // readelf says "Reading 2240 bytes extends past end of file").
  {
    auto field = [&](size_t at, size_t width) {
      uint64_t v = 0;
      for (size_t k = 0; k < width; ++k)
        v |= uint64_t(b[at + k]) << (8 * k);
      return v;
    };
    const uint64_t phoff = is64_ ? field(0x20, 8) : field(0x1c, 4);
    const uint64_t shoff = is64_ ? field(0x28, 8) : field(0x20, 4);
    const uint64_t phnum = is64_ ? field(0x38, 2) : field(0x2c, 2);
    const uint64_t shnum = is64_ ? field(0x3c, 2) : field(0x30, 2);
    const uint64_t phent = is64_ ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    const uint64_t shent = is64_ ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    // e_shnum 0 with a table: the count is in section 0, which must be there.
    if (shoff)
      RVT_TRY(check_within_file("section header table", shoff, (shnum ? shnum : 1) * shent,
                                std::to_string(shnum ? shnum : 1) + " entries of " +
                                    std::to_string(shent) + " bytes"));
    if (phnum)
      RVT_TRY(check_within_file("program header table", phoff, phnum * phent,
                                std::to_string(phnum) + " entries of " + std::to_string(phent) +
                                    " bytes"));
  }
  if (!libelf_ready())
    return error("libelf: " + libelf_message());

  ElfHandle h;
  // libelf wants a writable pointer; it converts nothing for a little-endian
  // file on this host (and a mapping is private anyway).
  h.elf = elf_memory(reinterpret_cast<char *>(const_cast<uint8_t *>(image_.data())),
                     image_.size());
  if (!h.elf || elf_kind(h.elf) != ELF_K_ELF)
    return error("not an ELF file: " + libelf_message());
  GElf_Ehdr eh;
  if (!gelf_getehdr(h.elf, &eh))
    return error("bad ELF header: " + libelf_message());
  if (eh.e_machine != EM_RISCV)
    return error(std::string("not a RISC-V ELF (machine ") +
                 std::to_string(eh.e_machine) + ": " + elf_machine_name(eh.e_machine) + ")");
  if (eh.e_version != EV_CURRENT)
    return error("bad ELF version " + std::to_string(eh.e_version));
  type_ = eh.e_type;
  if (type_ != ET_REL && type_ != ET_EXEC && type_ != ET_DYN)
    return error("unsupported ELF type " + std::to_string(type_));

  const uint64_t fsize = image_.size();
  if (eh.e_phnum && (eh.e_phoff > fsize ||
                     uint64_t(eh.e_phnum) * eh.e_phentsize > fsize - eh.e_phoff))
    return error("program headers past the end of the file (e_phoff " +
                 hex(eh.e_phoff) + ")");
  if (eh.e_phnum && eh.e_phentsize != (is64_ ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
    return error("bad e_phentsize " + std::to_string(eh.e_phentsize));
  size_t shnum = 0, shstrndx = 0;
  if (elf_getshdrnum(h.elf, &shnum) != 0)
    return error("bad section header count: " + libelf_message());
  if (shnum == 0)
    return error("no section headers");
  const uint64_t shentsize = is64_ ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
  if (eh.e_shentsize != shentsize)
    return error("bad e_shentsize " + std::to_string(eh.e_shentsize));
  if (eh.e_shoff > fsize || shnum > (fsize - eh.e_shoff) / shentsize)
    return error("section headers past the end of the file (e_shoff " +
                 hex(eh.e_shoff) + ", " + std::to_string(shnum) + " sections)");
  if (elf_getshdrstrndx(h.elf, &shstrndx) != 0 || shstrndx >= shnum)
    return error("section name string table index out of range");

  shstrndx_ = shstrndx;
  shoff_ = eh.e_shoff;
  e_flags_ = eh.e_flags;
  sections_.resize(shnum);
  for (size_t i = 0; i < shnum; ++i) {
    Elf_Scn *scn = elf_getscn(h.elf, i);
    GElf_Shdr sh;
    if (!scn || !gelf_getshdr(scn, &sh))
      return error("section " + std::to_string(i) + ": bad header: " + libelf_message());
    Section &s = sections_[i];
    s.index = i;
    s.type = sh.sh_type;
    s.flags = sh.sh_flags;
    s.addr = sh.sh_addr;
    s.offset = sh.sh_offset;
    s.size = sh.sh_size;
    s.addralign = sh.sh_addralign;
    s.entsize = sh.sh_entsize;
    s.link = sh.sh_link;
    s.info = sh.sh_info;
    if (i == 0) {
      // Section 0 only carries the extended counts (libelf has read them);
      // whatever else a file puts there, the model sees the null section.
      s = Section{};
      continue;
    }
    const char *nm = elf_strptr(h.elf, shstrndx, sh.sh_name);
    if (!nm)
      return error("section " + std::to_string(i) + ": name offset " + hex(sh.sh_name) +
                   " past the section name table");
    s.name = nm;
    if (s.has_file_bytes())
      RVT_TRY(check_within_file("section " + s.name + " [" + std::to_string(i) + "]", s.offset,
                                s.size, {}));
    // A relocation section may have no symbol table (sh_link 0): ld.lld
    // writes the .rela.dyn of a kernel whose script discards .dynsym that
    // way, and readelf and the kernel accept it. Its relocations must then
    // all be against symbol 0, which reading them checks.
    const bool link_optional = s.type == SHT_RELA || s.type == SHT_REL;
    if ((s.type == SHT_SYMTAB || s.type == SHT_DYNSYM || s.type == SHT_RELA ||
         s.type == SHT_REL || s.type == SHT_SYMTAB_SHNDX || s.type == SHT_GROUP) &&
        ((s.link == 0 && !link_optional) || s.link >= shnum))
      return error("section " + s.name + ": sh_link " + std::to_string(s.link) +
                   " out of range");
    if ((s.type == SHT_RELA || s.type == SHT_REL) && (s.flags & SHF_INFO_LINK) &&
        s.info >= shnum)
      return error("section " + s.name + ": sh_info " + std::to_string(s.info) +
                   " out of range");
    // libelf rewrites the entry size of the tables it knows when it writes
    // the file, and refuses sections whose size is not a multiple of it: a
    // wrong one would only surface after the rewrite, as a changed header.
    if (const uint64_t want = table_entsize(s.type, is64_); want && s.entsize != want)
      return error("section " + s.name + ": sh_entsize " + std::to_string(s.entsize) +
                   ", want " + std::to_string(want));
    if (s.addralign & (s.addralign - 1))
      return error("section " + s.name + ": sh_addralign " + std::to_string(s.addralign) +
                   " is not a power of two");
    // In an object a symbol's value is an offset into its section, and the
    // sites, owners and table entries found from symbols and relocations are
    // offsets too, so the model puts every section of an object at 0. ld -r
    // with a linker script does give sections addresses (the riscv module
    // script's .plt and .got placeholders), which the linker and the module
    // loader ignore, as we do; the header keeps them (it is never rewritten).
    if (eh.e_type == ET_REL)
      s.addr = 0;
    if ((s.flags & SHF_COMPRESSED) && ((s.flags & SHF_ALLOC) || !s.has_file_bytes()))
      return error("section " + s.name + ": SHF_COMPRESSED on an allocated or NOBITS section");
    // ld.lld gives compressed debug sections sh_addralign 1 (GNU ld 8, the
    // alignment of their header): readelf and the kernel accept either.
    // rvtramp never reads them and writes them unchanged (copied), except
    // when libelf lays the whole file out (--emit-mcount-loc on an object),
    // where libelf checks them itself.
    // Contents may not sit on the ELF header or the header tables: libelf
    // writes those too, and one would overwrite the other.
    if (s.has_file_bytes() && s.offset < ehdr_size)
      return error("section " + s.name + " [" + std::to_string(i) +
                   "] starts inside the ELF header (offset " + hex(s.offset) + ")");
    auto overlaps = [&](uint64_t lo, uint64_t len) {
      return s.has_file_bytes() && s.size && len && s.offset < lo + len && lo < s.offset + s.size;
    };
    if (overlaps(eh.e_shoff, shnum * shentsize))
      return error("section " + s.name + " [" + std::to_string(i) +
                   "] overlaps the section header table");
    if (overlaps(eh.e_phoff, uint64_t(eh.e_phnum) * eh.e_phentsize))
      return error("section " + s.name + " [" + std::to_string(i) +
                   "] overlaps the program header table");
    if (s.entsize && s.size % s.entsize != 0)
      return error("section " + s.name + ": size " + std::to_string(s.size) +
                   " is not a multiple of sh_entsize " + std::to_string(s.entsize));
  }
  // Overlapping contents mean a corrupt or hostile file: refuse rather than
  // guess which section owns the bytes.
  std::vector<const Section *> laid;
  for (const auto &s : sections_)
    if (s.index && s.has_file_bytes() && s.size)
      laid.push_back(&s);
  std::sort(laid.begin(), laid.end(),
            [](const Section *a, const Section *c) { return a->offset < c->offset; });
  for (size_t i = 1; i < laid.size(); ++i)
    if (laid[i]->offset < laid[i - 1]->offset + laid[i - 1]->size)
      return error("sections " + laid[i - 1]->name + " and " + laid[i]->name +
                   " overlap in the file");

  // Symbols: the static table when present (vmlinux, objects), else dynamic.
  const Section *symtab = nullptr;
  for (const auto &s : sections_)
    if (s.type == SHT_SYMTAB)
      symtab = &s;
  if (!symtab)
    for (const auto &s : sections_)
      if (s.type == SHT_DYNSYM)
        symtab = &s;
  symbol_sections_.clear();
  if (symtab) {
    symbol_sections_ = {symtab->index, symtab->link};
    for (const auto &s : sections_)
      if (s.type == SHT_SYMTAB_SHNDX && s.link == symtab->index)
        symbol_sections_.push_back(s.index);
  }
  edited_sections_.assign(shnum, false);
  found_ = std::make_shared<FoundSymbols>();
  if (!reuse_symbols)
    symbols_ = SymbolTable();
  if (symtab && !reuse_symbols) {
    std::vector<Symbol> symbols;
    Elf_Scn *scn = elf_getscn(h.elf, symtab->index);
    Elf_Data *data = elf_getdata(scn, nullptr);
    if (!data && symtab->size)
      return error("section " + symtab->name + ": unreadable: " + libelf_message());
    Elf_Data *xdata = nullptr;
    for (const auto &s : sections_)
      if (s.type == SHT_SYMTAB_SHNDX && s.link == symtab->index)
        xdata = elf_getdata(elf_getscn(h.elf, s.index), nullptr);
    const uint64_t entsz = is64_ ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
    const size_t count = data ? data->d_size / entsz : 0;
    // The common case is read in place, from the file's bytes: a 64-bit
    // table on a little-endian host, names in a string table, no extended
    // indexes. Checked here once, entry by entry, so SymbolTable needs no
    // error path; anything else, or any symbol the checks below would
    // refuse, goes the libelf way from the start, which words the error.
    const Section &names = sections_[symtab->link];
    if (std::endian::native == std::endian::little && is64_ &&
        names.type == SHT_STRTAB && names.has_file_bytes() && names.size &&
        symtab->has_file_bytes() && data && data->d_size == symtab->size) {
      const uint8_t *raw = image_.data() + symtab->offset;
      const char *base = reinterpret_cast<const char *>(image_.data() + names.offset);
      // A table that ends in a NUL ends every name in it: no search per symbol.
      const bool terminated = base[names.size - 1] == 0;
      size_t i = 0;
      for (const uint8_t *at = raw; i < count; ++i, at += sizeof(Elf64_Sym)) {
        Elf64_Sym sym;
        std::memcpy(&sym, at, sizeof sym);
        if (sym.st_name >= names.size ||
            (!terminated && !std::memchr(base + sym.st_name, 0, names.size - sym.st_name)) ||
            sym.st_shndx == SHN_XINDEX ||
            (sym.st_shndx >= shnum && sym.st_shndx < SHN_LORESERVE))
          break;
      }
      if (i == count) {
        symbols_.raw_ = raw;
        symbols_.names_ = base;
        symbols_.names_size_ = names.size;
        symbols_.count_ = count;
      }
    }
    if (!symbols_.raw_)
      symbols.reserve(count);
    for (size_t i = 0; !symbols_.raw_ && i < count; ++i) {
      GElf_Sym sym;
      Elf32_Word xndx = 0;
      if (!gelf_getsymshndx(data, xdata, static_cast<int>(i), &sym, &xndx))
        return error_at(symtab->index, i * entsz, "bad symbol " + std::to_string(i));
      Symbol out;
      const char *nm = elf_strptr(h.elf, symtab->link, sym.st_name);
      if (!nm)
        return error_at(symtab->index, i * entsz,
                        "symbol " + std::to_string(i) + ": name offset " +
                            hex(sym.st_name) + " past the string table");
      // libelf checked the name; the model keeps a view of the file's bytes.
      const Section &strtab = sections_[symtab->link];
      const uint8_t *base = image_.data() + strtab.offset;
      const void *nul = sym.st_name < strtab.size
                            ? std::memchr(base + sym.st_name, 0, strtab.size - sym.st_name)
                            : nullptr;
      if (!nul || !strtab.has_file_bytes())
        return error_at(symtab->index, i * entsz,
                        "symbol " + std::to_string(i) + ": name not terminated in " +
                            strtab.name);
      out.name = std::string_view(reinterpret_cast<const char *>(base + sym.st_name),
                                  static_cast<const uint8_t *>(nul) - (base + sym.st_name));
      out.value = sym.st_value;
      out.size = sym.st_size;
      out.type = GELF_ST_TYPE(sym.st_info);
      out.bind = GELF_ST_BIND(sym.st_info);
      out.shndx = sym.st_shndx == SHN_XINDEX ? xndx : sym.st_shndx;
      if (sym.st_shndx == SHN_XINDEX && (!xdata || xndx >= shnum))
        return error_at(symtab->index, i * entsz,
                        "symbol " + std::string(out.name) + ": extended section index out of range");
      if (out.shndx >= shnum && out.shndx < SHN_LORESERVE)
        return error_at(symtab->index, i * entsz,
                        "symbol " + std::string(out.name) + ": section index " +
                            std::to_string(out.shndx) + " out of range");
      symbols.push_back(out);
    }
    if (!symbols_.raw_) {
      symbols_.decoded_ = std::make_shared<const std::vector<Symbol>>(std::move(symbols));
      symbols_.count_ = symbols_.decoded_->size();
    }
  }

  for (const auto &s : sections_) {
    if (s.type != SHT_RELA)
      continue;
    if (s.info >= shnum)
      return error("section " + s.name + ": sh_info " + std::to_string(s.info) +
                   " out of range");
    Elf_Data *data = elf_getdata(elf_getscn(h.elf, s.index), nullptr);
    if (!data && s.size)
      return error("section " + s.name + ": unreadable: " + libelf_message());
    const uint64_t entsz = is64_ ? sizeof(Elf64_Rela) : sizeof(Elf32_Rela);
    RelaSection rs;
    rs.index = s.index;
    rs.target = s.info;
    rs.symtab = s.link;
    const size_t count = data ? data->d_size / entsz : 0;
    const size_t nsyms = sections_[s.link].type == SHT_SYMTAB ||
                                 sections_[s.link].type == SHT_DYNSYM
                             ? sections_[s.link].size /
                                   (is64_ ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym))
                             : 0;
    rs.entries.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      GElf_Rela r;
      if (!gelf_getrela(data, static_cast<int>(i), &r))
        return error_at(s.index, i * entsz, "bad relocation " + std::to_string(i));
      Rela out;
      out.offset = r.r_offset;
      // gelf hands out r_info in the 64-bit form for both classes.
      out.type = static_cast<uint32_t>(GELF_R_TYPE(r.r_info));
      out.sym = static_cast<uint32_t>(GELF_R_SYM(r.r_info));
      out.addend = r.r_addend;
      if (out.sym >= nsyms && out.sym != 0)
        return error_at(s.index, i * entsz,
                        "relocation " + std::to_string(i) + ": symbol index " +
                            std::to_string(out.sym) + " out of range");
      rs.entries.push_back(out);
    }
    relas_.push_back(std::move(rs));
  }
  return Status::ok();
}

Error ElfImage::error_at(size_t section, uint64_t offset, std::string what) const {
  const std::string name = section < sections_.size() ? sections_[section].name
                                                      : "section " + std::to_string(section);
  return make_error(path_, name, offset, std::move(what));
}

const Section *ElfImage::find_section(std::string_view name) const {
  for (const auto &s : sections_)
    if (s.index && s.name == name)
      return &s;
  return nullptr;
}

const Section *ElfImage::section_at_addr(uint64_t a) const {
  for (const auto &s : sections_)
    if (s.index && (s.flags & SHF_ALLOC) && s.has_file_bytes() && s.contains_addr(a))
      return &s;
  return nullptr;
}

Symbol SymbolTable::operator[](size_t i) const {
  if (!raw_)
    return (*decoded_)[i];
  Elf64_Sym sym;
  std::memcpy(&sym, raw_ + i * sizeof(Elf64_Sym), sizeof sym);
  Symbol out;
  // parse() found a NUL after st_name inside the table; bounded all the same.
  const char *name = names_ + sym.st_name;
  const void *nul = std::memchr(name, 0, names_size_ - sym.st_name);
  out.name = std::string_view(name, nul ? size_t(static_cast<const char *>(nul) - name) : 0);
  out.value = sym.st_value;
  out.size = sym.st_size;
  out.type = ELF64_ST_TYPE(sym.st_info);
  out.bind = ELF64_ST_BIND(sym.st_info);
  out.shndx = sym.st_shndx;
  return out;
}

std::optional<size_t> SymbolTable::find_defined(std::string_view name) const {
  std::optional<size_t> out;
  find_defined(std::span(&name, 1), std::span(&out, 1));
  return out;
}

void SymbolTable::find_defined(std::span<const std::string_view> names,
                               std::span<std::optional<size_t>> out) const {
  size_t left = names.size();
  for (auto &o : out)
    o.reset();
  if (!raw_) {
    for (size_t i = 0; i < count_ && left; ++i)
      for (size_t k = 0; k < names.size(); ++k)
        if (!out[k] && (*decoded_)[i].name == names[k] && (*decoded_)[i].shndx != SHN_UNDEF) {
          out[k] = i;
          --left;
        }
    return;
  }
  // Compared in place, without measuring every name: the name's bytes, then
  // its NUL.
  for (size_t i = 0; i < count_ && left; ++i) {
    Elf64_Sym sym;
    std::memcpy(&sym, raw_ + i * sizeof(Elf64_Sym), sizeof sym);
    if (sym.st_shndx == SHN_UNDEF)
      continue;
    const char *at = names_ + sym.st_name;
    for (size_t k = 0; k < names.size(); ++k) {
      const std::string_view name = names[k];
      if (out[k] || name.size() >= names_size_ - sym.st_name)
        continue;
      if (at[name.size()] == 0 && std::memcmp(at, name.data(), name.size()) == 0) {
        out[k] = i;
        --left;
      }
    }
  }
}

// Symbols are built on access (SymbolTable), so the few that callers keep a
// pointer to live here, by name: the same few names are asked for by
// several passes (__start_mcount_loc by locate, emit and the check), and
// each search reads the whole table, which may have been handed back to
// the page cache (release_symbol_pages). A mutex because the image is
// shared read-only between threads.
struct ElfImage::FoundSymbols {
  std::mutex lock;
  std::deque<std::pair<std::string, std::optional<Symbol>>> kept;
};

const Symbol *ElfImage::find_symbol(std::string_view name) const {
  std::lock_guard<std::mutex> hold(found_->lock);
  for (const auto &[n, sym] : found_->kept)
    if (n == name)
      return sym ? &*sym : nullptr;
  const auto i = symbols_.find_defined(name);
  auto &kept = found_->kept.emplace_back(std::string(name), std::nullopt);
  if (i)
    kept.second = symbols_[*i];
  return kept.second ? &*kept.second : nullptr;
}

void ElfImage::find_symbols(std::span<const std::string_view> names) const {
  std::lock_guard<std::mutex> hold(found_->lock);
  std::vector<std::string_view> wanted;
  for (std::string_view name : names)
    if (std::none_of(found_->kept.begin(), found_->kept.end(),
                     [&](const auto &kept) { return kept.first == name; }) &&
        std::find(wanted.begin(), wanted.end(), name) == wanted.end())
      wanted.push_back(name);
  if (wanted.empty())
    return;
  std::vector<std::optional<size_t>> at(wanted.size());
  symbols_.find_defined(wanted, at);
  for (size_t k = 0; k < wanted.size(); ++k) {
    auto &kept = found_->kept.emplace_back(std::string(wanted[k]), std::nullopt);
    if (at[k])
      kept.second = symbols_[*at[k]];
  }
}

Expected<std::span<const uint8_t>> ElfImage::read(size_t section, uint64_t offset,
                                                  uint64_t length) const {
  if (section >= sections_.size())
    return error("section index " + std::to_string(section) + " out of range");
  const Section &s = sections_[section];
  if (!s.has_file_bytes())
    return error_at(section, offset, "section has no file contents");
  if (offset > s.size || length > s.size - offset)
    return error_at(section, offset,
                    "read of " + std::to_string(length) + " bytes past the section end");
  return image_.subspan(s.offset + offset, length);
}

Status ElfImage::read_original(size_t section, uint64_t offset, std::span<uint8_t> out) const {
  auto checked = read(section, offset, out.size());
  RVT_TRY(checked);
  if (Status st = read_original_at(sections_[section].offset + offset, out); !st)
    return error_at(section, offset, st.error().what);
  return Status::ok();
}

Status ElfImage::read_original_at(uint64_t at, std::span<uint8_t> out) const {
  if (at > image_.size() || out.size() > image_.size() - at)
    return error("internal: original bytes past the end of the file");
  if (!edited_ && !pages_released_) {
    std::memcpy(out.data(), image_.data() + at, out.size());
    return Status::ok();
  }
  if (pristine_) {
    std::memcpy(out.data(), pristine_->data() + at, out.size());
    return Status::ok();
  }
  if (!file_)
    return error("internal: no original bytes for an edited view");
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = pread(*file_, out.data() + done, out.size() - done, off_t(at + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return error(n < 0 ? std::string("cannot read the original: ") + std::strerror(errno)
                         : std::string("the input file shrank"));
    done += size_t(n);
  }
  return Status::ok();
}

bool ElfImage::in_section(size_t section, uint64_t offset, uint64_t length) const {
  if (section >= sections_.size())
    return false;
  const Section &s = sections_[section];
  return s.has_file_bytes() && offset <= s.size && length <= s.size - offset;
}

Expected<uint64_t> ElfImage::read_word(size_t section, uint64_t offset) const {
  const unsigned w = word_size();
  if (!in_section(section, offset, w)) [[unlikely]] {
    auto bytes = read(section, offset, w); // the error
    RVT_TRY(bytes);
  }
  const uint8_t *p = image_.data() + sections_[section].offset + offset;
  uint64_t v = 0;
  for (unsigned i = 0; i < w; ++i)
    v |= uint64_t(p[i]) << (8 * i);
  return v;
}

void ElfImage::release_pages() {
  if (!file_mapped_ || edited_ || !writable_ || image_.empty())
    return;
  if (madvise(writable_, image_.size(), MADV_DONTNEED) == 0)
    pages_released_ = true;
}

void ElfImage::release_range(uint64_t lo, uint64_t hi) const {
  if (!file_mapped_ || edited_ || !writable_ || hi > image_.size())
    return;
  const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE));
  lo = (lo + page - 1) / page * page;
  hi = hi / page * page;
  if (hi > lo)
    madvise(writable_ + lo, hi - lo, MADV_DONTNEED);
}

void ElfImage::release_symbol_pages() const {
  if (!writable_ || image_.empty())
    return;
  const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE));
  // Only pages no edit reached: dropping a private mapping's edited page
  // would give the file's bytes back in its place.
  auto unedited = [&](uint64_t lo, uint64_t hi) {
    if (edited_blocks_.empty())
      return true;
    for (uint64_t b = lo / kEditBlock; b < (hi + kEditBlock - 1) / kEditBlock; ++b)
      if (edited_blocks_[b / 64] >> (b % 64) & 1)
        return false;
    return true;
  };
  auto release = [&](uint64_t lo, uint64_t hi) {
    if (hi > lo && unedited(lo, hi))
      madvise(writable_ + lo, hi - lo, MADV_DONTNEED);
  };
  if (file_mapped_) {
    // The whole image is the file's: the symbol table and its strings.
    for (size_t i : symbol_sections_) {
      const Section &s = sections_.at(i);
      if (s.has_file_bytes())
        release((s.offset + page - 1) / page * page, (s.offset + s.size) / page * page);
    }
    return;
  }
  for (const FileRange &r : file_backed_)
    release(r.lo, r.hi);
}

void ElfImage::mark_edited(uint64_t at, uint64_t length) {
  if (!length)
    return;
  if (edited_blocks_.empty())
    edited_blocks_.assign(image_.size() / kEditBlock / 64 + 1, 0);
  for (uint64_t b = at / kEditBlock; b <= (at + length - 1) / kEditBlock; ++b)
    edited_blocks_[b / 64] |= uint64_t(1) << (b % 64);
}

std::vector<ElfImage::FileRange> ElfImage::edited_ranges(uint64_t merge_gap) const {
  std::vector<FileRange> out;
  const uint64_t size = image_.size();
  for (size_t w = 0; w < edited_blocks_.size(); ++w) {
    for (uint64_t bits = edited_blocks_[w]; bits;) {
      // A run of set bits in this word: [first, first + run) blocks.
      const unsigned first = unsigned(__builtin_ctzll(bits));
      const uint64_t from_first = bits >> first;
      const unsigned run = ~from_first ? unsigned(__builtin_ctzll(~from_first)) : 64 - first;
      const uint64_t lo = (uint64_t(w) * 64 + first) * kEditBlock;
      const uint64_t hi = std::min(size, lo + uint64_t(run) * kEditBlock);
      if (!out.empty() && lo <= out.back().hi + merge_gap)
        out.back().hi = hi;
      else
        out.push_back({lo, hi});
      bits = run + first >= 64 ? 0 : bits & ~((~uint64_t(0) >> (64 - run)) << first);
    }
  }
  return out;
}

uint8_t *ElfImage::edit_base() {
  if (!edited_ && !file_ && writable_)
    pristine_ = std::make_shared<const std::vector<uint8_t>>(image_.begin(), image_.end());
  edited_ = true;
  return writable_;
}

namespace {
void put_le(uint8_t *p, uint64_t v, unsigned width) {
  for (unsigned i = 0; i < width; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
} // namespace

Status ElfImage::write_bytes(size_t section, uint64_t offset,
                             std::span<const uint8_t> bytes) {
  // Checked without building an Expected (a rewrite makes 10^5 edits);
  // read() words the error.
  if (!in_section(section, offset, bytes.size())) [[unlikely]] {
    auto check = read(section, offset, bytes.size());
    RVT_TRY(check);
  }
  if (!writable_)
    return error_at(section, offset, "internal: edit of a read-only view");
  std::copy(bytes.begin(), bytes.end(), edit_base() + sections_[section].offset + offset);
  mark_edited(sections_[section].offset + offset, bytes.size());
  edited_sections_[section] = true;
  return Status::ok();
}

Status ElfImage::write_word(size_t section, uint64_t offset, uint64_t value) {
  uint8_t buf[8];
  put_le(buf, value, 8);
  return write_bytes(section, offset, std::span<const uint8_t>(buf, word_size()));
}

// The addend is the last field of Elf32_Rela / Elf64_Rela; the entry was
// validated to lie inside its section when the table was read.
uint64_t ElfImage::rela_addend_file_offset(size_t rela_list_index, size_t entry) const {
  const Section &s = sections_.at(relas_.at(rela_list_index).index);
  return s.offset + (is64_ ? entry * sizeof(Elf64_Rela) + offsetof(Elf64_Rela, r_addend)
                           : entry * sizeof(Elf32_Rela) + offsetof(Elf32_Rela, r_addend));
}

// sh_addralign of the section header, in the header table parse() checked.
uint64_t ElfImage::addralign_file_offset(size_t section) const {
  return is64_ ? shoff_ + section * sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_addralign)
               : shoff_ + section * sizeof(Elf32_Shdr) + offsetof(Elf32_Shdr, sh_addralign);
}

const Section *ElfImage::section_at_offset(uint64_t at) const {
  for (const auto &s : sections_)
    if (s.index && s.has_file_bytes() && at >= s.offset && at - s.offset < s.size)
      return &s;
  return nullptr;
}

void ElfImage::set_rela_addend(size_t rela_list_index, size_t entry, int64_t addend) {
  relas_.at(rela_list_index).entries.at(entry).addend = addend;
  const size_t section = relas_[rela_list_index].index;
  if (writable_) {
    const uint64_t at = rela_addend_file_offset(rela_list_index, entry);
    put_le(edit_base() + at, uint64_t(addend), word_size());
    mark_edited(at, word_size());
  }
  edited_sections_[section] = true;
}

uint64_t ElfImage::rela_entry_file_offset(size_t rela_list_index, size_t entry) const {
  return sections_.at(relas_.at(rela_list_index).index).offset + entry * rela_entry_size();
}

void ElfImage::set_rela(size_t rela_list_index, size_t entry, const Rela &rela) {
  relas_.at(rela_list_index).entries.at(entry) = rela;
  const size_t section = relas_[rela_list_index].index;
  if (writable_) {
    // r_offset, r_info (ELF64: sym << 32 | type; ELF32: sym << 8 | type), r_addend.
    uint8_t *p = edit_base() + rela_entry_file_offset(rela_list_index, entry);
    const unsigned w = word_size();
    put_le(p, rela.offset, w);
    put_le(p + w, is64_ ? uint64_t(rela.sym) << 32 | rela.type : uint64_t(rela.sym) << 8 | (rela.type & 0xff), w);
    put_le(p + 2 * w, uint64_t(rela.addend), w);
    mark_edited(rela_entry_file_offset(rela_list_index, entry), rela_entry_size());
  }
  edited_sections_[section] = true;
}

void ElfImage::raise_addralign(size_t section, uint64_t align) {
  if (sections_.at(section).addralign >= align)
    return;
  sections_[section].addralign = align;
  if (writable_) {
    const uint64_t at = addralign_file_offset(section);
    put_le(edit_base() + at, align, word_size());
    mark_edited(at, word_size());
  }
}

size_t ElfImage::add_section(NewSection section) {
  new_sections_.push_back(std::move(section));
  return sections_.size() + new_sections_.size() - 1;
}

namespace {
Status pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t at, const std::string &name) {
  while (n) {
    const ssize_t w = ::pwrite(fd, p, n, off_t(at));
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return make_error(name, std::string("write failed: ") +
                                  std::strerror(w < 0 ? errno : ENOSPC));
    p += w;
    at += uint64_t(w);
    n -= static_cast<size_t>(w);
  }
  return Status::ok();
}
} // namespace

Expected<ElfImage::WriteStats> ElfImage::write_changes_to_fd(int fd,
                                                            const std::vector<FileRange> &ranges,
                                                            bool copy,
                                                            const std::string &name) const {
  if (!new_sections_.empty())
    return make_error(name, "internal: added sections need the whole file written");
  WriteStats stats;
  const int in = input_fd();
  bool use_copy = copy && in >= 0;
  stats.copy_refused = !use_copy;
  const uint64_t size = image_.size();
  // The bytes between edited ranges, in file order (appending keeps the
  // file without holes): the kernel's copy where it agrees, else memory.
  auto unchanged = [&](uint64_t lo, uint64_t hi) -> Status {
    if (lo >= hi)
      return Status::ok();
    if (use_copy) {
      auto copied = copy_file_bytes(in, fd, lo, hi);
      if (!copied)
        return make_error(name, copied.error().what);
      stats.copied += *copied;
      lo += *copied;
      if (lo < hi) { // refused (EXDEV, EOPNOTSUPP, ...): the rest from memory
        use_copy = false;
        stats.copy_refused = true;
      }
    }
    stats.written += hi - lo;
    return pwrite_all(fd, image_.data() + lo, hi - lo, lo, name);
  };
  uint64_t at = 0;
  for (const FileRange &r : ranges) {
    RVT_TRY(unchanged(at, r.lo));
    RVT_TRY(pwrite_all(fd, image_.data() + r.lo, r.hi - r.lo, r.lo, name));
    stats.written += r.hi - r.lo;
    ++stats.ranges;
    at = r.hi;
  }
  RVT_TRY(unchanged(at, size));
  return stats;
}

Status ElfImage::check_input_unchanged(const std::string &name) const {
  struct stat st {};
  if (!file_ || fstat(*file_, &st) != 0)
    return make_error(name, "internal: the input is not open");
  const int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (uint64_t(st.st_size) != image_.size() || mtime != input_mtime_ns_)
    return make_error(path_, "the input changed while it was rewritten; nothing written");
  return Status::ok();
}

Status ElfImage::write_to_fd(int fd, const std::string &name) const {
  const auto bytes = current_bytes();
  RVT_TRY(pwrite_all(fd, bytes.data(), bytes.size(), 0, name));
  if (new_sections_.empty())
    return Status::ok(); // every edit is in place: the layout does not move
  if (!libelf_ready())
    return make_error(name, "libelf: " + libelf_message());
  // Buffers handed to libelf for new data; declared before the handle so they
  // outlive elf_end.
  std::vector<char> names;
  std::vector<std::vector<uint8_t>> payloads;
  ElfHandle h;
  h.elf = elf_begin(fd, ELF_C_RDWR, nullptr);
  if (!h.elf)
    return make_error(name, "libelf: " + libelf_message());
  auto fail = [&](const std::string &what) {
    return make_error(name, what + ": " + libelf_message());
  };
  {
    // New sections need names: extend the section name table.
    size_t shstrndx = 0;
    if (elf_getshdrstrndx(h.elf, &shstrndx) != 0)
      return fail("section name table");
    Elf_Scn *strscn = elf_getscn(h.elf, shstrndx);
    Elf_Data *strdata = strscn ? elf_getdata(strscn, nullptr) : nullptr;
    if (!strdata)
      return fail("section name table");
    names.assign(static_cast<const char *>(strdata->d_buf),
                 static_cast<const char *>(strdata->d_buf) + strdata->d_size);
    std::vector<size_t> name_offsets;
    for (const auto &ns : new_sections_) {
      name_offsets.push_back(names.size());
      names.insert(names.end(), ns.name.begin(), ns.name.end());
      names.push_back('\0');
    }
    strdata->d_buf = names.data();
    strdata->d_size = names.size();
    elf_flagdata(strdata, ELF_C_SET, ELF_F_DIRTY);
    for (size_t i = 0; i < new_sections_.size(); ++i) {
      const NewSection &ns = new_sections_[i];
      Elf_Scn *scn = elf_newscn(h.elf);
      if (!scn)
        return fail("cannot add section " + ns.name);
      GElf_Shdr sh{};
      sh.sh_name = name_offsets[i];
      sh.sh_type = ns.type;
      sh.sh_flags = ns.flags;
      sh.sh_addralign = ns.addralign;
      sh.sh_entsize = ns.entsize;
      sh.sh_link = ns.link;
      sh.sh_info = ns.info;
      Elf_Data *data = elf_newdata(scn);
      if (!data)
        return fail("cannot add data to " + ns.name);
      if (ns.type == SHT_RELA) {
        std::vector<uint8_t> raw(ns.relas.size() *
                                 (is64_ ? sizeof(Elf64_Rela) : sizeof(Elf32_Rela)));
        payloads.push_back(std::move(raw));
        data->d_buf = payloads.back().data();
        data->d_size = payloads.back().size();
        data->d_type = ELF_T_RELA;
        data->d_align = is64_ ? 8 : 4;
        for (size_t k = 0; k < ns.relas.size(); ++k) {
          GElf_Rela r{};
          r.r_offset = ns.relas[k].offset;
          r.r_info = GELF_R_INFO(ns.relas[k].sym, ns.relas[k].type);
          r.r_addend = ns.relas[k].addend;
          if (!gelf_update_rela(data, static_cast<int>(k), &r))
            return fail("cannot fill " + ns.name);
        }
      } else {
        payloads.push_back(ns.bytes);
        data->d_buf = payloads.back().data();
        data->d_size = payloads.back().size();
        data->d_type = ELF_T_BYTE;
        data->d_align = ns.addralign;
      }
      if (!gelf_update_shdr(scn, &sh))
        return fail("cannot set header of " + ns.name);
    }
  }
  if (elf_update(h.elf, ELF_C_WRITE) < 0)
    return fail("cannot write");
  return Status::ok();
}

} // namespace rvtramp
