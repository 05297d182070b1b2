#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Generates the malformed-input corpus from valid fixtures (issue 7).

    make_malformed.py FIXTURES_DIR OUT_DIR

Every case is a copy of a built fixture with one field or table broken, so
nothing here is a hand-made binary. Writes OUT_DIR/<case> and
OUT_DIR/MANIFEST, one line per case: "<case> <kind>", where kind says what
rvtramp must do with it (checked by malformed.sh):
  error      sites, rewrite -o and verify all: one error line, exit 2
  plan       sites and rewrite -o: one error line, exit 2 (the plan refuses
             it); verify only locates, so it may pass or fail the check, but
             it must not crash
  dup        not corrupt: duplicate table entries; the site is listed once
             and the rewrite succeeds
  skip       a table entry the plan skips with a reason (odd address): the
             survey and the rewrite succeed, the output verifies
"""
import os
import struct
import sys


class Elf:
    def __init__(self, path):
        self.name = os.path.basename(path)
        self.b = bytearray(open(path, "rb").read())
        b = self.b
        self.is64 = b[4] == 2
        if self.is64:
            (self.e_phoff, self.e_shoff) = struct.unpack_from("<QQ", b, 0x20)
            (self.e_ehsize, self.e_phentsize, self.e_phnum, self.e_shentsize,
             self.e_shnum, self.e_shstrndx) = struct.unpack_from("<6H", b, 0x34)
        else:
            (self.e_phoff, self.e_shoff) = struct.unpack_from("<II", b, 0x1c)
            (self.e_ehsize, self.e_phentsize, self.e_phnum, self.e_shentsize,
             self.e_shnum, self.e_shstrndx) = struct.unpack_from("<6H", b, 0x28)
        self.sections = [self.shdr(i) for i in range(self.e_shnum)]
        strtab = self.sections[self.e_shstrndx]
        for s in self.sections:
            s["name"] = self.cstr(strtab["offset"] + s["sh_name"])

    # field layout of one section header: (name, offset, size) per class
    SH64 = [("sh_name", 0, 4), ("type", 4, 4), ("flags", 8, 8), ("addr", 16, 8),
            ("offset", 24, 8), ("size", 32, 8), ("link", 40, 4), ("info", 44, 4),
            ("addralign", 48, 8), ("entsize", 56, 8)]
    SH32 = [("sh_name", 0, 4), ("type", 4, 4), ("flags", 8, 4), ("addr", 12, 4),
            ("offset", 16, 4), ("size", 20, 4), ("link", 24, 4), ("info", 28, 4),
            ("addralign", 32, 4), ("entsize", 36, 4)]

    def fields(self):
        return self.SH64 if self.is64 else self.SH32

    def shdr(self, i):
        base = self.e_shoff + i * self.e_shentsize
        out = {"index": i}
        for name, off, size in self.fields():
            out[name] = int.from_bytes(self.b[base + off:base + off + size], "little")
        return out

    def cstr(self, at):
        end = self.b.index(0, at)
        return self.b[at:end].decode("latin-1")

    def section(self, name):
        for s in self.sections:
            if s["name"] == name:
                return s
        return None

    def sections_of_type(self, t):
        return [s for s in self.sections if s["type"] == t]

    def ehdr_field(self, name):
        # (offset, size) of an ELF header field
        t64 = {"e_type": (16, 2), "e_machine": (18, 2), "e_version": (20, 4),
               "e_phoff": (0x20, 8), "e_shoff": (0x28, 8), "e_phentsize": (0x36, 2),
               "e_phnum": (0x38, 2), "e_shentsize": (0x3a, 2), "e_shnum": (0x3c, 2),
               "e_shstrndx": (0x3e, 2)}
        t32 = {"e_type": (16, 2), "e_machine": (18, 2), "e_version": (20, 4),
               "e_phoff": (0x1c, 4), "e_shoff": (0x20, 4), "e_phentsize": (0x2a, 2),
               "e_phnum": (0x2c, 2), "e_shentsize": (0x2e, 2), "e_shnum": (0x30, 2),
               "e_shstrndx": (0x32, 2)}
        return (t64 if self.is64 else t32)[name]


def put(b, off, size, value):
    b[off:off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


class Corpus:
    def __init__(self, out):
        self.out = out
        self.manifest = []
        os.makedirs(out, exist_ok=True)

    def add(self, elf, case, kind, data, expect=""):
        """expect: text the one error line must contain (a fixed string)."""
        name = "%s--%s" % (elf.name, case)
        with open(os.path.join(self.out, name), "wb") as f:
            f.write(data)
        self.manifest.append((name, kind, expect))

    def set_ehdr(self, elf, case, field, value, kind="error"):
        b = bytearray(elf.b)
        off, size = elf.ehdr_field(field)
        put(b, off, size, value)
        self.add(elf, case, kind, b)

    def set_shdr(self, elf, case, index, field, value, kind="error"):
        b = bytearray(elf.b)
        for name, off, size in elf.fields():
            if name == field:
                put(b, elf.e_shoff + index * elf.e_shentsize + off, size, value)
                self.add(elf, case, kind, b)
                return
        raise KeyError(field)

    def write(self):
        with open(os.path.join(self.out, "MANIFEST"), "w") as f:
            for name, kind, expect in self.manifest:
                f.write(("%s %s %s" % (name, kind, expect)).rstrip() + "\n")


def symbols(elf):
    st = elf.sections_of_type(2)[0]
    entsz = 24 if elf.is64 else 16
    out = []
    for i in range(st["size"] // entsz):
        base = st["offset"] + i * entsz
        if elf.is64:
            name, info, other, shndx, value, size = struct.unpack_from("<IBBHQQ", elf.b, base)
        else:
            name, value, size, info, other, shndx = struct.unpack_from("<IIIBBH", elf.b, base)
        out.append({"index": i, "at": base, "name": name, "value": value, "shndx": shndx,
                    "info": info})
    return st, out


def relas(elf, target_name):
    """(rela section, entries) of the RELA section patching target_name."""
    target = elf.section(target_name)
    for s in elf.sections_of_type(4):
        if target and s["info"] == target["index"]:
            entsz = 24 if elf.is64 else 12
            ents = []
            for i in range(s["size"] // entsz):
                base = s["offset"] + i * entsz
                if elf.is64:
                    off, info, addend = struct.unpack_from("<QQq", elf.b, base)
                    sym, typ = info >> 32, info & 0xffffffff
                else:
                    off, info, addend = struct.unpack_from("<IIi", elf.b, base)
                    sym, typ = info >> 8, info & 0xff
                ents.append({"at": base, "offset": off, "sym": sym, "type": typ,
                             "addend": addend})
            return s, ents
    return None, []


def common_cases(c, elf):
    size = len(elf.b)
    # Truncation at every header and table boundary (and one byte short).
    cuts = {0, 1, 4, 15, 16, 17, elf.e_ehsize - 1, elf.e_ehsize}
    if elf.e_phnum:
        for k in range(elf.e_phnum + 1):
            cuts |= {elf.e_phoff + k * elf.e_phentsize, elf.e_phoff + k * elf.e_phentsize - 1}
    for k in range(elf.e_shnum + 1):
        cuts |= {elf.e_shoff + k * elf.e_shentsize, elf.e_shoff + k * elf.e_shentsize - 1}
    for s in elf.sections[1:]:
        if s["type"] != 8 and s["size"]:
            cuts |= {s["offset"], s["offset"] + s["size"] - 1, s["offset"] + s["size"]}
    cuts.add(size - 1)
    # A file cut anywhere past its ELF header must say which table runs past
    # the end, and by how much (readelf: "Reading N bytes extends past end of
    # file"), never "no section headers". The fixtures keep the section
    # header table last, so that is the table.
    table = elf.e_shnum * elf.e_shentsize
    assert elf.e_shoff + table == size, elf.name
    for n in sorted(x for x in cuts if 0 <= x < size):
        expect = ""
        if n >= elf.e_ehsize:
            expect = ("section header table (offset %#x, %d bytes: %d entries of %d bytes) "
                      "extends %d bytes past the end of the file (%d bytes)"
                      % (elf.e_shoff, table, elf.e_shnum, elf.e_shentsize,
                         elf.e_shoff + table - n, n))
        elif n > 16:
            expect = "truncated ELF header (%d of %d bytes)" % (n, elf.e_ehsize)
        c.add(elf, "trunc-%d" % n, "error", elf.b[:n], expect)
    # Cut in the middle of the largest PROGBITS section (a copy cut short),
    # with the section names and the header table put back after the cut:
    # the error names the first section that runs past the end.
    big = max((s for s in elf.sections[1:] if s["type"] == 1), key=lambda s: s["size"])
    names = elf.sections[elf.e_shstrndx]
    cut = big["offset"] + big["size"] // 2
    b = bytearray(elf.b[:cut]) + elf.b[names["offset"]:names["offset"] + names["size"]]
    names_at = cut
    b += bytes(-len(b) % 8)
    shoff = len(b)
    b += elf.b[elf.e_shoff:elf.e_shoff + table]
    off, sz = elf.ehdr_field("e_shoff")
    put(b, off, sz, shoff)
    field = dict((n, (o, z)) for n, o, z in elf.fields())["offset"]
    put(b, shoff + elf.e_shstrndx * elf.e_shentsize + field[0], field[1], names_at)
    past = [s for s in elf.sections[1:] if s["index"] != elf.e_shstrndx and
            s["type"] != 8 and s["offset"] + s["size"] > len(b)]
    # (Only where no section before it overlaps the names and table put back.)
    overlapping = [s for s in elf.sections[1:] if s["type"] != 8 and s["size"] and
                   s["offset"] < len(b) and s["offset"] + s["size"] > names_at]
    if past and not any(s["index"] < past[0]["index"] for s in overlapping
                        if s not in past):
        first = past[0]
        c.add(elf, "section-cut-short", "error", b,
              "section %s [%d] (offset %#x, %d bytes) extends %d bytes past the end of "
              "the file (%d bytes)" % (first["name"], first["index"], first["offset"],
                                       first["size"], first["offset"] + first["size"] - len(b),
                                       len(b)))

    # Identification: class, data encoding, version, machine, type.
    for case, off, val in [("class-none", 4, 0), ("class-3", 4, 3), ("bigendian", 5, 2),
                           ("data-none", 5, 0), ("ident-version-0", 6, 0),
                           ("bad-magic", 1, ord("X"))]:
        b = bytearray(elf.b)
        b[off] = val
        c.add(elf, case, "error", b)
    b = bytearray(elf.b)
    b[4] = 1 if elf.is64 else 2  # the other class, same bytes
    c.add(elf, "wrong-class", "error", b)
    c.set_ehdr(elf, "machine-x86_64", "e_machine", 62)
    c.set_ehdr(elf, "machine-aarch64", "e_machine", 183)
    c.set_ehdr(elf, "e_version-0", "e_version", 0)
    c.set_ehdr(elf, "e_type-core", "e_type", 4)
    c.set_ehdr(elf, "e_type-none", "e_type", 0)

    # Header tables past the end / out of range.
    c.set_ehdr(elf, "shoff-past-end", "e_shoff", size + 4096)
    c.set_ehdr(elf, "shoff-huge", "e_shoff", (1 << (64 if elf.is64 else 32)) - 8)
    c.set_ehdr(elf, "shoff-inside-last-table-entry", "e_shoff", size - elf.e_shentsize + 1)
    c.set_ehdr(elf, "shnum-huge", "e_shnum", 0x7fff)
    c.set_ehdr(elf, "shnum-plus-one", "e_shnum", elf.e_shnum + 1)
    c.set_ehdr(elf, "shentsize-bad", "e_shentsize", elf.e_shentsize + 8)
    c.set_ehdr(elf, "shstrndx-eq-shnum", "e_shstrndx", elf.e_shnum)
    c.set_ehdr(elf, "shstrndx-0xfeff", "e_shstrndx", 0xfeff)
    # SHN_XINDEX: the real index lives in section 0's sh_link.
    b = bytearray(elf.b)
    put(b, elf.e_shoff + elf.ehdr_field("e_shstrndx")[0] * 0, 0, 0)
    off, sz = elf.ehdr_field("e_shstrndx")
    put(b, off, sz, 0xffff)
    c.add(elf, "shstrndx-xindex-link-0", "error", b)
    for case, link in [("shstrndx-xindex-link-huge", 0x10000000),
                       ("shstrndx-xindex-link-shnum", elf.e_shnum)]:
        b2 = bytearray(b)
        put(b2, elf.e_shoff + dict((n, o) for n, o, s in elf.fields())["link"], 4, link)
        c.add(elf, case, "error", b2)
    # e_shnum 0 with sections present: the count comes from section 0's
    # sh_size, which is 0.
    c.set_ehdr(elf, "shnum-zero", "e_shnum", 0)
    if elf.e_phnum:
        c.set_ehdr(elf, "phoff-past-end", "e_phoff", size + 4096)
        c.set_ehdr(elf, "phnum-huge", "e_phnum", 0xfffe)
        c.set_ehdr(elf, "phentsize-bad", "e_phentsize", elf.e_phentsize - 1)

    # Section headers: contents past the end, overlapping, alignment,
    # entry sizes, names, links.
    text = elf.section(".text")
    c.set_shdr(elf, "text-size-past-end", text["index"], "size", size)
    c.set_shdr(elf, "text-offset-past-end", text["index"], "offset", size + 16)
    c.set_shdr(elf, "text-offset-huge", text["index"], "offset", (1 << (64 if elf.is64 else 32)) - 4)
    laid = sorted((s for s in elf.sections[1:] if s["type"] != 8 and s["size"]),
                  key=lambda s: s["offset"])
    for a, nxt in zip(laid, laid[1:]):
        if a["index"] == text["index"]:
            c.set_shdr(elf, "text-overlaps-next", a["index"], "size",
                       nxt["offset"] - a["offset"] + 4)
            break
    c.set_shdr(elf, "text-overlaps-prev", laid[1]["index"], "offset", laid[0]["offset"] + 2)
    c.set_shdr(elf, "text-in-ehdr", text["index"], "offset", 8)
    c.set_shdr(elf, "text-on-shdrs", text["index"], "offset", elf.e_shoff)
    c.set_shdr(elf, "text-align-3", text["index"], "addralign", 3)
    c.set_shdr(elf, "text-entsize-not-divisor", text["index"], "entsize", 7)
    c.set_shdr(elf, "text-name-past-shstrtab", text["index"], "sh_name",
               elf.sections[elf.e_shstrndx]["size"] + 100)
    c.set_shdr(elf, "text-name-huge", text["index"], "sh_name", 0xfffffff0)
    symtab = elf.sections_of_type(2)[0]
    c.set_shdr(elf, "symtab-link-0", symtab["index"], "link", 0)
    c.set_shdr(elf, "symtab-link-out-of-range", symtab["index"], "link", elf.e_shnum + 3)
    c.set_shdr(elf, "symtab-entsize-0", symtab["index"], "entsize", 0)
    c.set_shdr(elf, "symtab-entsize-bad", symtab["index"], "entsize", 25)
    c.set_shdr(elf, "symtab-size-odd", symtab["index"], "size", symtab["size"] - 1)
    c.set_shdr(elf, "symtab-past-end", symtab["index"], "size", size)
    c.set_shdr(elf, "text-compressed-bad-align", text["index"], "flags", text["flags"] | 0x800)

    # Symbols: name offset past the string table, section index out of range,
    # SHN_XINDEX without an SHNDX table.
    st, syms = symbols(elf)
    named = [s for s in syms if s["name"]]
    victim = named[len(named) // 2]
    strsz = elf.sections[st["link"]]["size"]
    b = bytearray(elf.b)
    put(b, victim["at"], 4, strsz + 1000)
    c.add(elf, "symbol-name-past-strtab", "error", b)
    shndx_at = victim["at"] + (6 if elf.is64 else 14)
    for case, val in [("symbol-shndx-out-of-range", elf.e_shnum + 5),
                      ("symbol-shndx-xindex-no-table", 0xffff)]:
        b = bytearray(elf.b)
        put(b, shndx_at, 2, val)
        c.add(elf, case, "error", b)


def rel_cases(c, elf):
    """Relocatable objects and modules: the table is a RELA section."""
    rs, ents = relas(elf, "__patchable_function_entries")
    pfe = elf.section("__patchable_function_entries")
    text = elf.section(".text")
    st, syms = symbols(elf)
    entsz = 24 if elf.is64 else 12
    c.set_shdr(elf, "rela-link-out-of-range", rs["index"], "link", elf.e_shnum + 1)
    c.set_shdr(elf, "rela-info-out-of-range", rs["index"], "info", elf.e_shnum + 1)
    c.set_shdr(elf, "rela-info-huge", rs["index"], "info", 0xfffffff0)
    c.set_shdr(elf, "rela-entsize-bad", rs["index"], "entsize", entsz + 1)
    c.set_shdr(elf, "rela-size-odd", rs["index"], "size", rs["size"] - 3)
    # (An object's code section with an address is not malformed: the model
    # puts every section of an object at 0, as the linker and the module
    # loader do; e2e.link rewrites such a module.)

    def set_entry(case, k, kind="error", sym=None, typ=None, addend=None):
        b = bytearray(elf.b)
        e = ents[k]
        s = e["sym"] if sym is None else sym
        t = e["type"] if typ is None else typ
        a = e["addend"] if addend is None else addend
        if elf.is64:
            struct.pack_into("<QQq", b, e["at"], e["offset"], (s << 32) | t, a)
        else:
            struct.pack_into("<IIi", b, e["at"], e["offset"], (s << 8) | t, a)
        c.add(elf, case, kind, b)

    mid = len(ents) // 2
    base = syms[ents[mid]["sym"]]
    set_entry("rela-sym-out-of-range", mid, sym=len(syms) + 7)
    set_entry("rela-sym-huge", mid, sym=(1 << (32 if elf.is64 else 24)) - 1)
    set_entry("rela-type-wrong", mid, typ=3)
    set_entry("rela-sym-undefined", mid, sym=0)
    # entries outside any executable section: past the end of .text, and
    # against a symbol of a data section
    set_entry("entry-past-text-end", mid, addend=text["size"] + 64 - base["value"])
    set_entry("entry-at-text-end", mid, addend=text["size"] - base["value"])
    data_syms = [s for s in syms if 0 < s["shndx"] < elf.e_shnum and s["shndx"] != text["index"]
                 and not (elf.sections[s["shndx"]]["flags"] & 4)]
    if data_syms:
        set_entry("entry-in-data-section", mid, sym=data_syms[0]["index"], addend=0)
    # The same entry twice: not corrupt; the site is listed once.
    set_entry("duplicate-entry", mid, kind="dup", sym=ents[0]["sym"], addend=ents[0]["addend"])
    # A site in the last bytes of .text: nops up to the end, too few for a
    # trampoline.
    b = bytearray(elf.b)
    nop = b"\x01\x00" if elf.section(".riscv.attributes") and b"c2p0" in elf.b else b"\x13\x00\x00\x00"
    end = text["offset"] + text["size"]
    b[end - 8:end] = nop * (8 // len(nop))
    e = ents[mid]
    a = text["size"] - 8 - base["value"]
    if elf.is64:
        struct.pack_into("<QQq", b, e["at"], e["offset"], (e["sym"] << 32) | e["type"], a)
    else:
        struct.pack_into("<IIi", b, e["at"], e["offset"], (e["sym"] << 8) | e["type"], a)
    c.add(elf, "site-in-last-8-bytes", "plan", b)


def exec_cases(c, elf):
    """Linked images: __mcount_loc holds absolute addresses."""
    text = elf.section(".text")
    w = 8 if elf.is64 else 4
    st, syms = symbols(elf)
    strtab = elf.sections[st["link"]]

    def symname(s):
        return elf.cstr(strtab["offset"] + s["name"])

    start = next((s for s in syms if symname(s) == "__start_mcount_loc"), None)
    stop = next((s for s in syms if symname(s) == "__stop_mcount_loc"), None)
    vat = 8 if elf.is64 else 4  # st_value offset in the entry
    sec = elf.section("__mcount_loc")
    if sec:
        ml = dict(sec)
    else:  # only the symbols delimit the table (inside .init.data)
        host = elf.sections[start["shndx"]]
        ml = {"index": None, "offset": host["offset"] + start["value"] - host["addr"],
              "addr": start["value"], "size": stop["value"] - start["value"]}

    def set_word(case, k, value, kind="error", data=None):
        b = bytearray(elf.b if data is None else data)
        put(b, ml["offset"] + k * w, w, value)
        c.add(elf, case, kind, b)

    n = ml["size"] // w
    first = int.from_bytes(elf.b[ml["offset"]:ml["offset"] + w], "little")
    set_word("entry-outside-any-section", n // 2, 0x1234)
    set_word("entry-in-data", n // 2, ml["addr"] + 8)
    set_word("entry-past-text-end", n // 2, text["addr"] + text["size"])
    # An odd address cannot be an instruction: the plan skips it with its
    # reason ("odd address"), like any site it cannot take; not an error.
    set_word("entry-odd-address", n // 2, first + 1, kind="skip")
    set_word("duplicate-entry", 1, first, kind="dup")
    # The table delimited by symbols with a size that is not whole entries,
    # and the section itself.
    if stop:
        for case, delta in [("mcount-loc-odd-size", -3), ("mcount-loc-stop-below-start", -ml["size"] - w),
                            ("mcount-loc-stop-past-section", 4 * w)]:
            b = bytearray(elf.b)
            put(b, stop["at"] + vat, w, stop["value"] + delta)
            c.add(elf, case, "error", b)
    if ml["index"] is not None and not stop:
        c.set_shdr(elf, "mcount-loc-section-odd-size", ml["index"], "size", ml["size"] - 3)
    # A site in the last bytes of .text: nops to the end, too few for a
    # trampoline (c.nop: these images are RVC).
    b = bytearray(elf.b)
    end = text["offset"] + text["size"]
    b[end - 8:end] = b"\x01\x00" * 4
    set_word("site-in-last-8-bytes", n // 2, text["addr"] + text["size"] - 8, kind="plan", data=b)


def main():
    fx, out = sys.argv[1], sys.argv[2]
    c = Corpus(out)
    for name in ["pfe13_rvc.o", "pfe13_rv32c.o", "mod13.ko"]:
        elf = Elf(os.path.join(fx, name))
        common_cases(c, elf)
        rel_cases(c, elf)
    for name in ["vmlinux13", "vmlinux13_rv32", "vmlinux13_initdata"]:
        elf = Elf(os.path.join(fx, name))
        common_cases(c, elf)
        exec_cases(c, elf)
    c.write()
    print("make_malformed: %d cases in %s" % (len(c.manifest), out))


if __name__ == "__main__":
    main()
