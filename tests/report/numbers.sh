#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# report --format json on every fixture: counts, histograms, text sizes, the
# plan's accounting identity and the four-layout model, all recomputed from
# readelf/objdump/nm by check_report.py.
. "$(dirname "$0")/common.sh"
need_all
n=0
for f in $REPORT_FIXTURES; do
	[ -e "$FIXTURES/$f" ] || continue
	if ! "$RVTRAMP" report "$FIXTURES/$f" --format json -o "$T/$f.json"; then
		fail "$f: report exited $?"
		continue
	fi
	if out=$(check numbers "$FIXTURES/$f" "$T/$f.json"); then
		ok "$f: figures match the cross tools"
		n=$((n + 1))
	else
		fail "$f:"; echo "$out" | head -20
	fi
done
[ "$n" -gt 0 ] || fail "no fixture checked"
finish
