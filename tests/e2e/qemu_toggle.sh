#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Live toggling under qemu-riscv64 (`toggle` fixture): rewritten --state
# disabled --dest count_tramp, 3 threads call every function in loops while
# the main thread flips every site between disabled and enabled (one
# aligned 4-byte store of the toggle word) and retargets it between
# count_tramp and count_tramp2 (one aligned 8-byte store of the literal),
# FLIPS times; then checks: no crash, traced <= real per function, no miss,
# and with all sites enabled a fixed batch is counted exactly.
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp
need_qemu
need_cmd rewrite
FLIPS=${FLIPS:-2000}
tog="$FIXTURES/toggle"

# the unmodified program must notice that it is not rewritten
"$QEMU" "$tog" 10 >"$T/orig.txt" 2>&1
rc=$?
[ $rc = 3 ] || fail "unrewritten toggle: exit $rc, want 3: $(head -2 "$T/orig.txt")"

if "$RVTRAMP" rewrite "$tog" -o "$T/toggle" --state disabled --dest count_tramp -q 2>"$T/err"; then
	chmod +x "$T/toggle"
	if "$QEMU" "$T/toggle" "$FLIPS" >"$T/out.txt" 2>&1; then
		ok "$(tail -1 "$T/out.txt")"
	else
		fail "toggle exit $?: $(head -10 "$T/out.txt")"
	fi
else
	fail "rewrite toggle: $(head -2 "$T/err")"
fi
finish
