#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# What an LLVM=1 kernel build hands rvtramp (fixtures/CMakeLists.txt, llvm/):
# a clang object, an ld.lld ET_EXEC image, an ld.lld relocatable image whose
# .rela.dyn has sh_link 0 (no .dynsym, as in a relocatable kernel linked by
# ld.lld) and an ld.lld -r module. Each loads, every site is rewritten
# (--strict), the table entries are well-formed layouts (cross-checked with
# GNU objdump/as), verify --against passes, and in the relocatable image
# every R_RISCV_RELATIVE addend of the table names P while nothing else moves.
. "$(dirname "$0")/common.sh"
need_cross; need_fixtures; need_rvtramp; need_cmd rewrite; need_cmd verify
L=$FIXTURES/llvm
[ -e "$L/vmlinux13_pie" ] || skip "LLVM fixtures not built (clang-19/ld.lld-19 missing)"

# the precondition this test exists for
"${CROSS}readelf" -SW "$L/vmlinux13_pie" | sed -n 's/^ *\[ *[0-9]*\] //p' |
	awk '$1 == ".rela.dyn" { print $8 }' | grep -qx 0 ||
	fail "llvm/vmlinux13_pie: .rela.dyn sh_link is not 0: $("${CROSS}readelf" -SW "$L/vmlinux13_pie" | grep rela.dyn)"
"${CROSS}readelf" -rW "$L/vmlinux13_pie" | grep -q R_RISCV_RELATIVE ||
	fail "llvm/vmlinux13_pie has no R_RISCV_RELATIVE relocations"
ok "llvm/vmlinux13_pie: .rela.dyn has sh_link 0"

for f in pfe13_rvc.o vmlinux13 vmlinux13_pie mod13.ko; do
	"$RVTRAMP" sites "$L/$f" --format json >"$T/$f.json" 2>"$T/err" ||
		fail "sites llvm/$f exited $?: $(cat "$T/err")"
	n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["sites"]))' "$T/$f.json")
	[ "$n" -ge 33 ] || fail "llvm/$f: $n sites, want at least 33"
	"$RVTRAMP" rewrite --strict "$L/$f" -o "$T/$f.rv" >"$T/out" 2>"$T/err" ||
		fail "rewrite --strict llvm/$f exited $?: $(cat "$T/out" "$T/err")"
	grep -q " $n rewritten" "$T/out" || fail "llvm/$f: not all $n sites rewritten: $(cat "$T/out")"
	"$RVTRAMP" verify "$T/$f.rv" --against "$L/$f" >"$T/v" 2>&1 ||
		fail "verify --against llvm/$f: $(head -3 "$T/v")"
	ok "llvm/$f: $n sites rewritten, verify --against ok"
done

res=$(xcheck check-table "$T/vmlinux13.rv") || fail "llvm/vmlinux13: table:
$res"
ok "llvm/vmlinux13: every table entry is a well-formed layout"

# the relocatable image: ld.lld leaves the words of __mcount_loc 0 (the
# address is only in the R_RISCV_RELATIVE addend; GNU ld writes both), so
# the table is checked through the addends: each moves to P, nothing else
relatives() { "${CROSS}readelf" -rW "$1" | awk '$3 == "R_RISCV_RELATIVE" { print $1, $4 }'; }
relatives "$L/vmlinux13_pie" >"$T/before"
relatives "$T/vmlinux13_pie.rv" >"$T/after"
python3 - "$T/vmlinux13_pie.json" "$T/before" "$T/after" <<'PY' || fail "RELATIVE addends of llvm/vmlinux13_pie"
import json, sys
sites = json.load(open(sys.argv[1]))["sites"]
want = {s["address"]: s["address"] + (2 if s["address"] % 4 else 0) for s in sites}
before = [l.split() for l in open(sys.argv[2])]
after = [l.split() for l in open(sys.argv[3])]
assert len(before) == len(after), "relocation count changed"
moved = named = 0
for (o1, a1), (o2, a2) in zip(before, after):
    assert o1 == o2, "relocation offsets changed"
    # readelf prints addends signed
    a1, a2 = int(a1, 16) & (2**64 - 1), int(a2, 16) & (2**64 - 1)
    if a1 in want:
        named += 1
        assert a2 == want[a1], f"addend {a1:#x} -> {a2:#x}, want {want[a1]:#x}"
        moved += a2 != a1
    else:
        assert a1 == a2, f"unrelated addend {a1:#x} changed"
assert named == len(sites), f"{named} RELATIVE table entries, {len(sites)} sites"
fixups = sum(1 for s in sites if s["address"] % 4)
assert moved == fixups and fixups > 0, f"{moved} addends moved, {fixups} fixups"
print(f"ok: {len(sites)} table entries, {moved} RELATIVE addends moved to P")
PY

# ld.lld's compressed debug sections have sh_addralign 1 (GNU ld: 8); the
# kernel's DEBUG_INFO_COMPRESSED_ZLIB links vmlinux that way with LLVM
if command -v clang-19 >/dev/null && command -v ld.lld-19 >/dev/null; then
	S=$HERE/../../fixtures/src
	for p in a b; do
		clang-19 --target=riscv64-linux-gnu -march=rv64gc -mabi=lp64d -g -O2 -fno-pie \
			-mcmodel=medany -fpatchable-function-entry=13 -I"$S" -DPREFIX=${p}_ \
			-c "$S/sites.c" -o "$T/g$p.o" || fail "clang -g sites.c"
	done
	ld.lld-19 --defsym KERNEL_BASE=0xffffffff80000000 --compress-debug-sections=zlib \
		-T "$S/vmlinux.lds" "$L/head.o" "$T/ga.o" "$T/gb.o" -o "$T/gz" || fail "ld.lld --compress-debug-sections"
	"${CROSS}readelf" -SW "$T/gz" | grep -E ' \.debug_info ' | grep -q -E ' C +0 +0 +1$' ||
		fail "ld.lld did not write .debug_info compressed with sh_addralign 1: $("${CROSS}readelf" -SW "$T/gz" | grep debug_info)"
	"$RVTRAMP" rewrite --strict "$T/gz" -o "$T/gz.rv" >"$T/out" 2>&1 || fail "rewrite of the compressed-debug image: $(cat "$T/out")"
	"$RVTRAMP" verify "$T/gz.rv" --against "$T/gz" >/dev/null || fail "verify --against of the compressed-debug image"
	"${CROSS}readelf" -wi "$T/gz" >"$T/gz.dwarf" 2>&1
	"${CROSS}readelf" -wi "$T/gz.rv" >"$T/gz.rv.dwarf" 2>&1
	grep -q DW_TAG_subprogram "$T/gz.dwarf" || fail "no DWARF read from the compressed-debug image"
	# (the first lines name the file)
	sed 1,2d "$T/gz.dwarf" >"$T/a"
	sed 1,2d "$T/gz.rv.dwarf" >"$T/b"
	cmp -s "$T/a" "$T/b" || fail "the compressed debug info reads differently after the rewrite"
	ok "ld.lld --compress-debug-sections=zlib (sh_addralign 1): rewritten, debug info intact"
fi

# really malformed stays refused: a relocation against a symbol while the
# relocation section has no symbol table
python3 - "$L/vmlinux13_pie" "$T/badsym" <<'PY' || fail "could not build the bad-symbol input"
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
shoff, = struct.unpack_from("<Q", d, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3a)
def sh(i):
    return struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
stroff = sh(shstrndx)[4]
for i in range(shnum):
    h = sh(i)
    name = bytes(d[stroff + h[0]:]).split(b"\0")[0]
    if name == b".rela.dyn":
        info_off = h[4] + 8               # r_info of the first entry
        r_info, = struct.unpack_from("<Q", d, info_off)
        struct.pack_into("<Q", d, info_off, (5 << 32) | (r_info & 0xffffffff))
        open(sys.argv[2], "wb").write(d)
        sys.exit(0)
sys.exit(1)
PY
rc=0
"$RVTRAMP" sites "$T/badsym" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" = 2 ] || fail "relocation against symbol 5 without a symbol table: exit $rc, want 2"
grep -q "^rvtramp: error: .*symbol index 5 out of range" "$T/err" || fail "bad-symbol message: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" = 1 ] || fail "bad-symbol: more than one line: $(cat "$T/err")"
ok "a relocation naming a symbol without a symbol table is refused (exit 2, one line)"
finish
