#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The disabled toggle's form (README.md, "The toggle"), against the cross
# tools: `as` assembles the expected layouts, objdump compares them.
#  - an RVC image (vmlinux13, mod13.ko) gets `c.j .+24` and a zero halfword
#    (the word assembled from `c.j .+24; c.unimp`), disabled and enabled
#    then differ in the low halfword only; verify counts them as c.j;
#  - --disabled-toggle j writes `j .+24` there, which verify accepts (the
#    kernel converts it at init) and counts as j;
#  - a non-RVC object (pfe13_norvc.o) gets `j .+24`; --disabled-toggle c.j
#    is refused (one error line, exit 2); a c.j toggle patched into its
#    rewritten output fails verify (exit 1: an illegal instruction there).
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp
need_cmd rewrite

# The toggle words from the assembler: c.j form, j form, enabled.
cat >"$T/t.s" <<'S'
.option rvc
c.j .+24
c.unimp
.option norvc
j .+24
auipc t0, 0
S
"${CROSS}as" -march=rv64gc "$T/t.s" -o "$T/t.o" && "${CROSS}objcopy" -O binary -j .text "$T/t.o" "$T/t.bin" ||
	fail "cannot assemble the toggles"
words=$(od -An -tx4 -v "$T/t.bin" | tr -s ' ' | sed 's/^ //')
CJ=$(echo "$words" | cut -d' ' -f1)
J=$(echo "$words" | cut -d' ' -f2)
ON=$(echo "$words" | cut -d' ' -f3)
[ "$(echo "$CJ" | cut -c1-4)" = 0000 ] && [ "$(echo "$ON" | cut -c1-4)" = 0000 ] ||
	fail "c.j toggle $CJ and auipc $ON do not share a zero high halfword"

# first_toggle FILE: the word at the first table entry, as od prints it,
# and its file offset.
first_toggle() {
	"$RVTRAMP" sites "$1" --format json >"$T/s.json" || return 1
	python3 - "$1" "$T/s.json" <<'PY'
import json, subprocess, sys
path, sites = sys.argv[1], json.load(open(sys.argv[2]))["sites"]
s = sites[0]
out = subprocess.run(["riscv64-linux-gnu-readelf", "-SW", path], capture_output=True, text=True).stdout
for line in out.splitlines():
    f = line.replace("[ ", "[").split()
    if len(f) > 5 and f[1] == s["section"]:
        b = open(path, "rb").read()
        at = int(f[4], 16) + s["offset"]
        print("%08x %d" % (int.from_bytes(b[at:at + 4], "little"), at))
PY
}

# RVC: c.j by default, objdump-checked layouts; verify says c.j.
for f in vmlinux13 mod13.ko; do
	dest=0
	[ "$f" = vmlinux13 ] && dest=$(sym "$FIXTURES/$f" ftrace_caller)
	"$RVTRAMP" rewrite "$FIXTURES/$f" -o "$T/$f.cj" -q || fail "rewrite $f exit $?"
	res=$(xcheck check-rewrite "$FIXTURES/$f" "$T/$f.cj" --state disabled --dest "$dest" --toggle c.j) &&
		ok "$f (RVC): $res" || fail "$f (RVC) default form:
$res"
	got=$(first_toggle "$T/$f.cj" | cut -d" " -f1)
	[ "$got" = "$CJ" ] && ok "$f: first toggle $got = as(c.j .+24; c.unimp)" ||
		fail "$f: first toggle $got, want $CJ"
	out=$("$RVTRAMP" verify "$T/$f.cj" --against "$FIXTURES/$f") || fail "verify $f exit $?: $out"
	echo "$out" | grep -Eq ' ([0-9]+) disabled \(\1 c\.j, 0 j\)' && ok "verify: $out" ||
		fail "verify $f does not count the c.j toggles: $out"

	# --disabled-toggle j: the old form, still accepted.
	"$RVTRAMP" rewrite "$FIXTURES/$f" -o "$T/$f.j" -q --disabled-toggle j || fail "rewrite $f --disabled-toggle j exit $?"
	res=$(xcheck check-rewrite "$FIXTURES/$f" "$T/$f.j" --state disabled --dest "$dest" --toggle j) &&
		ok "$f --disabled-toggle j: $res" || fail "$f --disabled-toggle j:
$res"
	got=$(first_toggle "$T/$f.j" | cut -d" " -f1)
	[ "$got" = "$J" ] || fail "$f --disabled-toggle j: first toggle $got, want $J"
	out=$("$RVTRAMP" verify "$T/$f.j" --strict --against "$FIXTURES/$f") || fail "verify of j toggles in an RVC image exit $?: $out"
	echo "$out" | grep -Eq ' ([0-9]+) disabled \(0 c\.j, \1 j\)' && ok "verify accepts j in RVC: $out" ||
		fail "verify $f --disabled-toggle j: $out"
	# the two differ only in toggles: every changed word is one
	cmp -l "$T/$f.cj" "$T/$f.j" | wc -l >"$T/n"
	[ "$(cat "$T/n")" -gt 0 ] || fail "$f: j and c.j outputs are identical"
done

# Not RVC: j, and c.j refused.
f=pfe13_norvc.o
"${CROSS}readelf" -h "$FIXTURES/$f" | grep -q 'Flags:.*RVC' && fail "$f has RVC: the test proves nothing"
"$RVTRAMP" rewrite "$FIXTURES/$f" -o "$T/norvc.o" -q || fail "rewrite $f exit $?"
res=$(xcheck check-rewrite "$FIXTURES/$f" "$T/norvc.o" --state disabled --dest 0) &&
	ok "$f (no RVC): $res" || fail "$f (no RVC):
$res"
got=$(first_toggle "$T/norvc.o" | cut -d" " -f1)
at=$(first_toggle "$T/norvc.o" | cut -d" " -f2)
[ "$got" = "$J" ] && ok "$f: first toggle $got = as(j .+24)" || fail "$f: first toggle $got, want $J"
"$RVTRAMP" rewrite "$FIXTURES/$f" -o "$T/norvc.cj" --disabled-toggle c.j >"$T/o" 2>"$T/e"
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$T/e")" = 1 ] && grep -q "^rvtramp: error: .*$f: --disabled-toggle c.j needs" "$T/e" &&
	[ ! -e "$T/norvc.cj" ] && ok "--disabled-toggle c.j without RVC: $(cat "$T/e")" ||
	fail "--disabled-toggle c.j without RVC: exit $rc, $(cat "$T/e")"
# A c.j toggle in it: an illegal instruction there, verify fails.
cp "$T/norvc.o" "$T/norvc.bad"
python3 - "$T/norvc.bad" "$at" "$J" "$CJ" <<'PY' || fail "cannot patch the toggle"
import sys
path, at = sys.argv[1], int(sys.argv[2])
j, cj = bytes.fromhex(sys.argv[3])[::-1], bytes.fromhex(sys.argv[4])[::-1]
b = bytearray(open(path, "rb").read())
assert b[at:at + 4] == j
b[at:at + 4] = cj
open(path, "wb").write(b)
PY
"$RVTRAMP" verify "$T/norvc.bad" >"$T/o" 2>"$T/e"
rc=$?
[ $rc = 1 ] && grep -q "without the C extension" "$T/e" && ok "verify refuses c.j without RVC: $(head -1 "$T/e" | cut -c1-200)" ||
	fail "verify of a c.j toggle without RVC: exit $rc, $(cat "$T/e")"
finish
