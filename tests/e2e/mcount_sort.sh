#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A vmlinux (ET_EXEC) __mcount_loc leaves rewrite in ascending order, with
# the original's entries (each S, or S+2 where the site got a fixup), as
# HAVE_BUILDTIME_MCOUNT_SORT lets the kernel assume:
#  - an unsorted table (bench/gen.py, like riscv's without build-time sort)
#    comes out sorted, and the entries are the original's mapped S -> P;
#  - a sorted one (the fixture vmlinux13) keeps its order through the +2
#    moves, and its table is the original's mapped S -> P slot by slot;
#  - a second rewrite is byte-identical;
#  - verify fails (exit 1) on a rewritten image with two entries swapped,
#    and verify --against on one with an entry doubled (another lost).
#  - a relocatable image (vmlinux13_pie: ET_DYN, entries in R_RISCV_RELATIVE
#    addends, words 0, --emit-relocs records in .rela__mcount_loc) with its
#    entries shuffled comes out sorted: the addends are the input's mapped
#    S -> P, the words stay 0 and the --emit-relocs records as they were;
#    verify --against says "each the original's"; a zeroed table fails
#    verify (exit 1), with and without --against.
# The table is read with nm/readelf (mcount_table.py), not with rvtramp.
. "$(dirname "$0")/common.sh"
need_rvtramp
need_fixtures
need_cross
tab() { python3 "$HERE/mcount_table.py" "$@"; }
export LC_ALL=C # sort -c compares the equally long hex entries bytewise

python3 "$HERE/../../bench/gen.py" 400 "$T/unsorted" >/dev/null 2>&1 || { fail "bench/gen.py"; finish; }
tab "$T/unsorted" >"$T/in.txt"
sort -c "$T/in.txt" 2>/dev/null && fail "generated table is already sorted: the test proves nothing"
"$RVTRAMP" rewrite "$T/unsorted" -o "$T/unsorted.rv" -q || fail "rewrite exit $?"
tab "$T/unsorted.rv" >"$T/out.txt"
# ascending as numbers (the entries are equally long hex strings)
if sort -c "$T/out.txt" 2>"$T/sort.err"; then ok "unsorted input: $(wc -l <"$T/out.txt") entries ascending after rewrite"
else fail "rewritten table not ascending: $(cat "$T/sort.err")"; fi
# Same entries: every output entry is an input entry, or one moved by 2.
python3 - "$T/in.txt" "$T/out.txt" <<'PY' || fail "entries are not the input's moved by 0 or +2"
import sys
inp = sorted(int(l, 16) for l in open(sys.argv[1]))
out = [int(l, 16) for l in open(sys.argv[2])]
s = set(inp)
mapped = sorted(v if v in s else v - 2 for v in out)
moved = sum(1 for v in out if v not in s)
assert mapped == inp, "multiset differs"
assert moved > 0, "no +2 move: the fixups were not exercised"
print("ok: same %d entries, %d moved by +2" % (len(inp), moved))
PY
"$RVTRAMP" verify "$T/unsorted.rv" --against "$T/unsorted" -q || fail "verify --against of the sorted output exit $?"
# Sorting once is enough: a second rewrite changes nothing.
"$RVTRAMP" rewrite "$T/unsorted.rv" -o "$T/again.rv" -q || fail "second rewrite exit $?"
cmp -s "$T/unsorted.rv" "$T/again.rv" && ok "second rewrite byte-identical" || fail "second rewrite changed the file"

# A sorted table: order kept slot by slot through the moves.
tab "$FIXTURES/vmlinux13" >"$T/in13.txt"
sort -c "$T/in13.txt" || fail "fixture vmlinux13 table not sorted"
"$RVTRAMP" rewrite "$FIXTURES/vmlinux13" -o "$T/v13.rv" -q || fail "rewrite vmlinux13 exit $?"
tab "$T/v13.rv" >"$T/out13.txt"
python3 - "$T/in13.txt" "$T/out13.txt" <<'PY' || fail "vmlinux13: slots are not the input's moved by 0 or +2"
import sys
a = [int(l, 16) for l in open(sys.argv[1])]
b = [int(l, 16) for l in open(sys.argv[2])]
assert len(a) == len(b) and all(y - x in (0, 2) for x, y in zip(a, b)), "slot moved otherwise"
assert b == sorted(b), "order broken"
print("ok: vmlinux13: %d slots, each kept or +2, ascending" % len(b))
PY

# Broken order: verify must say so.
cp "$T/unsorted.rv" "$T/swapped"
tab "$T/swapped" --swap 3 200
"$RVTRAMP" verify "$T/swapped" >"$T/v.out" 2>"$T/v.err"
rc=$?
[ "$rc" = 1 ] && grep -q 'not in ascending order' "$T/v.err" && ok "verify: swapped entries -> exit 1: $(head -1 "$T/v.err")" ||
	fail "verify of swapped entries: exit $rc, $(cat "$T/v.err")"
# Incomplete: entry 5 doubled over entry 6 (still sorted if 5 < 6 and 6 is
# then equal): verify --against must see the entries are not the original's.
cp "$T/unsorted.rv" "$T/doubled"
tab "$T/doubled" --copy 5 6
"$RVTRAMP" verify "$T/doubled" --against "$T/unsorted" >"$T/d.out" 2>"$T/d.err"
rc=$?
[ "$rc" = 1 ] && grep -q "entries are not the original's" "$T/d.err" && ok "verify --against: doubled entry -> exit 1" ||
	fail "verify --against of a doubled entry: exit $rc, $(cat "$T/d.err")"
# Relocatable (ET_DYN): the entries are RELATIVE addends.
pie="$FIXTURES/vmlinux13_pie"
if [ -e "$pie" ]; then
	cp "$pie" "$T/pie"
	tab "$T/pie" --shuffle 7
	tab "$T/pie" >"$T/pin.txt"
	sort -c "$T/pin.txt" 2>/dev/null && fail "shuffled relocatable table is sorted: the test proves nothing"
	"${CROSS}readelf" -rW "$T/pie" | sed -n "/'.rela__mcount_loc'/,/^$/p" >"$T/static.before"
	[ -s "$T/static.before" ] || fail "vmlinux13_pie has no --emit-relocs .rela__mcount_loc"
	"$RVTRAMP" rewrite "$T/pie" -o "$T/pie.rv" >"$T/pie.out" || fail "rewrite of the relocatable image exit $?"
	grep -q "__mcount_loc sorted: $(wc -l <"$T/pin.txt") entries" "$T/pie.out" ||
		fail "rewrite does not say it sorted: $(cat "$T/pie.out")"
	tab "$T/pie.rv" >"$T/pout.txt"
	sort -c "$T/pout.txt" 2>"$T/sort.err" && ok "relocatable: $(wc -l <"$T/pout.txt") RELATIVE addends ascending after rewrite" ||
		fail "relocatable: addends not ascending: $(cat "$T/sort.err")"
	python3 - "$T/pin.txt" "$T/pout.txt" <<'PY' || fail "relocatable: entries are not the input's moved by 0 or +2"
import sys
inp = sorted(int(l, 16) for l in open(sys.argv[1]))
out = [int(l, 16) for l in open(sys.argv[2])]
s = set(inp)
assert 0 not in out, "an entry is 0"
mapped = sorted(v if v in s else v - 2 for v in out)
assert mapped == inp, "multiset differs"
moved = sum(1 for v in out if v not in s)
assert moved > 0, "no +2 move"
print("ok: relocatable: same %d entries, %d moved by +2" % (len(inp), moved))
PY
	python3 - "$HERE" "$T/pie.rv" <<'PY' || fail "relocatable: table words are not 0"
import sys
sys.path.insert(0, sys.argv[1])
from mcount_table import locate
start, n = locate(sys.argv[2])
b = open(sys.argv[2], "rb").read()[start:start + 8 * n]
assert b == bytes(8 * n), "a slot word is not 0"
print("ok: relocatable: the %d slot words are still 0 (the loader fills them)" % n)
PY
	"${CROSS}readelf" -rW "$T/pie.rv" | sed -n "/'.rela__mcount_loc'/,/^$/p" >"$T/static.after"
	cmp -s "$T/static.before" "$T/static.after" && ok "relocatable: --emit-relocs records unchanged" ||
		fail "relocatable: .rela__mcount_loc changed"
	out=$("$RVTRAMP" verify "$T/pie.rv" --against "$T/pie") && echo "$out" | grep -q "sorted, each the original's" &&
		ok "relocatable: $out" || fail "relocatable: verify --against: $out"
	"$RVTRAMP" rewrite "$T/pie.rv" -o "$T/pie.again" -q || fail "relocatable: second rewrite exit $?"
	cmp -s "$T/pie.rv" "$T/pie.again" && ok "relocatable: second rewrite byte-identical" ||
		fail "relocatable: second rewrite changed the file"
	cp "$T/pie.rv" "$T/pie.swapped"
	tab "$T/pie.swapped" --swap 2 40
	"$RVTRAMP" verify "$T/pie.swapped" >/dev/null 2>"$T/e"
	rc=$?
	[ "$rc" = 1 ] && grep -q 'not in ascending order' "$T/e" && ok "relocatable: swapped addends -> exit 1" ||
		fail "relocatable: verify of swapped addends: exit $rc, $(cat "$T/e")"
	cp "$T/pie.rv" "$T/pie.doubled"
	tab "$T/pie.doubled" --copy 5 6
	"$RVTRAMP" verify "$T/pie.doubled" --against "$T/pie" >/dev/null 2>"$T/e"
	rc=$?
	[ "$rc" = 1 ] && grep -q "entries are not the original's" "$T/e" && ok "relocatable: doubled entry -> exit 1" ||
		fail "relocatable: verify --against of a doubled entry: exit $rc, $(cat "$T/e")"
	# What upstream's first riscv build-time sort did: every entry 0.
	cp "$T/pie.rv" "$T/pie.zeroed"
	tab "$T/pie.zeroed" --zero 0 $(($(wc -l <"$T/pout.txt") - 1))
	for against in "" "--against $T/pie"; do
		"$RVTRAMP" verify "$T/pie.zeroed" $against >/dev/null 2>"$T/e"
		rc=$?
		[ "$rc" = 1 ] && ok "relocatable: zeroed table, verify $against -> exit 1: $(head -1 "$T/e" | cut -c1-160)" ||
			fail "relocatable: verify $against of a zeroed table: exit $rc, $(cat "$T/e")"
	done
else
	fail "fixture vmlinux13_pie not built"
fi
finish
