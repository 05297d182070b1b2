#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Bad input: empty file, not an ELF, x86-64 ELF (host cc), big-endian,
# truncated at every header boundary, section headers past the end,
# missing file.  Every command must print exactly one line
# `rvtramp: error: FILE: ...` on stderr, nothing on stdout, exit 2, and
# (rewrite) create no output file.  Also bad usage exits 2.
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp

src="$FIXTURES/pfe13_rvc.o"
B="$T/bad"
mkdir -p "$B"
: >"$B/empty"
printf 'this is not an ELF file\n' >"$B/text"
printf '\177ELF' >"$B/magic-only"
# ELF header fields of the source object, from readelf
shoff=$("${CROSS}readelf" -h "$src" | awk '/Start of section headers/ { print $5 }')
size=$(wc -c <"$src")
for n in 1 4 16 18 20 24 32 40 48 52 58 63 64 65 128 $((shoff)) $((shoff + 64)) $((size - 64)) $((size - 1)); do
	head -c "$n" "$src" >"$B/trunc-$n"
done
# RV32: truncated inside its (52-byte) header and section headers
src32="$FIXTURES/pfe13_rv32c.o"
size32=$(wc -c <"$src32")
for n in 36 51 $((size32 - 1)); do
	head -c "$n" "$src32" >"$B/trunc32-$n"
done
# big-endian: EI_DATA = ELFDATA2MSB
cp "$src" "$B/bigendian"
printf '\002' | dd of="$B/bigendian" bs=1 seek=5 conv=notrunc 2>/dev/null
# section headers past the end: e_shoff (offset 0x28, 8 bytes LE) = size + 4096
cp "$src" "$B/shoff-past-end"
python3 - "$B/shoff-past-end" "$size" <<'PY'
import sys
p, size = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
b[0x28:0x30] = (size + 4096).to_bytes(8, "little")
open(p, "wb").write(b)
PY
# e_shnum far beyond the file
cp "$src" "$B/shnum-huge"
printf '\377\177' | dd of="$B/shnum-huge" bs=1 seek=60 conv=notrunc 2>/dev/null
# x86-64 object from the host compiler
if command -v cc >/dev/null && echo 'int f(void){return 1;}' >"$T/x.c" &&
	cc -c "$T/x.c" -o "$B/x86-64.o" 2>/dev/null &&
	"${CROSS}readelf" -h "$B/x86-64.o" | grep -q 'X86-64'; then
	:
else
	echo "note: no host x86-64 cc, x86-64 case not run"
fi

check_one() { # check_one LABEL FILE CMD...
	label=$1 file=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	if [ "$rc" != 2 ]; then
		fail "$label: exit $rc, want 2 ($(head -2 "$T/err"))"
	elif [ "$lines" != 1 ]; then
		fail "$label: $lines stderr lines, want 1: $(head -3 "$T/err")"
	elif ! grep -q "^rvtramp: error: $file: ." "$T/err"; then
		fail "$label: stderr '$(cat "$T/err")' is not 'rvtramp: error: $file: ...'"
	elif [ -s "$T/out" ]; then
		fail "$label: printed on stdout: $(head -2 "$T/out")"
	else
		return 0
	fi
	return 1
}

have_rewrite=0
"$RVTRAMP" rewrite --help >/dev/null 2>&1 && have_rewrite=1
have_verify=0
"$RVTRAMP" verify --help >/dev/null 2>&1 && have_verify=1

n=0
for f in "$B"/* "$B/does-not-exist"; do
	name=$(basename "$f")
	check_one "sites $name" "$f" "$RVTRAMP" sites "$f" &&
		check_one "sites --format json $name" "$f" "$RVTRAMP" sites "$f" --format json &&
		n=$((n + 1))
	if [ $have_rewrite = 1 ]; then
		rm -rf "$T/od"
		mkdir "$T/od"
		check_one "rewrite $name" "$f" "$RVTRAMP" rewrite "$f" -o "$T/od/o"
		[ -z "$(ls -A "$T/od")" ] || fail "rewrite $name: files left in the output directory: $(ls -A "$T/od")"
	fi
	[ $have_verify = 1 ] && check_one "verify $name" "$f" "$RVTRAMP" verify "$f"
done
ok "$n bad inputs rejected with one error line and exit 2"
[ $have_rewrite = 1 ] || echo "note: rvtramp has no rewrite yet, only sites checked"

# bad usage
for args in "" "sites" "no-such-command" "sites $src --format yaml"; do
	"$RVTRAMP" $args >/dev/null 2>"$T/err"
	rc=$?
	[ "$rc" = 2 ] || fail "'rvtramp $args': exit $rc, want 2"
done
"$RVTRAMP" --version >"$T/out" 2>&1 || fail "--version exit $?"
"$RVTRAMP" --help >"$T/out" 2>&1 || fail "--help exit $?"
finish
