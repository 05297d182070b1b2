#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# -pg objects: `rvtramp rewrite --emit-mcount-loc` adds a __mcount_loc
# section with .rela__mcount_loc whose R_RISCV_64 targets are exactly the
# `call _mcount` sites (auipc ra with R_RISCV_CALL(_PLT) against _mcount,
# from readelf -r / objdump -d), like scripts/recordmcount; the result still
# links with ld and its sites are listed once each.
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp
need_cmd rewrite
pg="$FIXTURES/pg_rvc.o"
if "$RVTRAMP" rewrite "$pg" -o "$T/pg.o" --emit-mcount-loc -q 2>"$T/err"; then
	if res=$(xcheck check-mcount-loc "$pg" "$T/pg.o"); then
		ok "__mcount_loc relocations == _mcount call sites"
	else
		fail "$res"
	fi
	if "$RVTRAMP" sites "$T/pg.o" --format json >"$T/s.json" 2>"$T/err"; then
		res=$(xcheck compare-sites "$T/pg.o" "$T/s.json") || fail "sites of the output:
$res"
	else
		fail "rvtramp sites: $(head -2 "$T/err")"
	fi
	printf '\t.text\n\t.globl _mcount\n_mcount:\n\tret\n' >"$T/mc.s"
	"${CROSS}as" -o "$T/mc.o" "$T/mc.s" &&
		"${CROSS}ld" -e s_f00 "$T/pg.o" "$T/mc.o" -o "$T/pg.exe" 2>"$T/err" ||
		fail "ld of the output: $(head -3 "$T/err")"
else
	fail "rewrite --emit-mcount-loc: $(head -2 "$T/err")"
fi
finish
