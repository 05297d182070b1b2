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
# =4 -> =13 of the same sources: every traced function grows by exactly the
# per-site amount (26 - 8 = 18 bytes), an untraced one by 0, and none by
# anything else
python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))["baseline"]
assert b["per_site_growth"] == 18, b["per_site_growth"]
g = b["function_growth"]
assert set(g) <= {"0", "18"} and g["18"] >= 60, g
assert b["other_growth"] == 0 and b["top"] == [], (b["other_growth"], b["top"])
' "$T/b.json" && ok "growth distribution: +18 per traced function, nothing else" || fail "growth distribution"
"$RVTRAMP" report "$FIXTURES/vmlinux13" --baseline "$FIXTURES/vmlinux4" > "$T/b.txt" || fail "text --baseline"
grep -q '^BASELINE' "$T/b.txt" || fail "text report has no BASELINE section"
grep -qE '^  \+18 B +[0-9]+ +per site$' "$T/b.txt" || fail "text: no '+18 B ... per site' row"
grep -qxF '  functions whose growth is neither 0 nor +18: 0' "$T/b.txt" || fail "text: no 'neither 0 nor +18' line"
# the other way round (=13 -> =4) every traced function shrinks by 18: the
# list is empty too, and the distribution says -18
"$RVTRAMP" report "$FIXTURES/vmlinux4" --baseline "$FIXTURES/vmlinux13" --format json --no-sites |
	python3 -c '
import json, sys
b = json.load(sys.stdin)["baseline"]
assert b["per_site_growth"] == -18 and "-18" in b["function_growth"] and b["top"] == [], b
' || fail "reverse baseline"
# a function that grew by anything else is listed: the =13 image against
# itself with one symbol size patched in the baseline copy
python3 "$HERE/../e2e/patch_elf.py" "$FIXTURES/vmlinux13" "$T/patched" --size a_f00 -5 ||
	fail "patch_elf.py --size"
"$RVTRAMP" report "$FIXTURES/vmlinux13" --baseline "$T/patched" --format json --no-sites |
	python3 -c '
import json, sys
b = json.load(sys.stdin)["baseline"]
assert b["per_site_growth"] == 0, b["per_site_growth"]
assert [(t["name"], t["delta"]) for t in b["top"]] == [("a_f00", 5)], b["top"]
assert b["other_growth"] == 1, b["other_growth"]
' && ok "a function grown by 5 bytes is listed" || fail "the function grown by 5 is not listed"
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
