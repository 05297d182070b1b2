#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A relocatable kernel's literal relocations (issue 22): vmlinux13_pie_rela
# is linked like riscv's CONFIG_RELOCATABLE vmlinux with .rela.dyn ending in
# one reserved zero entry per __mcount_loc entry (vmlinux_pie_rela.lds, the
# kernel's expression). rewrite writes ftrace_caller's link address into
# every literal and fills one reserved entry per literal with an
# R_RISCV_RELATIVE naming it (readelf -r, decoded bytes); verify counts them
# and fails when one is zeroed; too few reserved entries is exit 2 with
# nothing written; none reserved, or --dest 0, keeps literal 0.
. "$(dirname "$0")/common.sh"
need_cross; need_rvtramp; need_fixtures; need_cmd rewrite
IN="$FIXTURES/vmlinux13_pie_rela"
[ -e "$IN" ] || skip "fixture vmlinux13_pie_rela not built"

# .rela.dyn as "index type r_offset r_addend" lines, in table order.
rela_dyn() {
	"${CROSS}readelf" -rW "$1" | awk '
		/^Relocation section/ { on = index($0, "'"'"'.rela.dyn'"'"'") > 0; i = 0; next }
		on && $1 ~ /^[0-9a-f]+$/ && NF >= 3 { print i++, $3, $1, (NF >= 4 ? $NF : 0) }'
}
FC=$(sym "$IN" ftrace_caller)
[ -n "$FC" ] || fail "no ftrace_caller in the fixture"
"$RVTRAMP" sites "$IN" --format json > "$T/sites.json" || fail "sites exited $?"
rela_dyn "$IN" > "$T/before"
"$RVTRAMP" rewrite "$IN" -o "$T/out" > "$T/log" || fail "rewrite exited $?: $(cat "$T/log")"
rela_dyn "$T/out" > "$T/after"

# Every literal (P + 8 for A8, P + 12 for A4) holds ftrace_caller; the
# reserved entries, in site order from the first, are one RELATIVE per
# literal with that addend; the rest stay R_RISCV_NONE zeros.
python3 - "$T/out" "$T/sites.json" "$T/before" "$T/after" "$FC" <<'PY' || fail "literals and relocations"
import json, struct, subprocess, sys
out, sites, fc = sys.argv[1], json.load(open(sys.argv[2]))["sites"], int(sys.argv[5], 16)
segs = []
for l in subprocess.run(["riscv64-linux-gnu-readelf", "-lW", out], capture_output=True,
                        text=True, check=True).stdout.splitlines():
    f = l.split()
    if f and f[0] == "LOAD":
        segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
data = open(out, "rb").read()
def at(va):
    for off, vaddr, filesz in segs:
        if vaddr <= va < vaddr + filesz:
            return off + va - vaddr
    raise SystemExit(f"{va:#x} not in a segment")
lits = []
for s in sites:
    p = s["address"] + (2 if s["address"] % 4 else 0)
    lit = p + (12 if p % 8 else 8)
    v = struct.unpack_from("<Q", data, at(lit))[0]
    assert v == fc, f"literal of {s['name']} at {lit:#x} is {v:#x}, want ftrace_caller {fc:#x}"
    lits.append(lit)
rows = lambda f: [l.split() for l in open(f)]
before, after = rows(sys.argv[3]), rows(sys.argv[4])
assert len(before) == len(after), "entry count changed"
reserved = [int(r[0]) for r in before if r[1] == "R_RISCV_NONE"]
assert len(reserved) == len(sites), f"{len(reserved)} reserved entries, {len(sites)} sites"
first = reserved[0]
assert reserved == list(range(first, len(before))), "reserved entries are not the tail"
new = after[first:first + len(lits)]
assert all(r[1] == "R_RISCV_RELATIVE" for r in new), "a filled entry is not RELATIVE"
assert [int(r[2], 16) for r in new] == sorted(lits), "r_offsets are not the literals in order"
assert set(int(r[2], 16) for r in new) == set(lits)
assert all(int(r[3], 16) % 2**64 == fc for r in new), "an addend is not ftrace_caller"
assert all(r[1] == "R_RISCV_NONE" for r in after[first + len(lits):]), "unused entries changed"
for b, a in zip(before[:first], after[:first]):
    assert b[1:3] == a[1:3], f"link relocation {b} became {a}"
print(f"ok: {len(lits)} literals hold {fc:#x}, {len(new)} RELATIVE entries name them")
PY
n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['sites']))" "$T/sites.json")
"${CROSS}readelf" -dW "$IN" > "$T/dyn.before"
"${CROSS}readelf" -dW "$T/out" > "$T/dyn.after"
cmp -s "$T/dyn.before" "$T/dyn.after" || fail ".dynamic changed"
grep -q RELACOUNT "$T/dyn.before" && fail "GNU ld set DT_RELACOUNT: check it still holds"
"$RVTRAMP" verify "$T/out" > "$T/v" || fail "verify exited $?: $(cat "$T/v")"
grep -q ", $n literals relocated, .*: ok$" "$T/v" || fail "verify line: $(cat "$T/v")"
"$RVTRAMP" verify "$T/out" --against "$IN" > "$T/va" || fail "verify --against exited $?"
grep -q ", each the original's, $n literals relocated, .*: ok$" "$T/va" || fail "verify --against line: $(cat "$T/va")"
"$RVTRAMP" report "$T/out" > "$T/report" || fail "report exited $?"
grep -q "literal relocations: .* $n literals relocated" "$T/report" || fail "report: $(grep literal "$T/report")"
"$RVTRAMP" report "$IN" --format json | python3 -c "
import json, sys
p = json.load(sys.stdin)['plan']
assert p['literal_relocations'] == $n and p['rela_dyn_free_entries'] == $n, p
assert p['dest_origin'].startswith('ftrace_caller, relocated'), p['dest_origin']" ||
	fail "report JSON of the input"
ok "vmlinux13_pie_rela: $n literals hold ftrace_caller, each with its R_RISCV_RELATIVE"

# One relocation zeroed: verify names the site whose literal lost it.
python3 - "$T/out" "$T/zeroed" "$n" <<'PY' || fail "cannot patch"
import subprocess, sys
out, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for l in subprocess.run(["riscv64-linux-gnu-readelf", "-SW", out], capture_output=True,
                        text=True, check=True).stdout.splitlines():
    f = l.replace("[ ", "[").split()
    if len(f) > 5 and f[1] == ".rela.dyn":
        off, size = int(f[4], 16), int(f[5], 16)
data = bytearray(open(out, "rb").read())
# The filled entries are the last n: zero the third of them.
k = off + size - (n - 2) * 24
data[k:k + 24] = bytes(24)
open(dst, "wb").write(data)
PY
rc=0
"$RVTRAMP" verify "$T/zeroed" > "$T/vz" 2> "$T/vz.err" || rc=$?
[ "$rc" = 1 ] || fail "verify of a zeroed relocation exited $rc, want 1"
grep -q "^rvtramp: verify: .*: 0x[0-9a-f]* [a-z_0-9]*+0x[0-9a-f]*: literal at 0x[0-9a-f]* (0x[0-9a-f]*) has no R_RISCV_RELATIVE in .rela.dyn" "$T/vz.err" ||
	fail "no failure naming the site: $(cat "$T/vz.err")"
grep -q "FAILED$" "$T/vz" || fail "summary: $(cat "$T/vz")"
ok "a zeroed relocation fails verify: $(head -1 "$T/vz.err" | sed 's/.*: \(0x[0-9a-f]* [^:]*\):.*/\1/')"

# --dest 0: literal 0 and no relocation.
"$RVTRAMP" rewrite "$IN" -o "$T/d0" --dest 0 -q || fail "rewrite --dest 0 exited $?"
rela_dyn "$T/d0" | awk '$2 != "R_RISCV_NONE"' | wc -l > "$T/d0.n"
awk '$2 != "R_RISCV_NONE"' "$T/before" | wc -l > "$T/in.n"
cmp -s "$T/d0.n" "$T/in.n" || fail "--dest 0 added relocations"
"$RVTRAMP" verify "$T/d0" > "$T/vd0" || fail "verify --dest 0 exited $?"
grep -q "literals relocated" "$T/vd0" && fail "--dest 0: $(cat "$T/vd0")"
ok "--dest 0: literal 0, no relocation added"

# No reserved entries (vmlinux13_pie, same objects): literal 0 as before.
if [ -e "$FIXTURES/vmlinux13_pie" ]; then
	"$RVTRAMP" rewrite "$FIXTURES/vmlinux13_pie" -o "$T/np" -q || fail "rewrite vmlinux13_pie exited $?"
	"$RVTRAMP" report "$FIXTURES/vmlinux13_pie" | grep -q "destination literal: 0x0 (0 (position-independent: .*reserves no zero entries" ||
		fail "vmlinux13_pie: $("$RVTRAMP" report "$FIXTURES/vmlinux13_pie" | grep 'destination literal')"
	"$RVTRAMP" verify "$T/np" | grep -q "literals relocated" && fail "vmlinux13_pie has relocated literals"
	ok "no reserved entries: literal 0"
fi

# Too few reserved entries: the same link reserving 5. Exit 2, one error
# line, no output, and with --in-place the input unchanged.
P="$FIXTURES/parts"
if [ -e "$P/head.o" ] && [ -e "$P/k13_a.o" ] && [ -e "$P/k13_b.o" ]; then
	sed 's/(__stop_mcount_loc - __start_mcount_loc) \* 3/24 * 5/' \
		"$HERE/../../fixtures/src/vmlinux_pie_rela.lds" > "$T/small.lds"
	grep -q '24 \* 5' "$T/small.lds" || fail "the reservation expression was not found in vmlinux_pie_rela.lds"
	"${CROSS}ld" --defsym KERNEL_BASE=0xffffffff80000000 -shared -Bsymbolic -z notext --emit-relocs \
		--no-warn-rwx-segments -T "$T/small.lds" "$P/head.o" "$P/k13_a.o" "$P/k13_b.o" -o "$T/small" ||
		fail "cannot link the small reservation"
	cp "$T/small" "$T/small.orig"
	for how in "-o $T/small.out" "--in-place"; do
		rc=0
		"$RVTRAMP" rewrite "$T/small" $how 2> "$T/err" > /dev/null || rc=$?
		[ "$rc" = 2 ] || fail "too few entries ($how) exited $rc, want 2"
		grep -qx "rvtramp: error: $T/small: .rela.dyn has 5 free entries for $n literals" "$T/err" ||
			fail "error line: $(cat "$T/err")"
		cmp -s "$T/small" "$T/small.orig" || fail "the input changed ($how)"
	done
	[ ! -e "$T/small.out" ] || fail "too few entries wrote an output"
	[ -z "$(ls -A "$T" | grep '\.rvtramp-')" ] || fail "a temporary was left behind"
	ok "5 reserved entries for $n literals: exit 2, nothing written"
else
	echo "skipped: too few entries (no fixture objects in $P)"
fi
# ld.lld links the same script (its .dynamic counts only its own entries;
# the kernel reads the section): the same rewrite, verified.
L="$FIXTURES/llvm"
if command -v ld.lld-19 >/dev/null && [ -e "$L/head.o" ] && [ -e "$L/k13_a.o" ] && [ -e "$L/k13_b.o" ]; then
	ld.lld-19 --defsym KERNEL_BASE=0xffffffff80000000 -shared -Bsymbolic -z notext --emit-relocs \
		-T "$HERE/../../fixtures/src/vmlinux_pie_rela.lds" "$L/head.o" "$L/k13_a.o" "$L/k13_b.o" \
		-o "$T/lld" || fail "ld.lld cannot link vmlinux_pie_rela.lds"
	"$RVTRAMP" rewrite "$T/lld" -o "$T/lld.rv" -q || fail "rewrite of the ld.lld link exited $?"
	"$RVTRAMP" verify "$T/lld.rv" --against "$T/lld" > "$T/vl" || fail "verify of the ld.lld link: $(cat "$T/vl")"
	grep -q ", $n literals relocated, .*: ok$" "$T/vl" && ok "ld.lld: $n literals relocated" ||
		fail "ld.lld: $(cat "$T/vl")"
else
	echo "skipped: ld.lld (ld.lld-19 or the LLVM fixture objects missing)"
fi
finish
