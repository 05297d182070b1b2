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
if command -v "$QEMU" >/dev/null; then
	"$QEMU" -L /usr/riscv64-linux-gnu "$T/pie" a b; want=$?
	"$QEMU" -L /usr/riscv64-linux-gnu "$T/pie.rv" a b; got=$?
	[ "$got" = "$want" ] && ok "rewritten PIE exits $got like the original" || fail "PIE exit $got, original $want"
fi
finish
