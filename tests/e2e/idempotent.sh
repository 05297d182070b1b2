#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Rewriting a rewritten file again gives a byte-identical file (cmp), for
# objects, modules and linked images, in both states.
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp
need_cmd rewrite
for f in pfe12_rvc.o pfe13_rvc.o pfe13_norvc.o mod13.ko vmlinux13 vmlinux4 prog; do
	for st in disabled enabled; do
		o1="$T/$f.$st.1" o2="$T/$f.$st.2"
		if ! "$RVTRAMP" rewrite "$FIXTURES/$f" -o "$o1" --state "$st" -q 2>"$T/err"; then
			fail "$f: first rewrite: $(head -2 "$T/err")"
			continue
		fi
		if ! "$RVTRAMP" rewrite "$o1" -o "$o2" --state "$st" -q 2>"$T/err"; then
			fail "$f: second rewrite: $(head -2 "$T/err")"
			continue
		fi
		if cmp "$o1" "$o2" >"$T/cmp" 2>&1; then
			ok "$f --state $st: second rewrite is byte-identical"
		else
			fail "$f --state $st: second rewrite differs: $(cat "$T/cmp")"
		fi
	done
done
finish
