#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Cross-checks for the rvtramp end-to-end tests.

Every expected value is computed from the RISC-V cross tools
(riscv64-linux-gnu-readelf / objdump / as), never hard-coded:

  expect FILE                      expected site list (JSON) from the tools
  compare-sites FILE SITES.json [STATES]
                                   rvtramp `sites --format json` == the tools' view
                                   (STATES: allowed site states, comma-separated;
                                   default: nops, or other for _mcount calls)
  check-align FILE MOD...          the file's sites cover these address mod 8 values
  check-rewrite ORIG OUT --state disabled|enabled --dest VALUE|none [--toggle j|c.j]
                                   every site of ORIG is either rewritten into the
                                   layout assembled here with `as`, or left intact
                                   because its room is too small; the table entries
                                   (__mcount_loc contents / relocation addends) moved
                                   to P; nothing else in the code changed. The
                                   disabled toggle is `c.j .+24` and a zero halfword
                                   when ORIG has RVC (readelf's Flags), else `j .+24`;
                                   --toggle names the form instead
  check-mcount-loc ORIG OUT        OUT has a __mcount_loc whose relocations point at
                                   ORIG's `call _mcount` sites (--emit-mcount-loc)
  check-table FILE                 every table entry of FILE is a toggle instruction
                                   of a well-formed layout (after ld); a disabled
                                   toggle is c.j (or j) with RVC, j without

Exit 0 on success, 1 with one line per mismatch on stdout.
Environment: CROSS (tool prefix, default riscv64-linux-gnu-).
"""

import json
import os
import re
import subprocess
import sys
import tempfile

CROSS = os.environ.get("CROSS", "riscv64-linux-gnu-")
READELF = CROSS + "readelf"
OBJDUMP = CROSS + "objdump"
AS = CROSS + "as"


def run(*cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit("command failed: %s\n%s" % (" ".join(cmd), p.stderr))
    return p.stdout


# ---------------------------------------------------------------- readelf views

class Elf:
    def __init__(self, path):
        self.path = path
        hdr = run(READELF, "-hW", path)
        self.klass = 64 if re.search(r"Class:\s+ELF64", hdr) else 32
        t = re.search(r"Type:\s+(\w+)", hdr).group(1)
        self.type = t
        self.rvc = bool(re.search(r"Flags:.*\bRVC\b", hdr))
        self.sections = self._sections()
        self.symbols = self._symbols()
        self.relocs = self._relocs()
        with open(path, "rb") as f:
            self.data = f.read()

    def _sections(self):
        out = []
        for line in run(READELF, "-SW", self.path).splitlines():
            m = re.match(r"\s*\[\s*(\d+)\]\s+(.*)$", line)
            if not m:
                continue
            idx, rest = int(m.group(1)), m.group(2).split()
            if idx == 0 or len(rest) < 9:
                continue
            if len(rest) == 9:  # no flags
                rest = rest[:6] + [""] + rest[6:]
            name, typ, addr, off, size, _es, flg, lk, inf, al = rest[:10]
            out.append(dict(index=idx, name=name, type=typ, addr=int(addr, 16),
                            offset=int(off, 16), size=int(size, 16), flags=flg,
                            link=int(lk), info=int(inf), align=int(al)))
        return out

    def section(self, idx):
        for s in self.sections:
            if s["index"] == idx:
                return s
        return None

    def section_named(self, name):
        return [s for s in self.sections if s["name"] == name]

    def _symbols(self):
        out = []
        in_symtab = False
        for line in run(READELF, "-sW", self.path).splitlines():
            if line.startswith("Symbol table"):
                in_symtab = ".symtab" in line
                continue
            if not in_symtab:
                continue
            f = line.split()
            if len(f) < 7 or not re.fullmatch(r"\d+:", f[0]):
                continue
            num = int(f[0][:-1])
            ndx = f[6]
            out.append(dict(num=num, value=int(f[1], 16), size=int(f[2], 0) if not f[2].startswith("0x") else int(f[2], 16),
                            type=f[3], bind=f[4], ndx=int(ndx) if ndx.isdigit() else ndx,
                            name=f[7] if len(f) > 7 else ""))
        return out

    def symbol(self, name):
        for s in self.symbols:
            if s["name"] == name:
                return s
        return None

    def _relocs(self):
        """{rela section name: [entries]} (lists, in order; several sections may share a name)."""
        out = []
        cur = None
        for line in run(READELF, "-rW", self.path).splitlines():
            m = re.match(r"Relocation section '([^']+)' at offset (0x[0-9a-f]+)", line)
            if m:
                cur = dict(name=m.group(1), file_offset=int(m.group(2), 16), entries=[])
                sec = [s for s in self.sections if s["name"] == cur["name"] and s["offset"] == cur["file_offset"]]
                cur["section"] = sec[0] if sec else None
                out.append(cur)
                continue
            f = line.split()
            if cur is None or len(f) < 3 or not re.fullmatch(r"[0-9a-f]+", f[0]) or not f[2].startswith("R_"):
                continue
            info = int(f[1], 16)
            symidx = info >> 32 if self.klass == 64 else info >> 8
            addend = 0
            if len(f) >= 2 and f[-2] in "+-" and len(f) > 4:
                addend = int(f[-1], 16) * (-1 if f[-2] == "-" else 1)
                symname = " ".join(f[4:-2])
            elif len(f) == 4:  # no symbol: "offset info type addend"
                addend = int(f[3], 16)
                symname = ""
            else:
                symname = " ".join(f[4:])
            cur["entries"].append(dict(offset=int(f[0], 16), type=f[2], sym=symidx,
                                       symname=symname, addend=addend))
        return out

    def sym_by_num(self, num):
        for s in self.symbols:
            if s["num"] == num:
                return s
        return None

    def bytes_at(self, sec, off, n):
        """n bytes at section-relative offset off of section sec."""
        return self.data[sec["offset"] + off: sec["offset"] + off + n]

    def hexdump(self, sec):
        """Section contents via `readelf -x` (the tool's view of the bytes)."""
        raw = bytearray()
        for line in run(READELF, "-x", str(sec["index"]), self.path).splitlines():
            m = re.match(r"\s+0x[0-9a-f]+ ((?:[0-9a-f]{2,8} ){1,4})", line + " ")
            if m:
                raw += bytes.fromhex("".join(m.group(1).split()))
        return bytes(raw)

    def exec_section_of(self, addr):
        for s in self.sections:
            if "X" in s["flags"] and "A" in s["flags"] and s["addr"] <= addr < s["addr"] + s["size"]:
                return s
        return None


# ---------------------------------------------------------------- disassembly

BRANCHES = {"j", "jal", "beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez",
            "blez", "bgez", "bltz", "bgtz", "c.j", "c.jal", "c.beqz", "c.bnez", "bgt", "ble",
            "bgtu", "bleu"}


def symbol_value(path, name):
    """Value of symbol NAME in PATH, from nm."""
    nm = run(CROSS + "nm", path)
    return int(re.search(r"^([0-9a-f]+) \w %s$" % re.escape(name), nm, re.M).group(1), 16)


def file_offset(path, addr):
    """File offset of virtual address ADDR in PATH, from readelf -S."""
    secs = run(READELF, "-SW", path)
    for m in re.finditer(r"\]\s+\S+\s+\S+\s+([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)", secs):
        a, o, s = (int(x, 16) for x in m.groups())
        if a and a <= addr < a + s:
            return o + addr - a
    raise ValueError("address %#x is in no section of %s" % (addr, path))


def disasm(path, secname, start, stop):
    """[(addr, nbytes, hex, mnemonic, operands normalized)] for [start, stop)."""
    out = []
    txt = run(OBJDUMP, "-d", "-z", "-j", secname, "--start-address=%#x" % start,
              "--stop-address=%#x" % stop, path)
    for line in txt.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\t([0-9a-f]+)\s*\t?(\S*)\s*(.*)$", line)
        if not m:
            continue
        addr = int(m.group(1), 16)
        hx, mn, ops = m.group(2), m.group(3), m.group(4)
        ops = ops.split("#")[0]
        ops = re.sub(r"<[^>]*>", "", ops).strip()
        if mn in BRANCHES:
            parts = ops.split(",")
            try:
                tgt = int(parts[-1].strip(), 16)
                parts[-1] = ".%+d" % (tgt - addr)
                ops = ",".join(parts)
            except ValueError:
                pass
        out.append((addr, len(hx) // 2, hx, mn, ops))
    return out


def nop_room(path, sec, addr, limit=128):
    """Bytes of consecutive nop / c.nop from addr within sec (objdump -d)."""
    end = min(sec["addr"] + sec["size"], addr + limit)
    room = 0
    for a, n, hx, mn, ops in disasm(path, sec["name"], addr, end):
        if a != addr + room or mn not in ("nop", "c.nop"):
            break
        room += n
    return room


# ---------------------------------------------------------------- expected sites

def function_names(elf, sec, addr):
    """Names of FUNC symbols of sec covering addr (value <= addr < value+size)."""
    names = []
    for s in elf.symbols:
        if s["type"] != "FUNC" or s["ndx"] != sec["index"]:
            continue
        if s["value"] <= addr < s["value"] + max(s["size"], 1):
            names.append((s["name"], addr - s["value"]))
    return names


def table_entries(elf):
    """Entries of the __start/__stop_mcount_loc table of a linked image:
    [(value, section, offset_in_section)]; else of a __patchable_function_entries
    section.  Values come from `readelf -x`."""
    w = 8 if elf.klass == 64 else 4
    start, stop = elf.symbol("__start_mcount_loc"), elf.symbol("__stop_mcount_loc")
    res = []
    if start and stop:
        sec = elf.section(start["ndx"])
        raw = elf.hexdump(sec)
        for a in range(start["value"], stop["value"], w):
            o = a - sec["addr"]
            res.append((int.from_bytes(raw[o:o + w], "little"), sec, o, "mcount_loc"))
        return res
    for name in ("__mcount_loc", "__patchable_function_entries"):
        for sec in elf.section_named(name):
            raw = elf.hexdump(sec)
            for o in range(0, len(raw) - w + 1, w):
                res.append((int.from_bytes(raw[o:o + w], "little"), sec, o,
                            "mcount_loc" if name == "__mcount_loc" else "patchable_function_entries"))
    return res


def reloc_entries(elf):
    """ET_REL table entries: [(site section, site offset, rela section, index, entry, source)]."""
    res = []
    for rs in elf.relocs:
        if rs["name"] not in (".rela__patchable_function_entries", ".rela__mcount_loc"):
            continue
        src = "mcount_loc" if rs["name"] == ".rela__mcount_loc" else "patchable_function_entries"
        for i, e in enumerate(rs["entries"]):
            sym = elf.sym_by_num(e["sym"])
            sec = elf.section(sym["ndx"])
            res.append((sec, sym["value"] + e["addend"], rs, i, e, src))
    return res


def mcount_calls(elf):
    """-pg sites: auipc ra with R_RISCV_CALL(_PLT) against _mcount."""
    res = []
    for rs in elf.relocs:
        tgt = rs["section"] and elf.section(rs["section"]["info"])
        if not tgt or "X" not in tgt["flags"]:
            continue
        for e in rs["entries"]:
            if e["type"] in ("R_RISCV_CALL", "R_RISCV_CALL_PLT") and e["symname"] == "_mcount":
                res.append((tgt, e["offset"]))
    return res


def expected_sites(path):
    elf = Elf(path)
    sites = {}
    if elf.type == "REL":
        for sec, off, _rs, _i, _e, src in reloc_entries(elf):
            sites.setdefault((sec["addr"] + off, sec["name"]), (sec, off, set()))[2].add(src)
        for sec, off in mcount_calls(elf):
            sites.setdefault((sec["addr"] + off, sec["name"]), (sec, off, set()))[2].add("mcount_call")
    else:
        for val, _tsec, _o, src in table_entries(elf):
            sec = elf.exec_section_of(val)
            if sec is None:
                raise SystemExit("table entry %#x is in no executable section" % val)
            sites.setdefault((val, sec["name"]), (sec, val - sec["addr"], set()))[2].add(src)
    out = []
    for (addr, secname), (sec, off, srcs) in sorted(sites.items()):
        src = sorted(srcs)[0] if len(srcs) == 1 else "/".join(sorted(srcs))
        room = nop_room(path, sec, addr)
        if "mcount_call" in srcs:
            # the call's own auipc must be `auipc ra`
            ins = disasm(path, sec["name"], addr, addr + 4)
            if not ins or ins[0][3] != "auipc" or not ins[0][4].startswith("ra,"):
                raise SystemExit("%s+%#x: _mcount call site is not auipc ra" % (secname, off))
        out.append(dict(address=addr, section=secname, offset=off,
                        functions=function_names(elf, sec, addr), room=room,
                        align=addr % 8, source=src, sources=sorted(srcs)))
    return elf, out


# ---------------------------------------------------------------- compare sites

def compare_sites(path, jpath, want_state="orig"):
    elf, exp = expected_sites(path)
    errs = []
    with open(jpath) as f:
        try:
            got = json.load(f)
        except ValueError as e:
            return ["sites output is not JSON: %s" % e]
    if got.get("schema") != "rvtramp-sites/1":
        errs.append("schema %r" % got.get("schema"))
    e = got.get("elf", {})
    if e.get("type") != elf.type:
        errs.append("elf.type %r, readelf says %s" % (e.get("type"), elf.type))
    if e.get("class") != elf.klass:
        errs.append("elf.class %r, readelf says %d" % (e.get("class"), elf.klass))
    sites = got.get("sites", [])
    keys = [(s.get("address"), s.get("section")) for s in sites]
    if keys != sorted(keys, key=lambda k: (k[0] if isinstance(k[0], int) else -1, str(k[1]))):
        errs.append("sites not sorted by (address, section)")
    if len(set(keys)) != len(keys):
        errs.append("duplicate sites")
    ek = {(s["address"], s["section"]): s for s in exp}
    gk = {(s.get("address"), s.get("section")): s for s in sites}
    for k in sorted(set(ek) - set(gk), key=str):
        errs.append("missing site %s+%#x (%s)" % (k[1], k[0], ek[k]["source"]))
    for k in sorted(set(gk) - set(ek), key=str):
        errs.append("unexpected site %r" % (k,))
    if len(sites) != len(exp):
        errs.append("count %d, tools say %d" % (len(sites), len(exp)))
    for k in sorted(set(ek) & set(gk)):
        x, g = ek[k], gk[k]
        where = "%s+%#x" % (k[1], k[0])
        for field in ("offset", "room", "align"):
            if field == "room" and want_state != "orig":
                continue  # room of a rewritten site is not the nop run
            if g.get(field) != x[field]:
                errs.append("%s: %s %r, tools say %r" % (where, field, g.get(field), x[field]))
        # one source, or (a site found in several tables) all of them, comma-joined
        src = str(g.get("source"))
        if src not in x["sources"] and sorted(src.split(",")) != x["sources"]:
            errs.append("%s: source %r, tools say %r" % (where, g.get("source"), x["sources"]))
        if x["functions"]:
            if (g.get("function"), g.get("function_offset")) not in x["functions"]:
                errs.append("%s: function %r+%r, symbols say %r" % (where, g.get("function"),
                            g.get("function_offset"), x["functions"]))
        if want_state is None:
            pass
        elif want_state == "orig":
            ws = "nops" if "mcount_call" not in x["sources"] and x["room"] > 0 else "other"
            if g.get("state") != ws:
                errs.append("%s: state %r, expected %r" % (where, g.get("state"), ws))
        elif g.get("state") not in want_state.split(","):
            errs.append("%s: state %r, expected %r" % (where, g.get("state"), want_state))
        for field in ("address", "offset", "room", "align", "function_offset"):
            if field in g and not (isinstance(g[field], int) and not isinstance(g[field], bool)):
                errs.append("%s: %s is not a JSON integer" % (where, field))
    summ = got.get("summary", {})
    if summ.get("total") != len(exp):
        errs.append("summary.total %r, tools say %d" % (summ.get("total"), len(exp)))

    def hist(field):
        h = {}
        for s in exp:
            h[str(s[field])] = h.get(str(s[field]), 0) + 1
        return h

    for field, key in (("align", "by_align"), ("room", "by_room")):
        if field == "room" and want_state != "orig":
            continue
        got_h = {k: v for k, v in summ.get(key, {}).items() if v}
        if got_h != hist(field):
            errs.append("summary.%s %r, tools say %r" % (key, got_h, hist(field)))
    own, tokens = {}, {}
    for g in sites:
        own[str(g.get("source"))] = own.get(str(g.get("source")), 0) + 1
        for t in str(g.get("source")).split(","):
            tokens[t] = tokens.get(t, 0) + 1
    got_h = {k: v for k, v in summ.get("by_source", {}).items() if v}
    if got_h != own and got_h != tokens:
        errs.append("summary.by_source %r, but the sites say %r" % (got_h, own))
    return errs


# ---------------------------------------------------------------- expected layout

def layout_asm(site, rvc, state, dest, klass, form=None):
    """Assembly for the whole room of a rewritten site, and the segment map
    [(kind, start, end)] relative to S ('code' or 'lit'). form: the disabled
    toggle, "j" or "c.j" (default: c.j with RVC, as rvtramp writes it)."""
    if form is None:
        form = "c.j" if rvc else "j"
    s = site["address"]
    room = site["room"]
    fix = s % 4 == 2
    p = s + 2 if fix else s
    lines = [".option norelax"]
    segs = []
    cur = 0
    if fix:
        lines.append("c.nop")
        segs.append(("code", 0, 2))
        cur = 2
    lit = ".8byte %#x" % dest if klass == 64 else ".4byte %#x" % dest
    load = "ld" if klass == 64 else "lw"
    lines += [".option push", ".option norvc"]
    if state == "enabled":
        lines.append("auipc t0, 0")
    elif form == "c.j":
        # c.j and a zero halfword: the states then differ in one halfword
        # (c.unimp: the zero halfword as an instruction, as objdump shows it;
        # .2byte would be data with a mapping symbol)
        lines += [".option rvc", "c.j 9f", "c.unimp", ".option norvc"]
    else:
        lines.append("j 9f")
    if klass == 32:
        # RV32 variant: 4-byte literal, 4-aligned; the 64-bit layouts with lw.
        raise SystemExit("RV32 layouts are not specified yet")
    if p % 8 == 0:  # A8
        lines += ["j 8f", lit, "8: %s t0, 8(t0)" % load, "jalr t0, 0(t0)"]
        segs += [("code", cur, cur + 8), ("lit", cur + 8, cur + 16), ("code", cur + 16, cur + 24)]
    else:  # A4
        lines += ["%s t0, 12(t0)" % load, "j 8f", lit, "8: jalr t0, 0(t0)"]
        segs += [("code", cur, cur + 12), ("lit", cur + 12, cur + 20), ("code", cur + 20, cur + 24)]
    lines += ["9:", ".option pop"]
    cur += 24
    nopsz = 2 if rvc else 4
    while cur + nopsz <= room:
        lines.append("c.nop" if rvc else "nop")
        cur += nopsz
    tail = 24 + (2 if fix else 0)
    if room > tail:
        segs.append(("code", tail, room))
    return p, "\n".join(lines) + "\n", segs


def check_rewrite(orig, out, state, dest, form=None):
    eo, sites = expected_sites(orig)
    en = Elf(out)
    errs = []
    march = {(64, True): "rv64gc", (64, False): "rv64g", (32, True): "rv32gc", (32, False): "rv32g"}[(eo.klass, eo.rvc)]
    rewritten = {}
    plan = []
    for i, s in enumerate(sites):
        if s["source"] == "mcount_call":
            continue
        need = 24 if s["address"] % 4 == 0 else 26
        if s["room"] < need:
            plan.append((s, None))
        else:
            plan.append((s, i))
    # assemble all expected regions, one section each
    asm = []
    for s, i in plan:
        if i is None:
            continue
        p, text, segs = layout_asm(s, eo.rvc, state, dest if dest is not None else 0, eo.klass, form)
        rewritten[i] = (p, segs)
        asm.append('.section .r%d, "ax"\n' % i + text)
    tmp = tempfile.mkdtemp(prefix="rvt-expect-")
    src, obj = os.path.join(tmp, "e.s"), os.path.join(tmp, "e.o")
    with open(src, "w") as f:
        f.write("".join(asm) or "\n")
    run(AS, "-march=" + march, "-mabi=" + ("lp64d" if eo.klass == 64 else "ilp32"), "-o", obj, src)
    ee = Elf(obj)

    def strip(ins, base):
        return [(a - base, n, hx, mn, ops) for a, n, hx, mn, ops in ins]

    osec_by_name = {s["name"]: s for s in en.sections}
    isec_by_name = {s["name"]: s for s in eo.sections}
    changed = {}  # section -> list of (start, end) allowed to differ
    for s, i in plan:
        where = "%s@%#x" % (s["section"], s["address"])
        sec_o, sec_n = isec_by_name[s["section"]], osec_by_name.get(s["section"])
        if sec_n is None:
            errs.append("%s: section missing in output" % where)
            continue
        off = s["offset"]
        if i is None:
            if en.bytes_at(sec_n, off, s["room"]) != eo.bytes_at(sec_o, off, s["room"]):
                errs.append("%s: room %d too small but the bytes changed" % (where, s["room"]))
            continue
        p, segs = rewritten[i]
        changed.setdefault(s["section"], []).append((off, off + s["room"]))
        esec = ee.section_named(".r%d" % i)[0]
        for kind, a, b in segs:
            if kind == "lit":
                want = (dest or 0).to_bytes(b - a, "little")
                have = en.bytes_at(sec_n, off + a, b - a)
                if have != want:
                    errs.append("%s: literal at +%d is %s, expected %s" % (where, a, have.hex(), want.hex()))
                if (s["address"] + a) % (b - a):
                    errs.append("%s: literal at %#x not naturally aligned" % (where, s["address"] + a))
                continue
            got = strip(disasm(out, s["section"], s["address"] + a, s["address"] + b), s["address"])
            want = strip(disasm(obj, esec["name"], a, b), 0)
            if got != want:
                errs.append("%s: bytes [%d,%d) disassemble as\n    %s\n  expected (as)\n    %s" % (
                    where, a, b, "\n    ".join("%s %s %s" % x[2:] for x in got),
                    "\n    ".join("%s %s %s" % x[2:] for x in want)))
    # nothing else in the code changed
    for sec_o in eo.sections:
        if "X" not in sec_o["flags"] or sec_o["type"] == "NOBITS":
            continue
        sec_n = osec_by_name.get(sec_o["name"])
        if sec_n is None or sec_n["size"] != sec_o["size"]:
            errs.append("section %s size changed or missing" % sec_o["name"])
            continue
        a = eo.bytes_at(sec_o, 0, sec_o["size"])
        b = en.bytes_at(sec_n, 0, sec_n["size"])
        allowed = changed.get(sec_o["name"], [])
        for k in range(len(a)):
            if a[k] != b[k] and not any(lo <= k < hi for lo, hi in allowed):
                errs.append("%s+%#x changed outside any rewritten site" % (sec_o["name"], k))
                break
        if allowed and eo.type == "REL" and sec_n["align"] < 8:
            errs.append("%s: sh_addralign %d < 8 with rewritten sites" % (sec_o["name"], sec_n["align"]))
    # table entries moved to P
    moved = {}
    for s, i in plan:
        if i is not None:
            moved[(s["section"], s["offset"])] = rewritten[i][0] - s["address"]
    if eo.type == "REL":
        ro, rn = reloc_entries(eo), reloc_entries(en)
        if len(ro) != len(rn):
            errs.append("table relocations: %d before, %d after" % (len(ro), len(rn)))
        for (so, oo, rso, io, eo_, _src), (sn, on, rsn, in_, en_, _s2) in zip(ro, rn):
            d = moved.get((so["name"], oo), 0)
            what = "%s[%d] (%s+%#x)" % (rso["name"], io, so["name"], oo)
            if en_["type"] != eo_["type"] or en_["offset"] != eo_["offset"] or en_["symname"] != eo_["symname"]:
                errs.append("%s: relocation changed beyond its addend: %r -> %r" % (what, eo_, en_))
            if en_["addend"] != eo_["addend"] + d or on != oo + d:
                errs.append("%s: addend %d (-> %s+%#x), expected %d (P = S%+d)" % (
                    what, en_["addend"], sn["name"], on, eo_["addend"] + d, d))
    else:
        to, tn = table_entries(eo), table_entries(en)
        if len(to) != len(tn):
            errs.append("table: %d entries before, %d after" % (len(to), len(tn)))
        want = []
        for vo, so, _o, _s in to:
            sec = eo.exec_section_of(vo)
            want.append(vo + (moved.get((sec["name"], vo - sec["addr"]), 0) if sec else 0))
        # A vmlinux (ET_EXEC) __mcount_loc leaves rewrite in ascending order
        # (what HAVE_BUILDTIME_MCOUNT_SORT lets the kernel assume): each
        # table's moved entries, sorted, slot by slot.
        if eo.type == "EXEC":
            groups = {}
            for k, (_v, so, _o, src) in enumerate(to):
                if src == "mcount_loc":
                    groups.setdefault(so["name"], []).append(k)
            for slots in groups.values():
                for k, v in zip(slots, sorted(want[k] for k in slots)):
                    want[k] = v
        for k, ((vn, _sn, _on, _s2), w) in enumerate(zip(tn, want)):
            if vn != w:
                errs.append("table[%d]: %#x, expected %#x" % (k, vn, w))
    return errs, len(rewritten), len(plan) - len(rewritten)


# ---------------------------------------------------------------- misc checks

def check_align(path, mods):
    _elf, exp = expected_sites(path)
    have = sorted({s["align"] for s in exp})
    want = sorted(int(m) for m in mods)
    if have != want:
        return ["%s: site alignments mod 8 are %s, want %s" % (path, have, want)]
    return []


def check_mcount_loc(orig, out):
    eo, en = Elf(orig), Elf(out)
    calls = {(s["name"], off) for s, off in mcount_calls(eo)}
    got = set()
    for sec, off, _rs, _i, e, src in reloc_entries(en):
        if src == "mcount_loc":
            if e["type"] != "R_RISCV_64" and e["type"] != "R_RISCV_32":
                return ["__mcount_loc relocation of type %s" % e["type"]]
            got.add((sec["name"], off))
    errs = []
    if not en.section_named("__mcount_loc"):
        errs.append("no __mcount_loc section in output")
    if got != calls:
        errs.append("__mcount_loc entries %s != _mcount call sites %s" % (sorted(got), sorted(calls)))
    return errs


def check_table(path):
    """Every table entry of FILE (linked image: __mcount_loc contents; ET_REL:
    relocation targets) points at a well-formed layout in either state:
    the code around the literal disassembles as the layout assembled here
    for P mod 8, and the literal is naturally aligned."""
    elf = Elf(path)
    errs = []
    march = {(64, True): "rv64gc", (64, False): "rv64g"}.get((elf.klass, elf.rvc), "rv64gc")
    if elf.type == "REL":
        ents = [(sec, off) for sec, off, _rs, _i, _e, _src in reloc_entries(elf)]
    else:
        ents = []
        for val, _s, _o, _src in table_entries(elf):
            sec = elf.exec_section_of(val)
            if sec is None:
                errs.append("entry %#x in no executable section" % val)
                continue
            ents.append((sec, val - sec["addr"]))
    if not ents:
        errs.append("no table entries")
    # expected code for both layouts, both states (literal 0: only code is compared)
    tmp = tempfile.mkdtemp(prefix="rvt-table-")
    src, obj = os.path.join(tmp, "t.s"), os.path.join(tmp, "t.o")
    variants = []
    text = ""
    # what the kernel accepts: with RVC a c.j or a j disabled toggle, else j
    forms = ("c.j", "j") if elf.rvc else ("j",)
    for pm in (0, 4):
        for state, form in [("disabled", f) for f in forms] + [("enabled", "j")]:
            _p, t, segs = layout_asm(dict(address=pm, room=24), True, state, 0, 64, form)
            text += '.section .v%d, "ax"\n' % len(variants) + t
            variants.append((pm, state, segs))
    with open(src, "w") as f:
        f.write(text)
    run(AS, "-march=" + march, "-o", obj, src)
    want = {}
    for k, (pm, state, segs) in enumerate(variants):
        want.setdefault(pm, []).append((state, [
            [(a, n, hx, mn, ops) for a, n, hx, mn, ops in disasm(obj, ".v%d" % k, sa, sb)]
            for kind, sa, sb in segs if kind == "code"]))
    for sec, off in ents:
        p = sec["addr"] + off
        where = "%s@%#x" % (sec["name"], p)
        if p % 4:
            errs.append("%s: entry not 4-aligned" % where)
            continue
        segs = next(v[2] for v in variants if v[0] == p % 8)
        got = [[(a - p, n, hx, mn, ops) for a, n, hx, mn, ops in disasm(path, sec["name"], p + sa, p + sb)]
               for kind, sa, sb in segs if kind == "code"]
        ok = False
        for state, w in want[p % 8]:
            if got == w:
                ok = True
        if not ok:
            errs.append("%s: not a well-formed layout for P mod 8 = %d: %s" % (
                where, p % 8, "; ".join("%s %s" % (x[3], x[4]) for g in got for x in g)))
    return errs


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "expect":
        _elf, exp = expected_sites(args[0])
        print(json.dumps(exp, indent=1, default=str))
        return 0
    if cmd == "compare-sites":
        errs = compare_sites(args[0], args[1], args[2] if len(args) > 2 else "orig")
    elif cmd == "check-align":
        errs = check_align(args[0], args[1:])
    elif cmd == "check-rewrite":
        state, dest, form = "disabled", None, None
        rest = args[2:]
        while rest:
            if rest[0] == "--state":
                state = rest[1]
            elif rest[0] == "--toggle":
                form = rest[1]
            elif rest[0] == "--dest":
                dest = None if rest[1] == "none" else int(rest[1], 0)
            rest = rest[2:]
        errs, n_rw, n_skip = check_rewrite(args[0], args[1], state, dest, form)
        if not errs:
            print("%s: %d sites rewritten as assembled, %d left intact" % (args[1], n_rw, n_skip))
    elif cmd == "check-mcount-loc":
        errs = check_mcount_loc(args[0], args[1])
    elif cmd == "check-table":
        errs = check_table(args[0])
    else:
        print("unknown command " + cmd)
        return 2
    for e in errs[:40]:
        print("FAIL " + e)
    if len(errs) > 40:
        print("FAIL ... %d more" % (len(errs) - 40))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
