#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Bad tables and outputs (issue 4, "Bad input"), on copies of vmlinux13 with
# one __mcount_loc entry changed:
#  - an entry outside any executable section (it points into the table):
#    sites / rewrite / verify print one line `rvtramp: error: FILE: ...`,
#    exit 2, no output file;
#  - an entry at ordinary code (not nops, not a layout): rewrite skips that
#    site (intact, counted, with its reason) and rewrites the others;
#    --strict exits 1;
#  - an output directory that does not exist: one error line, exit 2.
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp
need_cmd rewrite
src="$FIXTURES/vmlinux13"

# set_entry IN OUT WHAT: entry 0 of __start_mcount_loc := WHAT
#   outside: __start_mcount_loc itself; code: _etext - 10 (inside the last function)
set_entry() {
	PYTHONPATH="$HERE" python3 - "$@" <<'PY'
import sys
from crosscheck import file_offset, symbol_value
p, out, what = sys.argv[1:4]
b = bytearray(open(p, "rb").read())
start = symbol_value(p, "__start_mcount_loc")
v = start if what == "outside" else symbol_value(p, "_etext") - 10
at = file_offset(p, start)
b[at:at + 8] = v.to_bytes(8, "little")
open(out, "wb").write(b)
PY
}

one_error() { # one_error LABEL FILE RC ERRFILE
	if [ "$3" != 2 ]; then
		fail "$1: exit $3, want 2 ($(head -2 "$4"))"
	elif [ "$(wc -l <"$4")" != 1 ] || ! grep -q "^rvtramp: error: $2: ." "$4"; then
		fail "$1: stderr is not one 'rvtramp: error: $2: ...' line: $(head -3 "$4")"
	else
		ok "$1: $(cat "$4")"
	fi
}

set_entry "$src" "$T/outside" outside
"$RVTRAMP" sites "$T/outside" >/dev/null 2>"$T/err"
one_error "sites, entry outside text" "$T/outside" $? "$T/err"
mkdir "$T/od"
"$RVTRAMP" rewrite "$T/outside" -o "$T/od/x" 2>"$T/err"
one_error "rewrite, entry outside text" "$T/outside" $? "$T/err"
[ -z "$(ls -A "$T/od")" ] || fail "rewrite, entry outside text: left $(ls -A "$T/od")"
"$RVTRAMP" verify "$T/outside" >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] || [ $rc = 1 ] || fail "verify, entry outside text: exit $rc"

set_entry "$src" "$T/code" code
"$RVTRAMP" rewrite "$T/code" -o "$T/code.out" -q 2>"$T/err"
rc=$?
if [ $rc = 0 ]; then
	# the other 65 sites are rewritten as assembled, the bad one is intact
	if res=$(xcheck check-rewrite "$T/code" "$T/code.out" --state disabled \
		--dest "$(sym "$src" ftrace_caller)" 2>&1); then
		ok "entry at code: skipped, others rewritten ($res)"
	else
		fail "entry at code: $res"
	fi
else
	fail "rewrite with one entry at ordinary code: exit $rc, want 0 (site skipped as 'not nops'): $(head -2 "$T/err")"
fi
"$RVTRAMP" rewrite "$T/code" -o "$T/code.strict" --strict -q >/dev/null 2>&1
rc=$?
[ $rc = 1 ] || fail "rewrite --strict with one entry at ordinary code: exit $rc, want 1"

"$RVTRAMP" rewrite "$src" -o "$T/no/such/dir/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q '^rvtramp: error: ' "$T/err" ||
	fail "output in a missing directory: exit $rc: $(head -2 "$T/err")"
finish
