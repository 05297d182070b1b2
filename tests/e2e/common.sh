# SPDX-License-Identifier: GPL-2.0-only
# Sourced by every e2e test.  Environment (set by CMake, overridable):
#   RVTRAMP   path of the rvtramp binary
#   FIXTURES  directory of the built fixtures (fixtures/CMakeLists.txt)
#   CROSS     RISC-V binutils prefix (riscv64-linux-gnu-)
#   QEMU      qemu-riscv64
# A missing tool or fixture makes the test print "skipped: <reason>" and
# exit 77 (SKIP_RETURN_CODE).
. "$(dirname "$0")/../lib.sh"
: "${QEMU:=qemu-riscv64}"
xcheck() { python3 "$HERE/crosscheck.py" "$@"; }

need_cross() {
	command -v python3 >/dev/null || skip "python3 not found"
	for t in readelf objdump as ld nm; do
		command -v "${CROSS}$t" >/dev/null || skip "${CROSS}$t not found"
	done
}
need_fixtures() {
	[ -n "$FIXTURES" ] && [ -e "$FIXTURES/pfe13_rvc.o" ] ||
		skip "fixtures not built in '${FIXTURES}' (riscv64-linux-gnu-gcc missing?)"
}
# need_cmd rewrite|verify: skip while the subcommand does not exist yet
need_cmd() {
	"$RVTRAMP" "$1" --help >/dev/null 2>&1 || skip "rvtramp has no '$1' subcommand yet"
}
need_qemu() {
	command -v "$QEMU" >/dev/null || skip "$QEMU not found"
}
# sym FILE NAME: value of symbol NAME as 0x..., from nm
sym() {
	"${CROSS}nm" "$1" | awk -v n="$2" '$3 == n { print "0x" $1; exit }'
}

# Fixtures, by kind.
OBJECTS="pfe4_rvc.o pfe4_norvc.o pfe12_rvc.o pfe12_norvc.o pfe13_rvc.o pfe13_norvc.o
	pfe13_rvc_nopad.o pfe13_rvc_relax.o pg_rvc.o pfe13_rv32c.o pfe13_rv32.o"
MODULES="mod13.ko"
IMAGES="vmlinux13 vmlinux4 vmlinux13_initdata vmlinux13_rv32 prog toggle"
ALL_FIXTURES="$OBJECTS $MODULES $IMAGES"
