#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# scripts/kernel-lib.sh run_guest/dump_harts, which the kernel scripts use
# so that a hung guest leaves every hart's backtrace, on two bare-metal
# guests of qemu-system-riscv64 -bios none: one that powers off at once
# (QEMU's status, no dump) and one whose harts spin after pointing stvec
# at their handle_exception, booted 2 MiB above the address its symbol file
# was linked at, like a KASLR kernel (a timeout, 124, and a dump naming the
# spinning function through the offset read from stvec).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/common.sh"
need_cross
SYSQEMU=${SYSQEMU:-qemu-system-riscv64}
command -v "$SYSQEMU" >/dev/null || skip "$SYSQEMU not found"
command -v "${RVTRAMP_GDB:-gdb-multiarch}" >/dev/null || skip "${RVTRAMP_GDB:-gdb-multiarch} not found"
die() { fail "$*"; finish; }
cross=$CROSS
. "$HERE/../../scripts/kernel-lib.sh"

cat >"$T/spin.S" <<'S'
	.globl _start
_start:
	la	t0, handle_exception
	csrw	stvec, t0
spin_here:
	j	spin_here
	.balign	4
handle_exception:
	j	handle_exception
S
cat >"$T/off.S" <<'S'
	.globl _start
_start:			/* QEMU virt's test device: 0x5555 powers off */
	li	t0, 0x100000
	li	t1, 0x5555
	sw	t1, 0(t0)
1:	j	1b
S
for f in spin off; do
	"${CROSS}as" -march=rv64gc -o "$T/$f.o" "$T/$f.S" || die "as $f.S"
done
"${CROSS}ld" -Ttext=0x80000000 -o "$T/spin.elf" "$T/spin.o" || die "ld spin (booted)"
"${CROSS}ld" -Ttext=0x7fe00000 -o "$T/spin-syms.elf" "$T/spin.o" || die "ld spin (symbols)"
"${CROSS}ld" -Ttext=0x80000000 -o "$T/off.elf" "$T/off.o" || die "ld off"
guest=("$SYSQEMU" -M virt -smp 2 -m 64M -bios none -nographic -no-reboot)

run_guest 60 "$T/off.elf" "$T/off.log" "${guest[@]}" -kernel "$T/off.elf"
rc=$?
[ $rc = 0 ] || fail "powering-off guest: status $rc, want 0: $(head -3 "$T/off.log")"
[ -e "$T/off.log.harts" ] && fail "a guest that exited in time was dumped"
[ $rc = 0 ] && [ ! -e "$T/off.log.harts" ] && ok "exiting guest: status 0, no dump"

run_guest 3 "$T/spin-syms.elf" "$T/spin.log" "${guest[@]}" -kernel "$T/spin.elf"
rc=$?
[ $rc = 124 ] || fail "spinning guest: status $rc, want 124"
h=$T/spin.log.harts
if [ -e "$h" ]; then
	grep -q 'offset 0x200000 ' "$h" || fail "offset not read from stvec: $(head -1 "$h")"
	n=$(grep -c '^spin_here in section \.text' "$h")
	[ "$n" = 4 ] || fail "want 2 harts x 2 snapshots at spin_here, got $n: $(cat "$h")"
	threads=$(grep -c 'Thread 1\.[12] ' "$h")
	[ "$threads" -ge 4 ] || fail "want both harts in both snapshots: $(cat "$h")"
	[ "$FAILED" = 0 ] && ok "spinning guest: status 124, both harts at spin_here+0 in both snapshots, offset 0x200000"
else
	fail "no dump of the spinning guest"
fi
finish
