# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the robustness tests. Environment (set by CMake):
#   RVTRAMP    the rvtramp binary under test
#   FIXTURES   built fixtures (fixtures/CMakeLists.txt)
#   CROSS      RISC-V binutils prefix
# A missing tool or fixture: "skipped: <reason>", exit 77.
. "$(dirname "$0")/../lib.sh"
need_fixtures() {
	[ -n "$FIXTURES" ] && [ -e "$FIXTURES/pfe13_rvc.o" ] && [ -e "$FIXTURES/vmlinux13" ] ||
		skip "fixtures not built in '$FIXTURES' (riscv64-linux-gnu-gcc missing?)"
}
sum() { sha256sum "$1" | cut -d' ' -f1; }
# sanitized: a sanitizer report in FILE (the ASan build exits 1 on a report)
sanitized() { grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$1"; }

# expect_error LABEL INPUT OUTPUT_OR_EMPTY CMD...: exit 2, exactly one line
# "rvtramp: error: FILE: ..." (FILE the input or the output), nothing on stdout.
expect_error() {
	ee_label=$1 ee_in=$2 ee_out=$3
	shift 3
	"$@" >"$T/stdout" 2>"$T/stderr"
	rc=$?
	if sanitized "$T/stderr"; then
		fail "$ee_label: sanitizer report: $(grep -m1 -E 'ERROR|runtime error' "$T/stderr")"
	elif [ "$rc" != 2 ]; then
		fail "$ee_label: exit $rc, want 2 ($(head -c 300 "$T/stderr"))"
	elif [ "$(wc -l <"$T/stderr")" != 1 ]; then
		fail "$ee_label: $(wc -l <"$T/stderr") stderr lines, want 1: $(head -3 "$T/stderr")"
	elif ! grep -qE "^rvtramp: error: ($(printf "%s" "$ee_in" | sed 's/[.[\*^$/]/\\&/g')${ee_out:+|$(printf "%s" "$ee_out" | sed 's/[.[\*^$/]/\\&/g')}): ." "$T/stderr"; then
		fail "$ee_label: stderr '$(cat "$T/stderr")' is not 'rvtramp: error: FILE: ...'"
	elif [ -s "$T/stdout" ]; then
		fail "$ee_label: printed on stdout: $(head -c 200 "$T/stdout")"
	else
		return 0
	fi
	return 1
}
