#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The command line as users try it (issue 24): help and version spelled the
# usual ways, usage errors on one line with ranges in words, failed writes
# naming the path and the reason, a rewrite whose --report cannot be written
# leaving no output, and a module cut short naming the table that runs past
# the end. Messages are asserted whole.
. "$(dirname "$0")/common.sh"
need_fixtures
need_rvtramp
v13=$FIXTURES/vmlinux13
mod=$FIXTURES/mod13.ko

# help and version: exit 0, on stdout
for args in "help" "-h" "--help" "help rewrite" "rewrite -h" "report --help"; do
	"$RVTRAMP" $args >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc = 0 ] && grep -q '^Usage:' "$T/out" && [ ! -s "$T/err" ]; then :; else
		fail "'rvtramp $args': exit $rc, stderr '$(head -1 "$T/err")'"
	fi
done
"$RVTRAMP" help rewrite | grep -q -- '--verbose' || fail "'help rewrite' is not rewrite's help"
for v in -V --version; do
	out=$("$RVTRAMP" $v) && echo "$out" | grep -Eq '^rvtramp [0-9.]+ \(git [0-9a-f]+(-dirty)?\)$' ||
		fail "'rvtramp $v': '$out'"
done
ok "help, -h, --help, help SUBCOMMAND, -V, --version"

# usage errors: exit 2, one line, the message whole
usage() { # usage 'ARGS' 'MESSAGE'
	"$RVTRAMP" $1 >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && [ "$(cat "$T/err")" = "$2" ] && [ ! -s "$T/out" ]; then
		ok "rvtramp $1: $2"
	else
		fail "rvtramp $1: exit $rc, stderr '$(cat "$T/err")', want '$2'"
	fi
}
usage "" "rvtramp: error: A subcommand is required (rvtramp --help)"
usage "no-such-command" "rvtramp: error: no subcommand 'no-such-command' (sites, rewrite, verify, report, help) (rvtramp --help)"
usage "help nope" "rvtramp: error: help: no subcommand 'nope' (sites, rewrite, verify, report)"
usage "report $v13 --max-overhead -5" "rvtramp: error: --max-overhead: -5 is not a percentage of 0 or more (rvtramp report --help)"
usage "report $v13 --max-overhead lots" "rvtramp: error: --max-overhead: 'lots' is not a number (rvtramp report --help)"
usage "report $v13 --top -1" "rvtramp: error: --top: -1 is not a count of 0 or more (rvtramp report --help)"
usage "rewrite $v13 -o $T/x --reserved 1" "rvtramp: error: --reserved: 1 is not a byte count from 2 to 64 (rvtramp rewrite --help)"
usage "rewrite $v13 --bogus" "rvtramp: error: The following argument was not expected: --bogus (rvtramp rewrite --help)"
usage "sites $v13 --format yaml" "rvtramp: error: --format: yaml not in {text,json} (rvtramp sites --help)"
usage "rewrite $v13" "rvtramp: error: $v13: rewrite needs -o OUT or --in-place"

# failed writes name the path and the system's reason
usage "report $v13 -o $T/nodir/r.html" "rvtramp: error: $T/nodir/r.html: cannot create output in $T/nodir: No such file or directory"
usage "rewrite $v13 -o $T/nodir/v.rv" "rvtramp: error: $T/nodir/v.rv: cannot create output in $T/nodir: No such file or directory"
if [ -w /dev/full ]; then
	usage "report $v13 -o /dev/full" "rvtramp: error: /dev/full: cannot write: No space left on device"
fi
# a report written to a symbolic link (as /dev/stdout is one) goes through
# it: the link is not replaced
: >"$T/target"
ln -s "$T/target" "$T/link"
"$RVTRAMP" report "$v13" -o "$T/link" || fail "report -o LINK: exit $?"
[ -L "$T/link" ] && grep -q '^rvtramp report: ' "$T/target" && ok "report -o LINK writes through the link" ||
	fail "report -o LINK replaced the link or wrote nothing"

# rewrite --report that cannot be written: exit 2, one line, no output left
mkdir "$T/od"
usage "rewrite $v13 -o $T/od/v.rv --report $T/nodir/plan.json" "rvtramp: error: $T/nodir/plan.json: cannot create output in $T/nodir: No such file or directory"
[ -z "$(ls -A "$T/od")" ] && ok "rewrite with an unwritable --report leaves no output" ||
	fail "rewrite with an unwritable --report left: $(ls -A "$T/od")"
"$RVTRAMP" rewrite "$v13" -o "$T/od/v.rv" --report "$T/od/plan.json" -q || fail "rewrite --report: exit $?"
[ -s "$T/od/v.rv" ] && [ -s "$T/od/plan.json" ] && [ "$(ls -A "$T/od" | wc -l)" = 2 ] ||
	fail "rewrite --report: $(ls -A "$T/od")"

# a module cut short: which table runs past the end, and by how much
size=$(wc -c <"$mod")
half=$((size / 2))
head -c "$half" "$mod" >"$T/cut.ko"
"$RVTRAMP" sites "$T/cut.ko" >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 2 ] && grep -qxE "rvtramp: error: $T/cut.ko: section header table \(offset 0x[0-9a-f]+, [0-9]+ bytes: [0-9]+ entries of 64 bytes\) extends [0-9]+ bytes past the end of the file \($half bytes\)" "$T/err"; then
	ok "truncated module: $(cat "$T/err")"
else
	fail "truncated module: exit $rc: $(cat "$T/err")"
fi
grep -q "no section headers" "$T/err" && fail "truncated module still says 'no section headers'"
finish
