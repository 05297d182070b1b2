#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# --baseline: =4 -> =13 builds of the same sources; growth of text, file and
# sections against readelf, top functions against nm.
. "$(dirname "$0")/common.sh"
need_all
[ -e "$FIXTURES/vmlinux4" ] || skip "no vmlinux4 fixture"
"$RVTRAMP" report "$FIXTURES/vmlinux13" --baseline "$FIXTURES/vmlinux4" --top 5 \
	--format json -o "$T/b.json" || fail "report --baseline exited $?"
if out=$(check baseline "$FIXTURES/vmlinux4" "$FIXTURES/vmlinux13" "$T/b.json"); then
	ok "baseline figures match readelf/nm"
else
	fail "baseline:"; echo "$out" | head -20
fi
python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))["baseline"]
assert len(b["top"]) == 5, len(b["top"])
' "$T/b.json" || fail "--top 5 gives 5 rows"
"$RVTRAMP" report "$FIXTURES/vmlinux13" --baseline "$FIXTURES/vmlinux4" > "$T/b.txt" || fail "text --baseline"
grep -q '^BASELINE' "$T/b.txt" || fail "text report has no BASELINE section"
# =13 over =4 costs 18 bytes more per function than the model of the =4 image predicts
python3 - "$T/b.json" <<'PY' || fail "stock model of the =13 image vs the real =4 text"
import json, sys
r = json.load(open(sys.argv[1]))
lays = {l["key"]: l for l in r["code_size"]["layouts"]}
# modeled stock text of the =13 image vs the real =4 image: equal up to padding gaps
real_old = r["baseline"]["exec_text"]["old"]
model = lays["stock"]["text"]
assert abs(model - real_old) <= 2 * r["sites"]["total"], (model, real_old)
PY
finish
