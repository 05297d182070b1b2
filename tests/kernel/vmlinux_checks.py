#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks rvtramp on a real Linux 6.12 riscv vmlinux against the cross tools.

  vmlinux_checks.py RVTRAMP VMLINUX stock|pfe13

Every expectation is computed here from riscv64-linux-gnu-nm/readelf/objdump,
never hard-coded:
  both:  site count == (__stop_mcount_loc - __start_mcount_loc) / 8, site
         addresses == the table's words, owner == the FUNC symbol covering
         the site (at +0), sites outside every sized FUNC have no owner;
  stock: every nop run is >= 8 bytes and the reservation is 8; rewrite skips
         every site with "room 8 < 24|26", --strict exits 1 and writes
         nothing, the plain output is byte-identical to the input;
  pfe13: the reservation is 26; rewrite rewrites 100 %, verify --against
         passes, the output's table entries name P (S or S+2), a second
         rewrite is byte-identical.
"""
import bisect
import json
import os
import re
import subprocess
import sys
import tempfile

CROSS = "riscv64-linux-gnu-"


def run(*args, check=True):
    p = subprocess.run(args, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def symbols(vmlinux):
    out = run(CROSS + "readelf", "-sW", vmlinux).stdout
    syms, funcs = {}, []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].endswith(":"):
            continue
        try:
            value, size = int(f[1], 16), int(f[2], 0)
        except ValueError:
            continue
        name = f[7]
        syms.setdefault(name, value)
        if f[3] == "FUNC" and size > 0:
            funcs.append((value, size, name))
    funcs.sort()
    return syms, funcs


def file_range(vmlinux, start, stop):
    """File offsets of the virtual range [start, stop), from the section holding it."""
    out = run(CROSS + "readelf", "-S", "-W", vmlinux).stdout
    for line in out.splitlines():
        m = re.match(r"^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if m:
            addr, off, size = (int(m.group(i), 16) for i in (2, 3, 4))
            if addr <= start and stop <= addr + size:
                return off + start - addr, off + stop - addr
    fail(f"no section holds [{start:#x}, {stop:#x})")


def table_entries(vmlinux, start, stop):
    """The __mcount_loc words, read with objdump -s over [start, stop)."""
    out = run(CROSS + "objdump", "-s", f"--start-address={start:#x}",
              f"--stop-address={stop:#x}", vmlinux).stdout
    data = bytearray()
    for line in out.splitlines():
        m = re.match(r"^ ([0-9a-f]{16}) ((?:[0-9a-f]{2,8} ){1,4})", line)
        if m:
            data += bytes.fromhex(m.group(2).replace(" ", ""))
    data = data[: stop - start]
    return [int.from_bytes(data[i:i + 8], "little") for i in range(0, len(data), 8)]


def main():
    rvtramp, vmlinux, variant = sys.argv[1:4]
    syms, funcs = symbols(vmlinux)
    start, stop = syms["__start_mcount_loc"], syms["__stop_mcount_loc"]
    words = [w for w in table_entries(vmlinux, start, stop) if w]
    want_count = (stop - start) // 8

    j = json.loads(run(rvtramp, "sites", vmlinux, "--format", "json").stdout)
    sites = j["sites"]
    if len(sites) != want_count or len(sites) != len(set(words)):
        fail(f"{len(sites)} sites, table holds {want_count} entries ({len(set(words))} distinct)")
    if sorted(s["address"] for s in sites) != sorted(set(words)):
        fail("site addresses differ from the __mcount_loc words")
    starts = [f[0] for f in funcs]
    owned = unowned = 0
    for s in sites:
        i = bisect.bisect_right(starts, s["address"]) - 1
        lo = bisect.bisect_left(starts, starts[i]) if i >= 0 else 0
        # every sized FUNC starting at the closest start below (aliases)
        cover = [f for f in funcs[lo: i + 1] if f[0] <= s["address"] < f[0] + f[1]]
        if cover:
            names = {f[2] for f in cover}
            if s["function"] not in names or s["function_offset"] != s["address"] - cover[0][0]:
                fail(f"site {s['address']:#x}: owner {s['function']}+{s['function_offset']}, symbols say {names}")
            if s["address"] != cover[0][0]:
                fail(f"site {s['address']:#x} is not at its function's entry")
            owned += 1
        else:
            if s["function"]:
                fail(f"site {s['address']:#x}: owner {s['function']} but no sized FUNC covers it")
            unowned += 1
    rooms = {}
    for s in sites:
        rooms[s["room"]] = rooms.get(s["room"], 0) + 1
    print(f"ok: {len(sites)} sites == (__stop_mcount_loc - __start_mcount_loc)/8 == {want_count}; "
          f"{owned} name their function at +0, {unowned} lie in no FUNC symbol "
          f"(overridden __weak bodies); rooms {dict(sorted(rooms.items()))}")

    tmp = tempfile.mkdtemp(prefix="rvt-kernel-")
    out = os.path.join(tmp, "vmlinux.rv")
    reserved = 8 if variant == "stock" else 26
    if min(rooms) < reserved or max(rooms, key=rooms.get) != reserved:
        fail(f"reservation is not {reserved} bytes: rooms {rooms}")
    rep = os.path.join(tmp, "plan.json")
    if variant == "stock":
        p = run(rvtramp, "rewrite", vmlinux, "-o", out, "--strict", check=False)
        if p.returncode != 1 or os.path.exists(out):
            fail(f"--strict on stock: exit {p.returncode}, output exists: {os.path.exists(out)}")
        run(rvtramp, "rewrite", vmlinux, "-o", out, "--report", rep)
        plan = json.load(open(rep))
        bad = [s for s in plan["site_list"] if s["decision"] != "skip" or
               not re.fullmatch(r"room 8 < (24|26)", s.get("reason_detail", ""))]
        if bad:
            fail(f"{len(bad)} stock sites not skipped as 'room 8 < 24|26', e.g. {bad[0]}")
        # Nothing rewritten, but the table is sorted (build-time sorted
        # __mcount_loc): every byte outside it is the input's, and it holds
        # the input's words, ascending.
        lo, hi = file_range(vmlinux, start, stop)
        a, b = open(vmlinux, "rb").read(), open(out, "rb").read()
        if len(a) != len(b) or a[:lo] != b[:lo] or a[hi:] != b[hi:]:
            fail("stock output differs from its input outside __mcount_loc")
        as_laid = table_entries(out, start, stop)
        if as_laid != sorted(table_entries(vmlinux, start, stop)):
            fail("stock output __mcount_loc is not the input's words, ascending")
        print(f"ok: stock: all {len(sites)} sites skipped (room 8 < 24 or < 26), "
              f"--strict exits 1 and writes nothing, output identical to input "
              f"but for __mcount_loc, which holds the same words ascending")
        return
    before = open(vmlinux, "rb").read()
    p = run(rvtramp, "rewrite", vmlinux, "-o", out, "--report", rep)
    plan = json.load(open(rep))
    skipped = [s for s in plan["site_list"] if s["decision"] == "skip"]
    if skipped:
        fail(f"{len(skipped)} sites skipped, e.g. {skipped[0]}")
    if open(vmlinux, "rb").read() != before:
        fail("input modified")
    v = run(rvtramp, "verify", out, "--against", vmlinux)
    # Build-time sorted __mcount_loc: the words as they lie, zeros included,
    # are ascending after the rewrite (the kernel may skip its boot-time sort).
    as_laid = table_entries(out, start, stop)
    if as_laid != sorted(as_laid):
        i = next(k for k in range(1, len(as_laid)) if as_laid[k - 1] > as_laid[k])
        fail(f"output __mcount_loc not ascending at entry {i}: {as_laid[i - 1]:#x} > {as_laid[i]:#x}")
    new_words = sorted(w for w in as_laid if w)
    want = sorted(s["address"] + (2 if s["address"] % 4 else 0) for s in sites)
    if new_words != want:
        fail("output table entries are not P (S, or S+2 for 2-aligned sites)")
    out2 = os.path.join(tmp, "vmlinux.rv2")
    run(rvtramp, "rewrite", out, "-o", out2, "-q")
    if open(out, "rb").read() != open(out2, "rb").read():
        fail("second rewrite is not byte-identical")
    print(f"ok: pfe13: {p.stdout.splitlines()[0]}")
    print(f"ok: pfe13: {v.stdout.strip()}; table entries moved to P and ascending; "
          "rerun byte-identical")


if __name__ == "__main__":
    main()
