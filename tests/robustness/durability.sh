#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The output's durability, seen by strace:
#  - by default (as cp, objcopy and ld) rewrite makes no fsync at all: the
#    temporary is written and renamed into place, once;
#  - with --fsync the temporary is flushed before the rename and the
#    directory after it (fsync(temp) < rename < fsync(dir));
#  - both write the same bytes and leave no temporary behind.
# The atomicity without fsync (SIGKILL at any point) is atomic_output.sh.
. "$(dirname "$0")/common.sh"
need_rvtramp
need_fixtures
command -v strace >/dev/null || skip "strace not found"
in=$FIXTURES/mod13.ko
[ -e "$in" ] || skip "fixture mod13.ko not built"
mkdir -p "$T/d"

trace() { # trace LOG ARGS...: rewrite under strace, fd paths resolved (-y)
	tr_log=$1; shift
	# LeakSanitizer cannot run under ptrace (the ASan build of this suite).
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -y -qq -e trace=fsync,fdatasync,syncfs,sync,sync_file_range,rename,renameat,renameat2 \
		-o "$tr_log" "$RVTRAMP" rewrite "$in" -q "$@" || fail "rewrite $* exit $?"
}

trace "$T/plain.log" -o "$T/d/plain.ko"
n_sync=$(grep -cE 'fsync|fdatasync|syncfs|sync\(|sync_file_range' "$T/plain.log")
n_rename=$(grep -cE 'rename' "$T/plain.log")
[ "$n_sync" = 0 ] && ok "default: no fsync" || { cat "$T/plain.log"; fail "default: $n_sync syncs"; }
[ "$n_rename" = 1 ] && ok "default: one rename" || fail "default: $n_rename renames"
grep -q "rename.*\.plain\.ko\.rvtramp-.*plain\.ko" "$T/plain.log" ||
	fail "default: not renamed from the temporary: $(cat "$T/plain.log")"

trace "$T/sync.log" -o "$T/d/sync.ko" --fsync
cat "$T/sync.log"
# line numbers of: fsync of the temporary, the rename, fsync of the directory
l_file=$(grep -nE 'fsync\([0-9]+</[^>]*\.sync\.ko\.rvtramp-' "$T/sync.log" | head -1 | cut -d: -f1)
l_ren=$(grep -nE 'rename' "$T/sync.log" | head -1 | cut -d: -f1)
l_dir=$(grep -nE "fsync\([0-9]+<$T/d>" "$T/sync.log" | head -1 | cut -d: -f1)
if [ -n "$l_file" ] && [ -n "$l_ren" ] && [ -n "$l_dir" ] && [ "$l_file" -lt "$l_ren" ] && [ "$l_ren" -lt "$l_dir" ]; then
	ok "--fsync: fsync(temp) line $l_file < rename line $l_ren < fsync(dir) line $l_dir"
else
	fail "--fsync: want fsync(temp) < rename < fsync(dir), got '$l_file' '$l_ren' '$l_dir'"
fi

cmp -s "$T/d/plain.ko" "$T/d/sync.ko" && ok "same bytes with and without --fsync" ||
	fail "--fsync changed the output bytes"
cmp -s "$in" "$T/d/plain.ko" && fail "rewrite changed nothing"
left=$(ls -A "$T/d" | grep -c rvtramp- || true)
[ "$left" = 0 ] && ok "no temporary left" || fail "$left temporaries left in $T/d"
finish
