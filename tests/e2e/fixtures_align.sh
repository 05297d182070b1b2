#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The fixtures really have sites at every alignment mod 8 their ISA allows
# ({0,2,4,6} with RVC, {0,4} without), as readelf/objdump see them.
# Independent of rvtramp: guards the fixtures themselves.
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
for f in $ALL_FIXTURES; do
	[ -e "$FIXTURES/$f" ] || { fail "$f: fixture missing"; continue; }
	if "${CROSS}readelf" -h "$FIXTURES/$f" | grep -q 'Flags:.*RVC'; then
		want="0 2 4 6"
	else
		want="0 4"
	fi
	if out=$(xcheck check-align "$FIXTURES/$f" $want); then
		ok "$f: sites at $want mod 8"
	else
		fail "$out"
	fi
done
finish
