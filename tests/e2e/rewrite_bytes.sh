#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Phase 2, byte level.  For fixtures with every alignment mod 8 and every
# room (8, 16, 24, 26, 48, 52 bytes), both states:
#  - every site with room >= 24 (4-aligned) / 26 (2 mod 4) disassembles
#    (objdump -d) exactly as the layout assembled here with the cross `as`
#    (A8/A4 by P mod 8, c.nop fixup at S, trailing nops kept); the literal
#    holds the destination; sites with too little room are byte-identical;
#  - the table entries moved to P: __mcount_loc contents (linked images),
#    relocation addends (readelf -r, objects/modules);
#  - nothing else in the executable sections changed; ET_REL text gets
#    sh_addralign >= 8;
#  - the input file is untouched; `rvtramp verify OUT [--against IN]` passes;
#  - `rvtramp sites OUT` reports every rewritten site in the requested state;
#  - --strict exits 1 when a site is skipped; a corrupted layout fails verify.
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp
need_cmd rewrite

rw() { # rw IN OUT ARGS... -> 0 if rvtramp rewrite succeeded
	in=$1 out=$2
	shift 2
	cp "$in" "$T/before"
	"$RVTRAMP" rewrite "$in" -o "$out" -q "$@" >"$T/rw.out" 2>"$T/rw.err"
	rc=$?
	if [ $rc != 0 ]; then
		fail "rewrite $(basename "$in") $*: exit $rc: $(head -3 "$T/rw.err")"
		return 1
	fi
	cmp -s "$in" "$T/before" || fail "rewrite $(basename "$in"): input modified"
	[ -s "$T/rw.out" ] && fail "rewrite -q $(basename "$in") printed: $(head -2 "$T/rw.out")"
	return 0
}

check() { # check LABEL IN OUT STATE DEST
	label=$1 in=$2 out=$3 state=$4 dest=$5
	if res=$(xcheck check-rewrite "$in" "$out" --state "$state" --dest "$dest"); then
		ok "$label: $res"
	else
		fail "$label:
$res"
	fi
	if "$RVTRAMP" verify "$out" >"$T/v.out" 2>&1; then :; else
		fail "$label: rvtramp verify exit $?: $(head -3 "$T/v.out")"
	fi
	if "$RVTRAMP" verify "$out" --against "$in" >"$T/v.out" 2>&1; then :; else
		fail "$label: rvtramp verify --against exit $?: $(head -3 "$T/v.out")"
	fi
	if "$RVTRAMP" sites "$out" --format json >"$T/s.json" 2>"$T/s.err"; then
		# rewritten sites: state; others: nops
		if ! res=$(xcheck compare-sites "$out" "$T/s.json" "$state,nops"); then
			fail "$label: sites of the output:
$res"
		fi
	else
		fail "$label: rvtramp sites OUT failed: $(head -2 "$T/s.err")"
	fi
}

for f in pfe4_rvc.o pfe4_norvc.o pfe12_rvc.o pfe12_norvc.o pfe13_rvc.o pfe13_norvc.o pfe13_rvc_nopad.o mod13.ko; do
	for st in disabled enabled; do
		rw "$FIXTURES/$f" "$T/$f.$st" --state "$st" &&
			check "$f --state $st" "$FIXTURES/$f" "$T/$f.$st" "$st" 0
	done
done

# linked images: default destination is ftrace_caller, or --dest SYMBOL/ADDRESS
for f in vmlinux13 vmlinux4 vmlinux13_initdata; do
	fc=$(sym "$FIXTURES/$f" ftrace_caller)
	for st in disabled enabled; do
		rw "$FIXTURES/$f" "$T/$f.$st" --state "$st" &&
			check "$f --state $st" "$FIXTURES/$f" "$T/$f.$st" "$st" "$fc"
	done
done
tgt=$(sym "$FIXTURES/vmlinux13" b_f05)
rw "$FIXTURES/vmlinux13" "$T/v13.sym" --dest b_f05 --state enabled &&
	check "vmlinux13 --dest b_f05" "$FIXTURES/vmlinux13" "$T/v13.sym" enabled "$tgt"
rw "$FIXTURES/vmlinux13" "$T/v13.addr" --dest 0x12345678 &&
	check "vmlinux13 --dest 0x12345678" "$FIXTURES/vmlinux13" "$T/v13.addr" disabled 0x12345678
ct=$(sym "$FIXTURES/prog" count_tramp)
rw "$FIXTURES/prog" "$T/prog.en" --state enabled --dest count_tramp &&
	check "prog --dest count_tramp" "$FIXTURES/prog" "$T/prog.en" enabled "$ct"

# --strict: room 8 sites are skipped -> exit 1; room 26 -> exit 0
"$RVTRAMP" rewrite "$FIXTURES/vmlinux4" -o "$T/v4.strict" --strict -q >/dev/null 2>&1
rc=$?
[ $rc = 1 ] || fail "rewrite --strict vmlinux4 (room 8): exit $rc, want 1"
"$RVTRAMP" rewrite "$FIXTURES/vmlinux13" -o "$T/v13.strict" --strict -q >/dev/null 2>&1
rc=$?
[ $rc = 0 ] || fail "rewrite --strict vmlinux13 (room 26): exit $rc, want 0"

# --in-place gives the same bytes as -o
cp "$FIXTURES/pfe13_rvc.o" "$T/inplace.o"
if "$RVTRAMP" rewrite "$T/inplace.o" --in-place -q 2>"$T/err"; then
	cmp -s "$T/inplace.o" "$T/pfe13_rvc.o.disabled" || fail "--in-place differs from -o output"
else
	fail "rewrite --in-place: $(head -2 "$T/err")"
fi

# relaxation: refused (sites intact or an error) unless --allow-relax
relax="$FIXTURES/pfe13_rvc_relax.o"
if "$RVTRAMP" rewrite "$relax" -o "$T/relax.o" -q 2>"$T/err"; then
	# accepted: then every site must be left intact (same code)
	"${CROSS}objdump" -d -j .text "$relax" | tail -n +3 >"$T/relax.d0"
	"${CROSS}objdump" -d -j .text "$T/relax.o" | tail -n +3 >"$T/relax.d1"
	cmp -s "$T/relax.d0" "$T/relax.d1" ||
		fail "rewrite of a relaxable object without --allow-relax changed its code"
fi
"$RVTRAMP" rewrite "$relax" -o "$T/relax.strict" --strict -q >/dev/null 2>&1
rc=$?
[ $rc != 0 ] || fail "rewrite --strict of a relaxable object without --allow-relax: exit 0"
rw "$relax" "$T/relax.allowed" --allow-relax &&
	check "pfe13_rvc_relax.o --allow-relax" "$relax" "$T/relax.allowed" disabled 0

# verify catches a corrupted layout: overwrite the jalr (P+20) of the first site
if [ -e "$T/vmlinux13.disabled" ]; then
	cp "$T/vmlinux13.disabled" "$T/corrupt"
	PYTHONPATH="$HERE" python3 - "$T/corrupt" <<'PY'
import sys
from crosscheck import file_offset, symbol_value
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
table = file_offset(p, symbol_value(p, "__start_mcount_loc"))
P = int.from_bytes(b[table:table + 8], "little")
b[file_offset(p, P) + 20:file_offset(p, P) + 24] = b"\xff\xff\xff\xff"
open(p, "wb").write(b)
PY
	"$RVTRAMP" verify "$T/corrupt" >/dev/null 2>&1
	rc=$?
	[ $rc = 1 ] || fail "verify of a corrupted layout: exit $rc, want 1"
fi
finish
