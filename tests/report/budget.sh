#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# --max-overhead exit codes (0 within, 1 over, one line on stderr) and bad
# input (exit 2, "rvtramp: error: FILE: ...").
. "$(dirname "$0")/common.sh"
need_all
f=$FIXTURES/vmlinux13
pct=$("$RVTRAMP" report "$f" --format json --no-sites | python3 -c '
import json, sys
r = json.load(sys.stdin)
print([l for l in r["code_size"]["layouts"] if l["key"] == "seed26"][0]["overhead_pct"])')
above=$(python3 -c "print($pct + 0.01)")
below=$(python3 -c "print($pct - 0.01)")
"$RVTRAMP" report "$f" --max-overhead "$above" > "$T/out" 2> "$T/err"
rc=$?
[ $rc = 0 ] && [ ! -s "$T/err" ] && ok "--max-overhead $above: exit 0" || fail "--max-overhead $above: exit $rc, stderr: $(cat "$T/err")"
"$RVTRAMP" report "$f" --max-overhead "$below" > "$T/out" 2> "$T/err"
rc=$?
lines=$(wc -l < "$T/err")
if [ $rc = 1 ] && [ "$lines" = 1 ] && grep -q "^rvtramp: budget: $f: seed26 overhead .* exceeds --max-overhead" "$T/err"; then
	ok "--max-overhead $below: exit 1: $(cat "$T/err")"
else
	fail "--max-overhead $below: exit $rc, stderr: $(cat "$T/err")"
fi
grep -q '^BUDGET' "$T/out" || fail "report still printed when the budget fails"
# other layouts; stock is always cheaper than seed26
"$RVTRAMP" report "$f" --max-overhead "$below" --budget-layout stock > /dev/null 2>&1
[ $? = 0 ] || fail "--budget-layout stock within $below"
"$RVTRAMP" report "$f" --max-overhead 0 --budget-layout call_ops --format json -o "$T/b.json" 2> /dev/null
[ $? = 1 ] || fail "--budget-layout call_ops --max-overhead 0 should exit 1"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["budget"]; assert b["exceeded"] and b["layout"]=="call_ops"' "$T/b.json" ||
	fail "budget in JSON"

# bad input: exit 2, one error line naming the file
bad() {
	want=$1; shift
	"$RVTRAMP" report "$@" > /dev/null 2> "$T/err"
	rc=$?
	if [ $rc = 2 ] && grep -q "^rvtramp: error: $want" "$T/err"; then ok "report $*: exit 2"; else fail "report $*: exit $rc: $(cat "$T/err")"; fi
}
printf 'not an elf' > "$T/junk"
bad "$T/junk: " "$T/junk"
bad "$T/missing: " "$T/missing"
bad "$T/junk: " "$f" --baseline "$T/junk"
bad "$T/nodir/x: " "$f" -o "$T/nodir/x"
bad "" "$f" --format yaml
bad "" "$f" --max-overhead -3
finish
