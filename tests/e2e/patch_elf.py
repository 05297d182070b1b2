#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Damage a linked RISC-V image on purpose, for the tests of rvtramp's
messages. Sections and symbols come from the cross tools (crosscheck.Elf),
not from rvtramp.

    patch_elf.py IN OUT --word SYMBOL OFF VALUE      4-byte word at SYMBOL+OFF := VALUE
    patch_elf.py IN OUT --xor SYMBOL OFF MASK        byte at SYMBOL+OFF ^= MASK
    patch_elf.py IN OUT --size SYMBOL DELTA          st_size of SYMBOL += DELTA (ELF64)
    patch_elf.py IN OUT --addend RELA_SECTION K DELTA  r_addend of entry K += DELTA (ELF64)

OFF may be negative from the symbol's end with 'end-N'. Numbers take 0x.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crosscheck as xc  # noqa: E402


def file_offset(elf, sym, off):
    at = sym["value"] + (sym["size"] - int(off[4:], 0) if off.startswith("end-") else int(off, 0))
    for s in elf.sections:
        if s["type"] == "PROGBITS" and s["addr"] <= at < s["addr"] + s["size"]:
            return s["offset"] + at - s["addr"]
    raise SystemExit("no section holds %#x" % at)


def main(argv):
    src, out, op, name = argv[1:5]
    elf = xc.Elf(src)
    b = bytearray(elf.data)
    if op == "--addend":
        rela = elf.section_named(name)[0]
        at = rela["offset"] + 24 * int(argv[5], 0) + 16
        struct.pack_into("<q", b, at, struct.unpack_from("<q", b, at)[0] + int(argv[6], 0))
        with open(out, "wb") as f:
            f.write(b)
        return
    sym = elf.symbol(name)
    if sym is None:
        raise SystemExit("no symbol " + name)
    if op == "--word":
        at = file_offset(elf, sym, argv[5])
        b[at:at + 4] = int(argv[6], 0).to_bytes(4, "little")
    elif op == "--xor":
        b[file_offset(elf, sym, argv[5])] ^= int(argv[6], 0)
    elif op == "--size":
        symtab = elf.section_named(".symtab")[0]
        at = symtab["offset"] + 24 * sym["num"] + 16
        struct.pack_into("<Q", b, at, sym["size"] + int(argv[5], 0))
    else:
        raise SystemExit(__doc__)
    with open(out, "wb") as f:
        f.write(b)


if __name__ == "__main__":
    main(sys.argv)
