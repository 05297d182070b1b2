# SPDX-License-Identifier: GPL-2.0-only
# The shell test harness, sourced through each suite's common.sh (e2e,
# report, robustness): a temp dir removed at exit, skip (exit 77) / fail /
# ok / finish. Environment (set by CMake, overridable): RVTRAMP, FIXTURES,
# CROSS.
set -u
: "${RVTRAMP:=}" "${FIXTURES:=}" "${CROSS:=riscv64-linux-gnu-}"
export CROSS
HERE=$(cd "$(dirname "$0")" && pwd)
TEST=$(basename "$0" .sh)
FAILED=0
T=$(mktemp -d "${TMPDIR:-/tmp}/rvt-$TEST.XXXXXX")
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

skip() { echo "skipped: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILED=1; }
ok() { echo "ok: $*"; }
finish() {
	if [ "$FAILED" != 0 ]; then echo "$TEST: FAILED"; exit 1; fi
	echo "$TEST: passed"; exit 0
}
need_rvtramp() {
	[ -n "$RVTRAMP" ] && [ -x "$RVTRAMP" ] || skip "rvtramp not built ('${RVTRAMP}')"
}
