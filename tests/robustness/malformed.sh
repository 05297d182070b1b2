#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The malformed-input corpus (issue 7): make_malformed.py breaks one field or
# table of a valid fixture per case. For each case, `rvtramp sites`,
# `rvtramp rewrite -o` and `rvtramp verify` must print exactly one line
# `rvtramp: error: FILE: ...`, exit 2, leave the input byte-identical and
# create no output -- except where MANIFEST says otherwise:
#   plan  the plan refuses it (sites, rewrite exit 2); verify only locates and
#         may pass or fail the check (exit 0/1), without a crash
#   dup   duplicate table entries are not corrupt: the site is listed once,
#         the rewrite succeeds and verifies
#   skip  an entry the plan skips with a reason (odd address): sites shows
#         the reason, the rewrite succeeds and verifies
# A third MANIFEST field, when present, is text the error line must contain
# (a truncated file names the table or section that runs past the end).
. "$(dirname "$0")/common.sh"
need_rvtramp
need_fixtures
command -v python3 >/dev/null || skip "python3 not found"

C=$T/corpus
python3 "$HERE/make_malformed.py" "$FIXTURES" "$C" >/dev/null || { fail "make_malformed.py"; finish; }

count_sites() { # count_sites FILE: sites in the JSON listing, and distinct addresses
	"$RVTRAMP" sites --format json "$1" | python3 -c '
import json, sys
s = json.load(sys.stdin)["sites"]
print(len(s), len({(x.get("section"), x["address"]) for x in s}))'
}

n=0 nerr=0 nplan=0 ndup=0 nskip=0 nmsg=0
while read -r name kind want; do
	f=$C/$name
	before=$(sum "$f")
	rm -rf "$T/od"
	mkdir "$T/od"
	o=$T/od/out
	case $kind in
	error)
		expect_error "$name: sites" "$f" "" "$RVTRAMP" sites "$f"
		if [ -n "$want" ]; then
			if grep -qF -- "$want" "$T/stderr"; then
				nmsg=$((nmsg + 1))
			else
				fail "$name: error '$(cat "$T/stderr")' does not say '$want'"
			fi
		fi
		expect_error "$name: rewrite" "$f" "$o" "$RVTRAMP" rewrite "$f" -o "$o"
		expect_error "$name: verify" "$f" "" "$RVTRAMP" verify "$f"
		nerr=$((nerr + 1)) ;;
	plan)
		expect_error "$name: sites" "$f" "" "$RVTRAMP" sites "$f"
		expect_error "$name: rewrite" "$f" "$o" "$RVTRAMP" rewrite "$f" -o "$o"
		"$RVTRAMP" verify "$f" >"$T/stdout" 2>"$T/stderr"
		rc=$?
		if sanitized "$T/stderr" || [ "$rc" -gt 2 ]; then
			fail "$name: verify: exit $rc $(head -c 300 "$T/stderr")"
		fi
		nplan=$((nplan + 1)) ;;
	dup | skip)
		if [ "$kind" = dup ]; then
			orig=$FIXTURES/${name%%--*}
			set -- $(count_sites "$orig")
			want=$(($1 - 1))
			set -- $(count_sites "$f" 2>"$T/stderr")
			if [ "${1:-x}" != "$want" ] || [ "${2:-y}" != "$want" ]; then
				fail "$name: sites lists ${1:-?} sites (${2:-?} distinct), want $want once each"
			fi
			ndup=$((ndup + 1))
		else
			"$RVTRAMP" sites "$f" >"$T/stdout" 2>"$T/stderr" || fail "$name: sites: exit $?"
			"$RVTRAMP" rewrite "$f" -o "$o" >"$T/stdout" 2>"$T/stderr" &&
				grep -q ': site not rewritten: odd address$' "$T/stderr" ||
				fail "$name: rewrite does not report the skip: $(cat "$T/stdout" "$T/stderr")"
			rm -f "$o"
			nskip=$((nskip + 1))
		fi
		if "$RVTRAMP" rewrite -q "$f" -o "$o" 2>"$T/stderr"; then
			"$RVTRAMP" verify -q "$o" --against "$f" 2>"$T/stderr" ||
				fail "$name: the rewritten file does not verify: $(head -2 "$T/stderr")"
			rm -f "$o"
		else
			fail "$name: rewrite failed: $(head -2 "$T/stderr")"
		fi ;;
	*) fail "$name: unknown kind $kind" ;;
	esac
	[ "$(sum "$f")" = "$before" ] || fail "$name: the input changed"
	[ -z "$(ls -A "$T/od")" ] || fail "$name: files left in the output directory: $(ls -A "$T/od")"
	n=$((n + 1))
done <"$C/MANIFEST"
ok "$n malformed inputs: $nerr rejected by every command ($nmsg with the exact message), $nplan refused by the plan, $ndup duplicates accepted (listed once), $nskip skipped with a reason"
echo "malformed corpus: $n cases"
finish
