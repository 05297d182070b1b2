#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The HTML report in a real browser: headless Chromium renders it to PNG and
# dumps the DOM; the page must load (no console or network errors) and hold
# the histogram SVGs. Skipped (77) when chromium is missing.
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
for id in site-mod8 function-mod8 room plan overhead; do
	grep -q "<svg id=\"$id\"" "$T/dom.html" || fail "no svg #$id in the rendered DOM"
done
grep -q '<rect' "$T/dom.html" || fail "no bars in the SVGs"
grep -q 'rvtramp report: vmlinux13' "$T/dom.html" || fail "title missing from the DOM"
if grep -E 'CONSOLE|Uncaught|net::ERR_' "$T/png.err" "$T/dom.err" | grep -v 'dbus' > "$T/errs"; then
	fail "page errors: $(head -3 "$T/errs")"
fi
[ "${KEEP_SCREENSHOT:-}" ] && cp "$T/shot.png" "$KEEP_SCREENSHOT"
finish
