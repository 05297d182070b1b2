#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The __mcount_loc table of a linked RISC-V image, seen through the cross
tools (nm for __start/__stop_mcount_loc, readelf for the section's file
offset), independent of rvtramp. In a relocatable image (ET_DYN) whose slots
each carry an R_RISCV_RELATIVE in .rela.dyn, the entries are those addends
(what the kernel's relocation writes into the slots at boot).

    mcount_table.py FILE                 one entry per line, hex, table order
    mcount_table.py FILE --swap I J      exchange entries I and J in place
    mcount_table.py FILE --copy I J      entry J := entry I (a doubled entry)
    mcount_table.py FILE --zero I J      entries I..J := 0 (zeroed entries)
    mcount_table.py FILE --shuffle SEED  permute all entries (an unsorted table)
"""
import os
import random
import struct
import subprocess
import sys

CROSS = os.environ.get("CROSS", "riscv64-linux-gnu-")


def locate(path):
    nm = subprocess.run([CROSS + "nm", path], capture_output=True, text=True, check=True).stdout
    sym = {}
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 3:
            sym[f[2]] = int(f[0], 16)
    lo, hi = sym["__start_mcount_loc"], sym["__stop_mcount_loc"]
    out = subprocess.run([CROSS + "readelf", "-SW", path], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) < 6 or not f[0].startswith("[") or f[1] == "Name":
            continue
        try:
            addr, off, size = int(f[3], 16), int(f[4], 16), int(f[5], 16)
        except ValueError:
            continue
        if addr and addr <= lo < addr + size and f[2] != "NOBITS":
            return off + (lo - addr), (hi - lo) // 8
    raise SystemExit("mcount_table: no section holds __start_mcount_loc")


def relative_slots(path, data, table_addr, n):
    """File offsets of the addends of the R_RISCV_RELATIVE relocations of
    the n slots from table_addr, in slot order; None when the slots have none."""
    out = subprocess.run([CROSS + "readelf", "-SW", path], capture_output=True, text=True,
                         check=True).stdout
    slots = {}
    for line in out.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) < 6 or f[1] != ".rela.dyn":
            continue
        off, size = int(f[4], 16), int(f[5], 16)
        for at in range(off, off + size, 24):
            r_offset, r_info = struct.unpack_from("<QQ", data, at)
            if (r_info & 0xffffffff) == 3 and table_addr <= r_offset < table_addr + 8 * n:
                slots[(r_offset - table_addr) // 8] = at + 16
    if not slots:
        return None
    if len(slots) != n:
        raise SystemExit("mcount_table: %d of %d slots have a RELATIVE" % (len(slots), n))
    return [slots[i] for i in range(n)]


def main():
    path = sys.argv[1]
    start, n = locate(path)
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        nm = subprocess.run([CROSS + "nm", path], capture_output=True, text=True).stdout
        table_addr = next(int(l.split()[0], 16) for l in nm.splitlines()
                          if l.split()[-1:] == ["__start_mcount_loc"])
        where = relative_slots(path, data, table_addr, n) or [start + 8 * i for i in range(n)]
        vals = [struct.unpack_from("<Q", data, at)[0] for at in where]
        if len(sys.argv) == 2:
            for v in vals:
                print("%016x" % v)
            return 0
        op = sys.argv[2]
        if op == "--shuffle":
            random.Random(int(sys.argv[3])).shuffle(vals)
            touched = range(n)
        else:
            i, j = int(sys.argv[3]), int(sys.argv[4])
            touched = (i, j)
            if op == "--swap":
                vals[i], vals[j] = vals[j], vals[i]
            elif op == "--copy":
                vals[j] = vals[i]
            elif op == "--zero":
                touched = range(i, j + 1)
                for k in touched:
                    vals[k] = 0
            else:
                raise SystemExit("mcount_table: unknown %s" % op)
        for k in touched:
            struct.pack_into("<Q", data, where[k], vals[k])
        f.seek(0)
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
