#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Semantic check under qemu-riscv64 with the `prog` fixture (static, =13,
# RVC, sites at every alignment mod 8, 8-argument functions):
#  - rewritten --state enabled --dest count_tramp: the per-function counts
#    seen by count_tramp (ip = t0 - 24) equal the real call counts measured
#    by the function bodies (`prog --real`), no trampoline call misses a
#    table entry, and the checksum of all return values is unchanged;
#  - rewritten --state disabled: output identical to the original program.
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp
need_qemu
need_cmd rewrite
prog="$FIXTURES/prog"

"$QEMU" "$prog" >"$T/orig.txt" 2>&1 || fail "original prog exit $?"
"$QEMU" "$prog" --real >"$T/real.txt" 2>&1 || fail "original prog --real exit $?"
grep -q '^f23 ' "$T/real.txt" || fail "unexpected prog output: $(head -3 "$T/real.txt")"

if "$RVTRAMP" rewrite "$prog" -o "$T/prog.en" --state enabled --dest count_tramp -q 2>"$T/err"; then
	chmod +x "$T/prog.en"
	"$QEMU" "$T/prog.en" >"$T/en.txt" 2>&1 || fail "enabled prog exit $?: $(tail -3 "$T/en.txt")"
	if diff "$T/real.txt" "$T/en.txt" >"$T/diff"; then
		ok "enabled: traced counts == real counts for $(grep -c '^f' "$T/real.txt") functions, checksum unchanged"
	else
		fail "enabled: traced counts differ from real counts:
$(head -20 "$T/diff")"
	fi
else
	fail "rewrite --state enabled: $(head -2 "$T/err")"
fi

if "$RVTRAMP" rewrite "$prog" -o "$T/prog.dis" --state disabled --dest count_tramp -q 2>"$T/err"; then
	chmod +x "$T/prog.dis"
	"$QEMU" "$T/prog.dis" >"$T/dis.txt" 2>&1 || fail "disabled prog exit $?"
	if diff "$T/orig.txt" "$T/dis.txt" >"$T/diff"; then
		ok "disabled: output identical to the original"
	else
		fail "disabled: output differs from the original:
$(head -20 "$T/diff")"
	fi
else
	fail "rewrite --state disabled: $(head -2 "$T/err")"
fi
finish
