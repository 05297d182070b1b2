#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# rewrite --report: the report JSON of what the rewrite did, with every
# pass timer (the same data as `report`, plus a "rewrite" object).
. "$(dirname "$0")/common.sh"
need_all
for f in vmlinux13 vmlinux13_rv32; do
	[ -e "$FIXTURES/$f" ] || continue
	"$RVTRAMP" rewrite "$FIXTURES/$f" -o "$T/$f.rv" --report "$T/$f.json" -q || { fail "$f: rewrite exited $?"; continue; }
	if out=$(check rewrite "$FIXTURES/$f" "$T/$f.rv" "$T/$f.json"); then
		ok "$f: rewrite --report matches the rewritten file"
	else
		fail "$f:"; echo "$out" | head -20
	fi
	# the same figures as `report` on the input
	"$RVTRAMP" report "$FIXTURES/$f" --format json -o "$T/$f.r.json"
	python3 - "$T/$f.json" "$T/$f.r.json" <<'PY' || fail "$f: rewrite --report and report disagree"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("functions", "sites", "histograms", "code_size"):
    assert a[k] == b[k], k
for k in ("A8", "A4", "skipped", "fixup_before"):
    assert a["plan"][k] == b["plan"][k], k
PY
done
# report on the rewritten image: every site already rewritten, reservation unchanged
"$RVTRAMP" report "$T/vmlinux13.rv" --format json -o "$T/again.json"
python3 - "$T/again.json" "$T/vmlinux13.json" <<'PY' || fail "report of a rewritten image"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["plan"]["skipped"] == {"already_rewritten": a["sites"]["total"]}, a["plan"]["skipped"]
assert a["code_size"]["reserved_now"] == b["code_size"]["reserved_now"], (a["code_size"]["reserved_now"], b["code_size"]["reserved_now"])
assert a["code_size"]["base_text"] == b["code_size"]["base_text"]
PY
finish
