#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ET_DYN: a position-independent executable whose __patchable_function_entries
# words are R_RISCV_RELATIVE relocations. After the rewrite each RELATIVE
# addend names P (S, or S+2 for 2-aligned sites), every other relocation is
# unchanged, verify --against passes and the program still runs the same.
. "$(dirname "$0")/common.sh"
need_cross; need_rvtramp; need_cmd rewrite
command -v "${CROSS}gcc" >/dev/null || skip "${CROSS}gcc not found"

cat > "$T/pie.c" <<'C'
int g1(int x) { return x + 1; }
int g2(int x) { return g1(x) * 2; }
int g3(int x) { return g2(x) - 3; }
int g4(int x) { return g3(x) ^ 5; }
int main(int argc, char **argv) { (void)argv; return g4(argc) & 0x7f; }
C
"${CROSS}gcc" -O1 -fPIE -pie -fpatchable-function-entry=13 "$T/pie.c" -o "$T/pie" || skip "cannot link a PIE"
"${CROSS}readelf" -h "$T/pie" | grep -q "DYN" || fail "fixture is not ET_DYN"

# RELATIVE addends pointing into .text, from readelf, before and after.
relatives() {
	"${CROSS}readelf" -rW "$1" | awk '$3 == "R_RISCV_RELATIVE" { print $1, $4 }'
}
relatives "$T/pie" > "$T/before"
"$RVTRAMP" sites "$T/pie" --format json > "$T/sites.json" || fail "sites exited $?"
"$RVTRAMP" rewrite "$T/pie" -o "$T/pie.rv" > "$T/out" || fail "rewrite exited $?"
relatives "$T/pie.rv" > "$T/after"
python3 - "$T/sites.json" "$T/before" "$T/after" <<'PY' || fail "RELATIVE addends"
import json, sys
sites = json.load(open(sys.argv[1]))["sites"]
want = {s["address"]: s["address"] + (2 if s["address"] % 4 else 0) for s in sites}
before = [l.split() for l in open(sys.argv[2])]
after = [l.split() for l in open(sys.argv[3])]
assert len(sites) >= 5, f"only {len(sites)} sites"
assert len(before) == len(after), "relocation count changed"
moved = 0
for (o1, a1), (o2, a2) in zip(before, after):
    assert o1 == o2, "relocation offsets changed"
    a1, a2 = int(a1, 16), int(a2, 16)
    if a1 in want:
        assert a2 == want[a1], f"addend {a1:#x} -> {a2:#x}, want {want[a1]:#x}"
        moved += a2 != a1
    else:
        assert a1 == a2, f"unrelated addend {a1:#x} changed"
fixups = sum(1 for s in sites if s["address"] % 4)
assert moved == fixups, f"{moved} addends moved, {fixups} fixups"
print(f"ok: {len(sites)} sites, {moved} RELATIVE addends moved to P")
PY
"$RVTRAMP" verify "$T/pie.rv" --against "$T/pie" >/dev/null || fail "verify --against exited $?"

# The literal of an image that moves at load time is 0 unless an address is
# given: a symbol's link address would be wrong once it moves (KASLR).
"$RVTRAMP" report "$T/pie.rv" > "$T/report" || fail "report exited $?"
grep -q 'destination literal: 0x0 (0 (position-independent' "$T/report" ||
	fail "report does not say the literal is 0 for ET_DYN: $(grep literal "$T/report")"
python3 - "$T/pie.rv" "$T/sites.json" <<'PY' || fail "literals of the PIE are not 0"
import json, struct, subprocess, sys
sites = json.load(open(sys.argv[2]))["sites"]
segs = []
for l in subprocess.run(["riscv64-linux-gnu-readelf", "-lW", sys.argv[1]], capture_output=True,
                        text=True, check=True).stdout.splitlines():
    f = l.split()
    if f and f[0] == "LOAD":
        segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
data = open(sys.argv[1], "rb").read()
def at(va):
    for off, vaddr, filesz in segs:
        if vaddr <= va < vaddr + filesz:
            return off + va - vaddr
    raise SystemExit(f"{va:#x} not in a segment")
for s in sites:
    p = s["address"] + (2 if s["address"] % 4 else 0)
    lit = p + (12 if p % 8 else 8)
    v = struct.unpack_from("<Q", data, at(lit))[0]
    assert v == 0, f"literal of site {s['address']:#x} is {v:#x}"
print(f"ok: {len(sites)} literals are 0")
PY
rc=0
"$RVTRAMP" rewrite "$T/pie" -o "$T/pie.sym" --dest main 2> "$T/err" || rc=$?
[ "$rc" = 2 ] || fail "--dest SYMBOL on ET_DYN exited $rc, want 2"
grep -q "^rvtramp: error: .*position-independent" "$T/err" || fail "no error line: $(cat "$T/err")"
[ ! -e "$T/pie.sym" ] || fail "--dest SYMBOL on ET_DYN wrote an output"
ok "ET_DYN: literal 0 by default, --dest SYMBOL refused"

# A linked image that kept its relocations (--emit-relocs, as a relocatable
# riscv vmlinux does) carries R_RISCV_RELAX records, but nothing relaxes any
# more after the link: every site is rewritten.
"${CROSS}gcc" -O1 -fPIE -pie -fpatchable-function-entry=13 -Wl,--emit-relocs "$T/pie.c" \
	-o "$T/pie.er" || fail "cannot link with --emit-relocs"
"${CROSS}readelf" -rW "$T/pie.er" | grep -q R_RISCV_RELAX || fail "--emit-relocs kept no R_RISCV_RELAX"
"$RVTRAMP" rewrite "$T/pie.er" -o "$T/pie.er.rv" --strict > "$T/out.er" ||
	fail "rewrite --strict of an --emit-relocs image exited $?: $(cat "$T/out.er")"
grep -q ' 0 skipped' "$T/out.er" || fail "sites skipped: $(cat "$T/out.er")"
"$RVTRAMP" verify "$T/pie.er.rv" --against "$T/pie.er" >/dev/null || fail "verify of the --emit-relocs image failed"
ok "ET_DYN with --emit-relocs: R_RISCV_RELAX records do not block the rewrite"
if command -v "$QEMU" >/dev/null; then
	"$QEMU" -L /usr/riscv64-linux-gnu "$T/pie" a b; want=$?
	"$QEMU" -L /usr/riscv64-linux-gnu "$T/pie.rv" a b; got=$?
	[ "$got" = "$want" ] && ok "rewritten PIE exits $got like the original" || fail "PIE exit $got, original $want"
fi
finish
