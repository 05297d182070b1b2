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

# Every hart of a hung guest, through QEMU's gdbstub on PORT: the pc and ra
# as symbol+offset and a backtrace (source lines when VMLINUX has debug
# info). A relocated (KASLR) kernel's symbols are moved by stvec minus
# handle_exception's link address: the kernel points stvec there once it
# runs. Two snapshots ten seconds apart: harts that do not move are stuck
# in place, harts that move are looping (a livelock, not a deadlock).
dump_harts() { # vmlinux port
	local vmlinux=$1 port=$2 gdb=${RVTRAMP_GDB:-gdb-multiarch} link stvec off=0 snap
	command -v "$gdb" >/dev/null || { echo "dump_harts: $gdb not found"; return 1; }
	link=$("${cross:-riscv64-linux-gnu-}nm" "$vmlinux" 2>/dev/null | awk '$3 == "handle_exception" { print "0x" $1; exit }')
	stvec=$(timeout 60 "$gdb" -q -batch -ex "target remote 127.0.0.1:$port" -ex 'p/x $stvec' 2>/dev/null |
		awk '/^\$1 = 0x/ { print $3 }')
	# KASLR moves the kernel up by a multiple of 2 MiB, less than 1 GiB; an
	# stvec that gives anything else is firmware's or early boot's
	if [ -n "$link" ] && [ -n "$stvec" ]; then
		off=$((stvec - link))
		[ $off -ge 0 ] && [ $off -lt $((1 << 30)) ] && [ $((off & 0x1fffff)) = 0 ] || off=0
	fi
	printf 'dump_harts: %s, offset %#x (stvec %s, handle_exception %s)\n' \
		"$vmlinux" "$off" "${stvec:-?}" "${link:-?}"
	for snap in 1 2; do
		echo "--- snapshot $snap ($(date -u +%T))"
		timeout 300 "$gdb" -q -batch -ex 'set pagination off' -ex 'set confirm off' \
			-ex "symbol-file -o $off $vmlinux" -ex "target remote 127.0.0.1:$port" \
			-ex 'info threads' -ex 'thread apply all info symbol $pc' \
			-ex 'thread apply all info symbol $ra' -ex 'thread apply all bt 32' 2>&1 |
			grep -v '^warning: No executable\|^determining executable\|^Reading symbols'
		[ $snap = 1 ] && sleep 10
	done
	firmware_harts "$port"
}

# A hart in M-mode (priv 3) that entered it by an ecall from S-mode
# (mcause 9) with a7 = SBI RFENCE is waiting in the firmware's remote fence:
# the OpenSBI RFENCE/HSM race of kernel/linux-6.12/README.md ("Lockdep and
# CPU hotplug"), not a kernel hang. One line per such hart.
firmware_harts() { # port
	local gdb=${RVTRAMP_GDB:-gdb-multiarch}
	# shellcheck disable=SC2016 # $priv, $mcause, $a7 are gdb's, not the shell's
	timeout 120 "$gdb" -q -batch -ex "target remote 127.0.0.1:$1" \
		-ex 'thread apply all p/x $priv' -ex 'thread apply all p/x $mcause' \
		-ex 'thread apply all p/x $a7' 2>/dev/null |
		awk '/^Thread [0-9]+ / { t = $2; next }
		     /^\$[0-9]+ = / { v[t, n[t]++] = $3 }
		     END { for (h in n) if (v[h, 0] == "0x3" && v[h, 1] == "0x9" && v[h, 2] == "0x52464e43")
			printf "dump_harts: firmware: CPU#%d (gdb thread %d) in M-mode in SBI RFENCE (ecall from S-mode)\n", h - 1, h }'
}

# The QEMU that boots guests, in qemu, and its -bios argument, in qemu_bios:
# $RVTRAMP_QEMU (and $RVTRAMP_QEMU_BIOS), else trixie's QEMU 10.0 that
# scripts/bootstrap unpacks into the cache (its OpenSBI 1.6), else the one in
# PATH with a warning. Bookworm's QEMU 7.2 with its OpenSBI 1.1 has left a
# hart spinning in the firmware for minutes, after the selftests of an -smp 8
# boot and in the lockdep hotplug loop (kernel/linux-6.12/README.md).
pick_qemu() {
	qemu=${RVTRAMP_QEMU:-}
	qemu_bios=${RVTRAMP_QEMU_BIOS:-default}
	if [ -z "$qemu" ]; then
		qemu=${RVTRAMP_CACHE:-$HOME/.cache/rvtramp}/qemu-trixie/qemu-system-riscv64
		if [ ! -x "$qemu" ]; then
			echo "warning: no $qemu (scripts/bootstrap unpacks it): booting with the QEMU in PATH" >&2
			qemu=qemu-system-riscv64
		fi
	fi
	command -v "$qemu" >/dev/null || die "$qemu not found (see scripts/bootstrap)"
}

# PATH without the directories that hold an rvtramp: the machine a headers
# package lands on (kernel-e2e's and kernel-debian's module builds).
path_without_rvtramp() {
	local d out='' dirs
	IFS=: read -r -a dirs <<<"$PATH"
	for d in "${dirs[@]}"; do [ -x "$d/rvtramp" ] || out+=${out:+:}$d; done
	echo "$out"
}

# The modules scripts/kernel-debian's trim keeps (config/debian-modules.config),
# by name: QEMU virt's virtio drivers, 9p, ext4, and what Debian's systemd
# loads at boot. Debian's own image is booted with these (and their
# dependencies) from its package.
# shellcheck disable=SC2034 # used by the scripts that source this file
debian_module_names="virtio_mmio virtio_blk virtio_net scsi_mod virtio_scsi sd_mod virtio-rng
virtio_balloon virtio_input vsock vmw_vsock_virtio_transport virtio_crypto
qemu_fw_cfg 9pnet 9pnet_virtio 9p ext4 autofs4 configfs loop dm-mod binfmt_misc"

# The kernel image of Debian's own package unpacked at ROOT
# (RVTRAMP_BOOTSTRAP_DEBIAN=1 scripts/bootstrap): ROOT/boot/vmlinux-RELEASE.
debian_image() { # root -> image path
	local image
	image=$(ls "$1"/boot/vmlinux-* 2>/dev/null | head -n 1) || true
	[ -n "$image" ] || die "no Debian kernel in $1: RVTRAMP_BOOTSTRAP_DEBIAN=1 scripts/bootstrap"
	echo "$image"
}

# The modules Debian's own kernel package (unpacked at ROOT, release
# RELEASE) has for NAMES, with their dependencies, copied as Debian ships
# them (xz, signed) into DEST/lib/modules/RELEASE with a modules.order and
# depmod's files; the list of the package's files goes to DEST.list.
debian_package_modules() { # root release dest names...
	local root=$1 release=$2 dest=$3 mods f rel m
	shift 3
	mods=$root/usr/lib/modules/$release
	mkdir -p "$dest/lib/modules/$release"
	[ -e "$mods/modules.dep" ] || depmod -b "$root/usr" "$release" || die "depmod of Debian's tree failed"
	for m in "$@"; do
		modprobe -d "$root/usr" -S "$release" --show-depends "$m" || die "Debian's $release has no module $m"
	done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' >"$dest.list"
	while read -r f; do
		rel=${f#"$mods"/}
		mkdir -p "$dest/lib/modules/$release/${rel%/*}"
		cp "$f" "$dest/lib/modules/$release/$rel"
		echo "${rel%.xz}"
	done <"$dest.list" >"$dest/lib/modules/$release/modules.order"
	cp "$mods"/modules.builtin* "$dest/lib/modules/$release/"
	depmod -b "$dest" "$release" || die "depmod of $dest failed"
}

# A gen_init_cpio list on stdout: /dev/console, /sys, /proc, /tmp, each
# NAME=PATH as an executable /NAME, then everything below ROOT/lib (the
# modules an INSTALL_MOD_PATH=ROOT modules_install or a copy put there).
initramfs_list() { # root name=path...
	local root=$1 f
	shift
	printf 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\n'
	printf 'dir /sys 0755 0 0\ndir /proc 0755 0 0\ndir /tmp 01777 0 0\n'
	for f in "$@"; do echo "file /${f%%=*} ${f#*=} 0755 0 0"; done
	(cd "$root" && find lib -type d | sort | sed 's#^#dir /#; s#$# 0755 0 0#')
	(cd "$root" && find lib -type f | sort | while read -r f; do echo "file /$f $root/$f 0644 0 0"; done)
	(cd "$root" && find lib -type l | sort | while read -r f; do
		echo "slink /$f $(readlink "$f") 0777 0 0"; done)
}

# whether $qemu can boot a riscv guest under -icount: bookworm's QEMU 7.2
# prints nothing there, 8 and later do
qemu_icount_ok() {
	! "$qemu" --version | head -n 1 | grep -q 'version [1-6]\.\|version 7\.'
}

# Runs a guest: "$@" is the QEMU command line, given a gdbstub on a free
# local port. Console to LOG. When it has not exited after TIMEOUT seconds,
# dump_harts writes LOG.harts before the guest is killed. Returns QEMU's
# status, or 124 for a timeout (as timeout(1) does).
run_guest() { # timeout vmlinux log qemu args...
	local limit=$1 vmlinux=$2 log=$3 port q end
	shift 3
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
		die "no free local port for the gdbstub"
	rm -f "$log.harts" # an earlier hang's, which would name this run
	"$@" -gdb "tcp:127.0.0.1:$port" </dev/null >"$log" 2>&1 &
	q=$!
	end=$((SECONDS + limit))
	while kill -0 $q 2>/dev/null; do
		if [ $SECONDS -ge "$end" ]; then
			dump_harts "$vmlinux" "$port" >"$log.harts" 2>&1
			kill $q 2>/dev/null
			sleep 5
			kill -9 $q 2>/dev/null
			wait $q
			return 124
		fi
		sleep 1
	done
	wait $q
}
