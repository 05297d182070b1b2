#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Concurrent runs (issue 7): many rvtramp processes at once on distinct
# outputs, as make -j does for modules, all succeed and give byte-identical
# results to serial runs; and several processes racing to the SAME output
# (each renames its own complete temporary) leave one complete output and no
# temporaries.
. "$(dirname "$0")/common.sh"
need_rvtramp
need_fixtures
COPIES=${RVT_CONCURRENT_COPIES:-4}
inputs="pfe4_rvc.o pfe12_rvc.o pfe13_rvc.o pfe13_norvc.o pfe13_rvc_nopad.o pfe13_rv32c.o
	pfe13_rv32.o mod13.ko vmlinux13 vmlinux4 vmlinux13_initdata vmlinux13_rv32 prog"
mkdir "$T/serial" "$T/par"
for f in $inputs; do
	"$RVTRAMP" rewrite -q "$FIXTURES/$f" -o "$T/serial/$f" 2>"$T/err" || fail "serial $f: $(cat "$T/err")"
done
pids="" n=0
for c in $(seq "$COPIES"); do
	for f in $inputs; do
		"$RVTRAMP" rewrite -q "$FIXTURES/$f" -o "$T/par/$f.$c" 2>"$T/par/$f.$c.err" &
		pids="$pids $!:$f.$c"
		n=$((n + 1))
	done
done
bad=0
for p in $pids; do
	wait "${p%%:*}" || { fail "parallel ${p#*:}: exit $?: $(cat "$T/par/${p#*:}.err")"; bad=$((bad + 1)); }
done
for c in $(seq "$COPIES"); do
	for f in $inputs; do
		cmp -s "$T/serial/$f" "$T/par/$f.$c" || fail "parallel $f.$c differs from the serial output"
	done
done
[ -z "$(ls -A "$T/par" | grep rvtramp-)" ] || fail "temporaries left: $(ls -A "$T/par" | grep rvtramp-)"
ok "$n concurrent rewrites ($COPIES x $(echo $inputs | wc -w) inputs): $((n - bad)) succeeded, all byte-identical to serial runs"

# Racing to one output path.
pids=""
for c in $(seq 8); do
	"$RVTRAMP" rewrite -q "$FIXTURES/vmlinux13" -o "$T/same" 2>"$T/same.$c.err" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "racing writer $p failed"; done
cmp -s "$T/serial/vmlinux13" "$T/same" || fail "racing writers: the output is not the complete result"
[ -z "$(ls -A "$T" | grep rvtramp-)" ] || fail "racing writers left temporaries"
ok "8 rewrites racing to one output: one complete output, no temporaries"
finish
