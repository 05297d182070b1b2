#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# How rvtramp explains itself (issue 24), message shapes asserted exactly:
#  - rewrite of a stock-built image (vmlinux4, =4: 8 bytes a site) warns per
#    site in objtool's shape, counts the rest, and says why nothing was
#    rewritten and which -fpatchable-function-entry the layout needs;
#    --verbose lists every site; the summary counts changed bytes and names
#    a sorted __mcount_loc;
#  - verify --strict fails a never-rewritten file and passes a rewritten one;
#    a verify failure names address, symbol+0xOFF, found and expected
#    instructions; swapped arguments are named as such; an --against
#    difference names the address and symbol;
#  - sites has decision and reason columns (text and JSON).
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp
stock=$FIXTURES/vmlinux4
v13=$FIXTURES/vmlinux13
site_re='[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+'

# --- rewrite of a stock-built image
"$RVTRAMP" rewrite "$stock" -o "$T/stock.rv" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || fail "rewrite of vmlinux4: exit $rc"
n=$(grep -cE "^rvtramp: warning: $stock: $site_re: site not rewritten: room 8 < 2[46]\$" "$T/err")
[ "$n" = 20 ] && ok "rewrite vmlinux4: 20 per-site warnings in objtool's shape" ||
	fail "rewrite vmlinux4: $n per-site warnings, want 20: $(head -3 "$T/err")"
grep -qxE "rvtramp: warning: $stock: 66 of 66 sites not rewritten \(3[24] room 8 < 2[46], 3[24] room 8 < 2[46]\); 46 more not listed \(--verbose lists every site\)" "$T/err" ||
	fail "no count line: $(grep -v 'site not rewritten:' "$T/err")"
grep -qxF "rvtramp: warning: $stock: nothing rewritten: none of the 66 sites can be rewritten: they reserve 8 bytes of nops and the inline layout needs 26 (24 plus a c.nop to align a 2-aligned entry); build with -fpatchable-function-entry=13 (for Linux: CONFIG_RISCV_FTRACE_INLINE_TRAMPOLINE with the rvtramp series)" "$T/err" &&
	ok "nothing rewritten: the reason and -fpatchable-function-entry=13" || fail "no 'nothing rewritten' line: $(tail -1 "$T/err")"
[ "$(wc -l <"$T/err")" = 22 ] || fail "rewrite vmlinux4: $(wc -l <"$T/err") stderr lines, want 22"
grep -qxF "REWRITE stock.rv: 66 sites, 0 rewritten (0 A8, 0 A4), 0 fixups, 66 skipped, 0 already, 0 bytes changed, size +0 bytes" "$T/out" ||
	fail "summary: $(cat "$T/out")"
cmp -s "$stock" "$T/stock.rv" || fail "0 bytes changed, but the output differs from the input"
"$RVTRAMP" rewrite "$stock" -o "$T/stock.rv" --verbose >/dev/null 2>"$T/err"
n=$(grep -cE ": site not rewritten: " "$T/err")
[ "$n" = 66 ] && ok "--verbose: all 66 sites" || fail "--verbose: $n per-site lines, want 66"
"$RVTRAMP" rewrite "$stock" -o "$T/stock.rv" -q >"$T/out" 2>"$T/err"
[ -s "$T/out" ] && fail "-q printed a summary: $(cat "$T/out")"
grep -q "nothing rewritten" "$T/err" || fail "-q dropped the warnings"

# --- a stock image whose table the link left unsorted (riscv without
# build-time sort): nothing is rewritten, the table is sorted, and the
# summary counts those bytes instead of reading "+0 bytes"
cp "$stock" "$T/stock-unsorted"
python3 "$HERE/mcount_table.py" "$T/stock-unsorted" --swap 0 65 >/dev/null &&
	python3 "$HERE/mcount_table.py" "$T/stock-unsorted" --swap 10 40 >/dev/null || fail "mcount_table.py --swap"
"$RVTRAMP" rewrite "$T/stock-unsorted" -o "$T/stock-unsorted.rv" >"$T/out" 2>"$T/err" || fail "rewrite stock-unsorted: exit $?"
want=$(cmp -l "$T/stock-unsorted" "$T/stock-unsorted.rv" | wc -l)
[ "$want" -gt 0 ] || fail "the unsorted stock table was not sorted"
grep -qxF "REWRITE stock-unsorted.rv: 66 sites, 0 rewritten (0 A8, 0 A4), 0 fixups, 66 skipped, 0 already, $want bytes changed (__mcount_loc sorted: 66 entries), size +0 bytes" "$T/out" &&
	ok "stock image, unsorted table: $(cat "$T/out")" || fail "stock-unsorted summary: $(cat "$T/out"), cmp counts $want"

# --- the summary counts every changed byte, the table sort included
python3 "$HERE/../../bench/gen.py" 400 "$T/unsorted" >/dev/null 2>&1 || fail "bench/gen.py"
"$RVTRAMP" rewrite "$T/unsorted" -o "$T/unsorted.rv" >"$T/out" 2>"$T/err" || fail "rewrite unsorted: exit $?"
want=$(cmp -l "$T/unsorted" "$T/unsorted.rv" | wc -l)
if grep -qE "^REWRITE unsorted.rv: .*, $want bytes changed \(__mcount_loc sorted: [0-9]+ entries\), size \+0 bytes\$" "$T/out"; then
	ok "summary: $want bytes changed (cmp -l), __mcount_loc sorted"
else
	fail "summary does not count $want changed bytes or the sort: $(cat "$T/out")"
fi

# --- verify --strict
"$RVTRAMP" verify "$T/stock.rv" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || fail "verify (not strict) of an unrewritten image: exit $rc"
grep -qxF "rvtramp: warning: $T/stock.rv: no table entry is a trampoline: the file was not rewritten (verify --strict fails it)" "$T/err" ||
	fail "verify of an unrewritten image says nothing: $(cat "$T/err")"
"$RVTRAMP" verify --strict "$T/stock.rv" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc = 1 ] && grep -qxF "rvtramp: verify: $T/stock.rv: 66 of 66 table entries are not trampolines (--strict); the first 20 are listed" "$T/err" &&
	[ "$(grep -cE "^rvtramp: verify: $T/stock.rv: 0x[0-9a-f]+ $site_re: not a trampoline \(--strict\)\$" "$T/err")" = 20 ] &&
	grep -q ': FAILED$' "$T/out"; then
	ok "verify --strict of a never-rewritten image: exit 1, sites named"
else
	fail "verify --strict: exit $rc: $(tail -2 "$T/err")"
fi
"$RVTRAMP" rewrite "$v13" -o "$T/v13.rv" -q 2>"$T/err" || fail "rewrite vmlinux13: exit $?"
[ -s "$T/err" ] && fail "a full rewrite warned: $(cat "$T/err")"
"$RVTRAMP" verify --strict "$T/v13.rv" >"$T/out" 2>"$T/err" && [ ! -s "$T/err" ] &&
	ok "verify --strict of a rewritten image: exit 0" || fail "verify --strict of vmlinux13.rv: $(cat "$T/err")"

# --- a malformed trampoline: address, symbol, found against expected
# a_f00's trampoline is A8 at the symbol: the jump over the literal (P+4)
# becomes a nop
python3 "$HERE/patch_elf.py" "$T/v13.rv" "$T/broken" --word a_f00 4 0x13 || fail "patch_elf.py --word"
"$RVTRAMP" verify "$T/broken" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc = 1 ] && grep -qE "^rvtramp: verify: $T/broken: 0x[0-9a-f]+ a_f00\+0x0: neither a trampoline nor reserved nops: found c\.j 0x[0-9a-f]+; c\.unimp; nop; <literal 0x[0-9a-f]+>; ld t0, 8\(t0\); jalr t0, t0, 0; expected nops, or c\.j 0x[0-9a-f]+; c\.unimp; j 0x[0-9a-f]+; <literal>; ld t0, 8\(t0\); jalr t0, t0, 0 \(or the toggle j \.\+24, or auipc t0, 0\)\$" "$T/err"; then
	ok "verify failure: $(head -1 "$T/err")"
else
	fail "verify of a broken trampoline: exit $rc: $(cat "$T/err")"
fi

# --- swapped arguments
"$RVTRAMP" verify "$v13" --against "$T/v13.rv" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && head -1 "$T/err" | grep -qxF "rvtramp: verify: $v13: holds no trampoline, but $T/v13.rv holds 66: are the arguments swapped? (verify REWRITTEN --against ORIGINAL)" &&
	ok "swapped arguments are named" || fail "swapped arguments: exit $rc: $(head -2 "$T/err")"

# --- an --against difference names the address and symbol
# the last byte of a_f00's body: outside every region
python3 "$HERE/patch_elf.py" "$T/v13.rv" "$T/flip" --xor a_f00 end-1 0x40 || fail "patch_elf.py --xor"
"$RVTRAMP" verify "$T/flip" --against "$v13" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -qE "^rvtramp: verify: $T/flip: section \.text\+0x[0-9a-f]+ \(0x[0-9a-f]+ a_f00\+0x[0-9a-f]+\): byte differs outside the rewritten regions: 0x[0-9a-f]{2}, the original has 0x[0-9a-f]{2}\$" "$T/err" &&
	ok "--against difference: $(head -1 "$T/err" | sed 's/.*: section/section/')" || fail "--against difference: exit $rc: $(cat "$T/err")"

# --- a changed relocation names where it applies and both versions
"$RVTRAMP" rewrite "$FIXTURES/mod13.ko" -o "$T/m.ko" -q || fail "rewrite mod13.ko: exit $?"
python3 "$HERE/patch_elf.py" "$T/m.ko" "$T/m-bad.ko" --addend .rela.text 3 4 || fail "patch_elf.py --addend"
"$RVTRAMP" verify "$T/m-bad.ko" --against "$FIXTURES/mod13.ko" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -qxE "rvtramp: verify: $T/m-bad.ko: section \.rela\.text: relocation 3 \(offset 0x[0-9a-f]+ $site_re\) changed: (R_RISCV_[A-Z_0-9]+) sym [0-9]+ at 0x[0-9a-f]+ \+ (-?[0-9]+), the original has \1 sym [0-9]+ at 0x[0-9a-f]+ \+ -?[0-9]+" "$T/err" &&
	ok "changed relocation: $(sed 's/.*relocation/relocation/' "$T/err")" || fail "changed relocation: exit $rc: $(cat "$T/err")"

# --- sites: decision and reason columns
"$RVTRAMP" sites "$stock" >"$T/sites.txt" || fail "sites exit $?"
head -1 "$T/sites.txt" | grep -qE 'SOURCE +DECISION +REASON$' || fail "sites header: $(head -1 "$T/sites.txt")"
grep -qE "^0x[0-9a-f]{16} +\.text\+0x[0-9a-f]+ +$site_re +8 +[0-7] +nops +mcount_loc +skip +room 8 < 2[46]\$" "$T/sites.txt" ||
	fail "sites row: $(sed -n 2p "$T/sites.txt")"
"$RVTRAMP" sites "$stock" --format json | python3 -c '
import json, sys
s = json.load(sys.stdin)["sites"]
assert all(x["decision"] == "skip" and x["reason"] == "room" and x["reason_detail"].startswith("room 8 < ") for x in s), s[0]
' || fail "sites JSON: decision/reason"
"$RVTRAMP" sites "$v13" --format json | python3 -c '
import json, sys
s = json.load(sys.stdin)["sites"]
assert {x["decision"] for x in s} == {"rewrite", "fixup"} and not any("reason" in x for x in s), s[0]
' && ok "sites: decision and reason (text, JSON)" || fail "sites JSON of vmlinux13"
finish
