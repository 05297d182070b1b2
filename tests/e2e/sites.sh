#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Phase 1: for every fixture, `rvtramp sites --format json` lists exactly
# the sites the cross tools show -- addresses and count (readelf -r of
# .rela__patchable_function_entries for ET_REL, the __start/__stop_mcount_loc
# table via readelf -x for linked images, R_RISCV_CALL(_PLT) against
# _mcount for -pg), owning function and offset (readelf -s), room (the nop
# run in objdump -d), align, source, state, and a consistent summary.
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp
for f in $ALL_FIXTURES; do
	in="$FIXTURES/$f"
	[ -e "$in" ] || { fail "$f: fixture missing"; continue; }
	"$RVTRAMP" sites "$in" --format json >"$T/$f.json" 2>"$T/$f.err"
	rc=$?
	if [ $rc != 0 ]; then
		fail "$f: rvtramp sites exited $rc: $(head -3 "$T/$f.err")"
		continue
	fi
	if out=$(xcheck compare-sites "$in" "$T/$f.json"); then
		n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["sites"]))' "$T/$f.json")
		ok "$f: $n sites match readelf/objdump"
	else
		fail "$f:
$out"
	fi
	# text format: exits 0 and mentions every function that has a site
	if ! "$RVTRAMP" sites "$in" >"$T/$f.txt" 2>"$T/$f.err"; then
		fail "$f: rvtramp sites (text) failed: $(head -3 "$T/$f.err")"
	elif [ ! -s "$T/$f.txt" ]; then
		fail "$f: rvtramp sites (text) printed nothing"
	fi
done
finish
