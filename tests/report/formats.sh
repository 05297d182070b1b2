#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Every format parses (json, csv, html.parser) and agrees with the JSON; -o
# writes the same bytes as stdout; timers only with --time-passes.
. "$(dirname "$0")/common.sh"
need_all
for f in vmlinux13 pfe13_rvc.o mod13.ko; do
	[ -e "$FIXTURES/$f" ] || continue
	for fmt in json csv html text; do
		"$RVTRAMP" report "$FIXTURES/$f" --format $fmt -o "$T/$f.$fmt" || fail "$f --format $fmt exited $?"
	done
	"$RVTRAMP" report "$FIXTURES/$f" --format csv > "$T/$f.stdout.csv" || fail "$f csv to stdout"
	cmp -s "$T/$f.csv" "$T/$f.stdout.csv" || fail "$f: -o and stdout differ"
	if out=$(check formats "$T/$f.json" "$T/$f.csv" "$T/$f.html" "$T/$f.text"); then
		ok "$f: json, csv, html and text parse and agree"
	else
		fail "$f:"; echo "$out" | head -20
	fi
	# --no-sites drops only the per-site list
	"$RVTRAMP" report "$FIXTURES/$f" --format json --no-sites > "$T/$f.nosites.json"
	python3 - "$T/$f.json" "$T/$f.nosites.json" <<'PY' || fail "$f: --no-sites"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert "site_list" in a and "site_list" not in b
del a["site_list"]
assert "timers" not in a and "timers" not in b, "timers without --time-passes"
assert a == b, "json differs beyond site_list"
PY
done
# --time-passes: a timer per pass on stderr, and the same names in the JSON
"$RVTRAMP" report "$FIXTURES/vmlinux13" --time-passes --format json -o "$T/vmlinux13.json" 2> "$T/timers"
for p in load locate analyze plan report total; do
	grep -Eq "ms  $p\$" "$T/timers" || fail "--time-passes: no '$p' timer"
done
python3 -c '
import json, sys
names = [t["name"] for t in json.load(open(sys.argv[1]))["timers"]]
assert names[:4] == ["load", "locate", "analyze", "plan"] and "report" in names, names
' "$T/vmlinux13.json" || fail "timers in JSON"
finish
