#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The __mcount_loc table of a linked RISC-V image, seen through the cross
tools (nm for __start/__stop_mcount_loc, readelf for the section's file
offset), independent of rvtramp.

    mcount_table.py FILE                 one entry per line, hex, table order
    mcount_table.py FILE --swap I J      exchange entries I and J in place
    mcount_table.py FILE --copy I J      entry J := entry I (a doubled entry)
"""
import os
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


def main():
    path = sys.argv[1]
    start, n = locate(path)
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        vals = [struct.unpack_from("<Q", data, start + 8 * i)[0] for i in range(n)]
        if len(sys.argv) == 2:
            for v in vals:
                print("%x" % v)
            return 0
        op, i, j = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        if op == "--swap":
            vals[i], vals[j] = vals[j], vals[i]
        elif op == "--copy":
            vals[j] = vals[i]
        else:
            raise SystemExit("mcount_table: unknown %s" % op)
        for k in (i, j):
            struct.pack_into("<Q", data, start + 8 * k, vals[k])
        f.seek(0)
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
