#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Two runs of `report` on the same file give the same bytes, in every
# format, with and without --baseline (no timers unless --time-passes, no
# hash-order output), so reports diff cleanly; --time-passes is what makes
# them differ.
. "$(dirname "$0")/common.sh"
need_all
n=0
for f in vmlinux13 vmlinux4 mod13.ko pfe13_rvc.o pfe13_rvc_relax.o; do
	[ -e "$FIXTURES/$f" ] || continue
	for fmt in text json csv html; do
		for base in "" "--baseline $FIXTURES/vmlinux4"; do
			case $f in vmlinux*) ;; *) [ -n "$base" ] && continue ;; esac
			for k in 1 2; do
				"$RVTRAMP" report "$FIXTURES/$f" --format $fmt $base -o "$T/r$k" ||
					fail "$f --format $fmt $base: exit $?"
			done
			if cmp -s "$T/r1" "$T/r2"; then
				n=$((n + 1))
			else
				fail "$f --format $fmt $base: two runs differ: $(cmp "$T/r1" "$T/r2")"
			fi
			grep -qiE 'timers|[0-9] ms\b' "$T/r1" && fail "$f --format $fmt: timers without --time-passes"
		done
	done
done
ok "$n reports, each the same bytes from two runs"
# --time-passes puts the timers in, so the bytes change: the test above
# would see timers if they were there.
"$RVTRAMP" report "$FIXTURES/vmlinux13" --format json --time-passes -o "$T/t.json" 2>/dev/null
grep -q '"timers"' "$T/t.json" && ok "--time-passes: timers in the JSON" || fail "--time-passes: no timers in the JSON"
finish
