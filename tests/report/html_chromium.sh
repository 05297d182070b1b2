#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The HTML report in a real browser: headless Chromium renders it to PNG and
# dumps the DOM; the page must load (no console or network errors) and hold
# the histogram SVGs, the per-site and growth tables, unique ids, bars
# visible at any count; a stock image's report shows the banner and the
# sites not rewritten by function. Skipped (77) when chromium is missing.
. "$(dirname "$0")/common.sh"
need_all
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ] || skip "chromium not installed"
command -v timeout >/dev/null || skip "timeout not found"
"$RVTRAMP" report "$FIXTURES/vmlinux13" --baseline "$FIXTURES/vmlinux4" --format html \
	-o "$T/report.html" || fail "report --format html exited $?"
chrome() {
	profile=$T/profile.$1
	shift
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --enable-logging=stderr --v=0 --user-data-dir="$profile" "$@"
}
chrome png --screenshot="$T/shot.png" --window-size=1200,1600 "file://$T/report.html" \
	> "$T/png.out" 2> "$T/png.err"
rc=$?
[ $rc = 0 ] || fail "chromium --screenshot exited $rc: $(tail -3 "$T/png.err")"
python3 - "$T/shot.png" <<'PY' || fail "screenshot is not a 1200x1600 PNG"
import struct, sys, os
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1200, 1600), (w, h)
assert len(b) > 20000, "suspiciously small: %d bytes" % len(b)
PY
chrome dom --dump-dom "file://$T/report.html" > "$T/dom.html" 2> "$T/dom.err"
rc=$?
[ $rc = 0 ] || fail "chromium --dump-dom exited $rc"
n=$(grep -o '<svg' "$T/dom.html" | wc -l)
[ "$n" -ge 5 ] && ok "rendered DOM holds $n SVG charts" || fail "rendered DOM holds $n <svg> (want >= 5)"
for id in site-mod8 function-mod8 room plan overhead growth-chart; do
	grep -q "<svg id=\"$id\"" "$T/dom.html" || fail "no svg #$id in the rendered DOM"
done
for id in site-table plan-table growth top; do
	grep -q "<table id=\"$id\"" "$T/dom.html" || fail "no table #$id in the rendered DOM"
done
# Every id once; every bar of a count above zero at least 2 pixels high.
python3 - "$T/dom.html" <<'PY' || fail "ids or bars"
import collections, re, sys
dom = open(sys.argv[1]).read()
ids = collections.Counter(re.findall(r'\bid="([^"]+)"', dom))
dup = [k for k, v in ids.items() if v > 1]
assert not dup, "duplicate ids: %s" % dup
for h, t in re.findall(r'<rect [^>]*height="([0-9.]+)"[^>]*><title>[^<]*: ([0-9,]+)</title>', dom):
    if int(t.replace(",", "")) > 0:
        assert float(h) >= 2, "a bar of %s is %s px high" % (t, h)
print("ok: %d ids, all unique; bars visible" % len(ids))
PY
# A stock image (nothing can be rewritten): the banner, and the sites not
# rewritten listed by function in a sortable table.
"$RVTRAMP" report "$FIXTURES/vmlinux4" --format html -o "$T/stock.html" || fail "report vmlinux4 --format html exited $?"
chrome stock --dump-dom "file://$T/stock.html" > "$T/stock.dom" 2> "$T/stock.err" || fail "chromium --dump-dom of the stock report"
grep -q '<div id="nothing-rewritten" class="banner">Nothing would be rewritten: none of the 66 sites' "$T/stock.dom" ||
	fail "no banner in the stock report"
grep -q '<table id="not-rewritten" class="sortable">' "$T/stock.dom" || fail "no by-function table in the stock report"
grep -q '<td>a_f00+0x0</td>' "$T/stock.dom" || fail "the by-function table does not name a_f00+0x0"
grep -q 'nothing-rewritten' "$T/dom.html" && fail "banner in the report of a rewritable image"
chrome stockpng --screenshot="$T/stock.png" --window-size=1200,1600 "file://$T/stock.html" \
	> /dev/null 2> "$T/stockpng.err" || fail "chromium --screenshot of the stock report"
grep -q '<rect' "$T/dom.html" || fail "no bars in the SVGs"
grep -q 'rvtramp report: vmlinux13' "$T/dom.html" || fail "title missing from the DOM"
if grep -E 'CONSOLE|Uncaught|net::ERR_' "$T/png.err" "$T/dom.err" | grep -v 'dbus' > "$T/errs"; then
	fail "page errors: $(head -3 "$T/errs")"
fi
[ "${KEEP_SCREENSHOT:-}" ] && cp "$T/shot.png" "$KEEP_SCREENSHOT"
[ "${KEEP_STOCK_SCREENSHOT:-}" ] && cp "$T/stock.png" "$KEEP_STOCK_SCREENSHOT"
finish
