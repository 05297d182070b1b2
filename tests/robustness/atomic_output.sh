#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Atomic output and the file system (issue 7).
#  - rewrite writes a temporary file beside the output and renames it into
#    place (--fsync also flushes; durability.sh checks the syncs): SIGKILL
#    at many points of a large rewrite (a synthetic vmlinux-like image,
#    RVT_BIG_FUNCS functions) leaves either no output / the old file, or
#    the complete output -- never a partial one. A stray
#    ".NAME.rvtramp-XXXXXX" temporary can remain after SIGKILL (nothing runs
#    to remove it); it never has the output's name, and is counted here.
#  - --in-place and -o keep the input's mode.
#  - read-only directory, full disk, output == input without --in-place,
#    a directory as input or output: one clear error line, exit 2, input
#    unchanged, nothing left behind.
# The read-only and full-disk cases need mount(8) (tests run as root); they
# are skipped with a note where mounting is not permitted.
. "$(dirname "$0")/common.sh"
need_rvtramp
need_fixtures
trap 'umount "$T/ro" "$T/full" 2>/dev/null; rm -rf "$T"' EXIT
for t in as ld; do command -v "${CROSS}$t" >/dev/null || skip "${CROSS}$t not found"; done

# --- a large input --------------------------------------------------------
N=${RVT_BIG_FUNCS:-60000}
python3 "$HERE/make_big_image.py" "$N" "$T/big.S" &&
	"${CROSS}as" -march=rv64gc -mabi=lp64d "$T/big.S" -o "$T/big.o" &&
	"${CROSS}ld" -Ttext=0xffffffff80000000 -e ftrace_caller "$T/big.o" -o "$T/big" ||
	{ fail "cannot build the large image"; finish; }
big=$T/big
chmod 0751 "$big"
bigsum=$(sum "$big")
start=$(date +%s%N)
"$RVTRAMP" rewrite -q "$big" -o "$T/ref" 2>"$T/err" || { fail "reference rewrite: $(cat "$T/err")"; finish; }
ms=$((($(date +%s%N) - start) / 1000000))
refsum=$(sum "$T/ref")
[ "$(stat -c %a "$T/ref")" = 751 ] || fail "-o output mode $(stat -c %a "$T/ref"), want the input's 751"
ok "large image: $N sites, $(stat -c %s "$big") bytes, rewrite takes ${ms} ms"

# --- SIGKILL at varied delays: -o to a fresh path, then over an old file --
KILLS=${RVT_KILLS:-40}
d=$T/kill
mkdir -p "$d"
complete=0 absent=0 old=0 strays=0 i=0
while [ $i -lt "$KILLS" ]; do
	# delays spread over 0 .. 1.2 x the measured run time
	delay_us=$((i * ms * 1200 / KILLS))
	out=$d/out
	rm -f "$d"/out "$d"/.out.rvtramp-*
	overwrite=$((i % 2))
	[ $overwrite = 1 ] && printf 'old contents\n' >"$out"
	"$RVTRAMP" rewrite -q "$big" -o "$out" 2>/dev/null &
	pid=$!
	sleep "$(printf '%d.%06d' $((delay_us / 1000000)) $((delay_us % 1000000)))"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	if [ -e "$out" ]; then
		s=$(sum "$out")
		if [ "$s" = "$refsum" ]; then
			complete=$((complete + 1))
		elif [ $overwrite = 1 ] && [ "$(cat "$out")" = "old contents" ]; then
			old=$((old + 1))
		else
			fail "kill $i after ${delay_us} us: partial or foreign output ($(stat -c %s "$out") bytes)"
		fi
	else
		[ $overwrite = 0 ] || fail "kill $i: the old output vanished"
		absent=$((absent + 1))
	fi
	for t in "$d"/.out.rvtramp-*; do [ -e "$t" ] && strays=$((strays + 1)); done
	[ "$(sum "$big")" = "$bigsum" ] || fail "kill $i: the input changed"
	i=$((i + 1))
done
ok "SIGKILL x$KILLS during -o: $complete complete, $absent no output, $old old file kept, 0 partial; $strays stray temporaries (unavoidable after SIGKILL)"

# --- SIGKILL during --in-place --------------------------------------------
complete=0 orig=0 i=0
while [ $i -lt "$KILLS" ]; do
	delay_us=$((i * ms * 1200 / KILLS))
	rm -f "$d"/* "$d"/.ip.rvtramp-* 2>/dev/null
	cp -p "$big" "$d/ip"
	"$RVTRAMP" rewrite -q --in-place "$d/ip" 2>/dev/null &
	pid=$!
	sleep "$(printf '%d.%06d' $((delay_us / 1000000)) $((delay_us % 1000000)))"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	case $(sum "$d/ip") in
	"$refsum") complete=$((complete + 1)) ;;
	"$bigsum") orig=$((orig + 1)) ;;
	*) fail "in-place kill $i after ${delay_us} us: the file is neither the original nor the output" ;;
	esac
	[ "$(stat -c %a "$d/ip")" = 751 ] || fail "in-place kill $i: mode $(stat -c %a "$d/ip")"
	i=$((i + 1))
done
ok "SIGKILL x$KILLS during --in-place: $complete rewritten, $orig original, 0 partial"

# --- --in-place keeps the mode -------------------------------------------
for mode in 755 640 600 4755; do
	cp "$FIXTURES/vmlinux13" "$T/m"
	chmod "$mode" "$T/m"
	"$RVTRAMP" rewrite -q --in-place "$T/m" 2>"$T/err" || fail "in-place $mode: $(cat "$T/err")"
	got=$(stat -c %a "$T/m")
	[ "$got" = "$mode" ] || fail "--in-place changed mode $mode to $got"
	[ -z "$(ls -A "$T" | grep rvtramp-)" ] || fail "in-place $mode: temporary left"
done
ok "--in-place keeps the mode (755 640 600 4755)"

in=$T/in.o
cp "$FIXTURES/pfe13_rvc.o" "$in"
insum=$(sum "$in")
# --- output path equal to the input without --in-place --------------------
expect_error "output == input" "$in" "$in" "$RVTRAMP" rewrite "$in" -o "$in"
(cd "$T" && expect_error "output == ./input" "in.o" "./in.o" "$RVTRAMP" rewrite in.o -o ./in.o)
ln "$in" "$T/hardlink.o"
expect_error "output is a hard link of the input" "$in" "$T/hardlink.o" "$RVTRAMP" rewrite "$in" -o "$T/hardlink.o"
ln -s in.o "$T/symlink.o"
expect_error "output is a symlink to the input" "$in" "$T/symlink.o" "$RVTRAMP" rewrite "$in" -o "$T/symlink.o"
[ "$(sum "$in")" = "$insum" ] || fail "output == input: the input changed"
ok "output path equal to the input: refused"

# --- a directory as input or output ---------------------------------------
mkdir "$T/dir"
expect_error "sites DIR" "$T/dir" "" "$RVTRAMP" sites "$T/dir"
expect_error "rewrite DIR" "$T/dir" "$T/o" "$RVTRAMP" rewrite "$T/dir" -o "$T/o"
expect_error "verify DIR" "$T/dir" "" "$RVTRAMP" verify "$T/dir"
expect_error "rewrite -o DIR" "$in" "$T/dir" "$RVTRAMP" rewrite "$in" -o "$T/dir"
[ ! -e "$T/o" ] && [ -z "$(ls -A "$T/dir")" ] || fail "directory cases left files"
ok "a directory as input or output: refused"

# --- read-only directory ----------------------------------------------------
ro=$T/ro
mkdir "$ro"
if mount -t tmpfs -o size=4m tmpfs "$ro" 2>/dev/null; then
	cp "$in" "$ro/in.o"
	if mount -o remount,ro "$ro" 2>/dev/null; then
		expect_error "read-only dir -o" "$in" "$ro/out.o" "$RVTRAMP" rewrite "$in" -o "$ro/out.o"
		expect_error "read-only dir --in-place" "$ro/in.o" "$ro/in.o" "$RVTRAMP" rewrite --in-place "$ro/in.o"
		[ "$(sum "$ro/in.o")" = "$insum" ] || fail "read-only: the input changed"
		[ "$(ls -A "$ro")" = "in.o" ] || fail "read-only: files appeared: $(ls -A "$ro")"
		grep -q 'Read-only file system' "$T/stderr" || fail "read-only: message does not say why: $(cat "$T/stderr")"
		ok "read-only directory: refused ($(cat "$T/stderr"))"
	else
		echo "note: cannot remount read-only; read-only case not run"
	fi
	umount "$ro"
else
	echo "note: mount -t tmpfs not permitted; read-only and full-disk cases not run"
fi

# --- full disk --------------------------------------------------------------
full=$T/full
mkdir "$full"
if mount -t tmpfs -o size=64k tmpfs "$full" 2>/dev/null; then
	expect_error "full disk" "$FIXTURES/prog" "$full/prog" "$RVTRAMP" rewrite "$FIXTURES/prog" -o "$full/prog"
	grep -q 'No space left' "$T/stderr" || fail "full disk: message does not say why: $(cat "$T/stderr")"
	[ -z "$(ls -A "$full")" ] || fail "full disk: files left: $(ls -A "$full")"
	msg=$(cat "$T/stderr")
	# an old output on the full disk stays as it was
	printf 'old\n' >"$full/prog"
	expect_error "full disk, old output" "$FIXTURES/prog" "$full/prog" "$RVTRAMP" rewrite "$FIXTURES/prog" -o "$full/prog"
	[ "$(cat "$full/prog")" = old ] || fail "full disk: the old output changed"
	[ "$(ls -A "$full")" = prog ] || fail "full disk: files left: $(ls -A "$full")"
	umount "$full"
	ok "full disk (64 KiB tmpfs): refused ($msg)"
fi
[ "$(sum "$in")" = "$insum" ] || fail "the input changed"
finish
