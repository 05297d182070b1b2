#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# rewrite --report: the report JSON of what the rewrite did (the same data
# as `report`, plus a "rewrite" object), with every pass timer under
# --time-passes and none without (then two rewrites give the same report).
. "$(dirname "$0")/common.sh"
need_all
for f in vmlinux13 vmlinux13_rv32; do
	[ -e "$FIXTURES/$f" ] || continue
	"$RVTRAMP" rewrite "$FIXTURES/$f" -o "$T/$f.rv" --report "$T/$f.json" -q --time-passes 2>/dev/null ||
		{ fail "$f: rewrite exited $?"; continue; }
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
# without --time-passes: no timers, the same bytes twice, changed_bytes as cmp counts them
for k in 1 2; do
	"$RVTRAMP" rewrite "$FIXTURES/vmlinux13" -o "$T/again$k.rv" --report "$T/again$k.json" -q || fail "rewrite $k: exit $?"
done
sed "s/again1/againN/g" "$T/again1.json" >"$T/a1"
sed "s/again2/againN/g" "$T/again2.json" >"$T/a2"
cmp -s "$T/a1" "$T/a2" && ok "rewrite --report: the same bytes from two runs" || fail "rewrite --report differs between two runs"
python3 - "$T/again1.json" "$(cmp -l "$FIXTURES/vmlinux13" "$T/again1.rv" | wc -l)" <<'PY' || fail "rewrite --report: timers or changed_bytes"
import json, sys
r = json.load(open(sys.argv[1]))
assert "timers" not in r, "timers without --time-passes"
assert r["rewrite"]["changed_bytes"] == int(sys.argv[2]), (r["rewrite"]["changed_bytes"], sys.argv[2])
PY
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
