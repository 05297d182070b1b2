# SPDX-License-Identifier: GPL-2.0-only
# Sourced by every report test. Environment (set by CMake, overridable):
#   RVTRAMP, FIXTURES, CROSS as for tests/e2e; CHROMIUM (chromium binary).
# A missing tool or fixture makes the test print "skipped: <reason>" and exit 77.
. "$(dirname "$0")/../lib.sh"
check() { python3 "$HERE/check_report.py" "$@"; }
need_all() {
	command -v python3 >/dev/null || skip "python3 not found"
	for t in readelf objdump nm; do
		command -v "${CROSS}$t" >/dev/null || skip "${CROSS}$t not found"
	done
	[ -n "$FIXTURES" ] && [ -e "$FIXTURES/vmlinux13" ] ||
		skip "fixtures not built in '${FIXTURES}' (riscv64-linux-gnu-gcc missing?)"
	[ -n "$RVTRAMP" ] && [ -x "$RVTRAMP" ] || skip "rvtramp not built ('${RVTRAMP}')"
	"$RVTRAMP" report --help >/dev/null 2>&1 || skip "rvtramp has no 'report' subcommand"
}
# Fixtures the figures are checked on (those present).
REPORT_FIXTURES="vmlinux13 vmlinux4 vmlinux13_initdata vmlinux13_rv32 prog toggle
	mod13.ko pfe13_rvc.o pfe4_rvc.o pfe12_norvc.o pfe13_rvc_nopad.o pfe13_rvc_relax.o
	pg_rvc.o pfe13_rv32c.o"
