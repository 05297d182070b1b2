# SPDX-License-Identifier: GPL-2.0-only
# Shared by the scripts/kernel-* boot scripts (sourced; the caller defines
# die()).

# The WARN of stock 6.12's failing kprobe event selftest: with
# KPROBES_ON_FTRACE a kprobe on a traced function's entry (its ftrace site) is
# refused. Stock's known failure, reported and not held against it.
stock_kprobe_warning='WARNING: .* at kernel/trace/trace_kprobe.c'

# The kernel's own ftrace startup selftests, from a console log: prints
# "<passed> <problems>". Every "Testing ..." must be answered by a PASSED
# (or OK, for the event and filter tests); the answer may come on a later
# line when other output interrupts the printk continuation. Problems are
# FAILED answers, unanswered tests, and a log without any test.
selftests() { # log
	tr -d '\r' <"$1" | sed 's/^\[ *[0-9.]*\] //' | awk '
		{ n = gsub(/Testing /, "&"); tests += n }
		/FAILED/ { bad += gsub(/FAILED/, "&") }
		/PASSED/ { passed += gsub(/PASSED/, "&") }
		n && /: OK$/ { passed++ }
		!n && /^OK$/ { passed++ }
		END {
			if (!tests || passed < tests) bad += tests - passed + !tests
			printf "%d %d\n", passed, bad
		}'
}

# A device tree for one boot with a fresh /chosen/kaslr-seed, which 6.12
# riscv reads for CONFIG_RANDOMIZE_BASE (QEMU's virt board has none): the
# patched kernel is relocatable and randomized, so every boot runs it at
# another address. Stock is not randomized and ignores it. RVTRAMP_QEMU
# names another qemu-system-riscv64 (default: the one in PATH).
mkdtb() { # log smp [mem] -> dtb path
	local dtb=$1.dtb smp=$2 mem=${3:-512M}
	"${RVTRAMP_QEMU:-qemu-system-riscv64}" -M virt,dumpdtb="$dtb" -smp "$smp" -m "$mem" -nographic -bios default \
		>/dev/null 2>&1 || die "qemu could not dump the virt device tree"
	# shellcheck disable=SC2046 # two 32-bit cells
	fdtput -t x "$dtb" /chosen kaslr-seed $(od -An -N8 -tx4 /dev/urandom) ||
		die "fdtput kaslr-seed failed"
	echo "$dtb"
}

# The kernel tree's usr/gen_init_cpio, built for the host into OUT (an O=
# build directory has the sources behind its "source" link).
build_gen_init_cpio() { # tree out
	local src=$1/usr/gen_init_cpio.c
	[ -e "$src" ] || src=$1/source/usr/gen_init_cpio.c
	gcc -O2 -o "$2" "$src" || die "cannot build gen_init_cpio from $src"
}
