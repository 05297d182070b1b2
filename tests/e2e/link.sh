#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Objects and modules after a rewrite:
#  - rewritten .o files (=13, RVC, -mno-relax) link with riscv64-linux-gnu-ld
#    behind a 4-byte object (so a .text with sh_addralign < 8 would land at
#    4 mod 8); the linked image passes `rvtramp verify`, every __mcount_loc
#    entry points at a well-formed layout for its P mod 8 (crosscheck
#    check-table, layouts assembled with `as`), and `rvtramp sites` reports
#    every site disabled;
#  - the module-like mod13.ko rewritten: every .rela__patchable_function_entries
#    target is a well-formed layout, .rela.text is unchanged, a further
#    `ld -r` keeps that, and linking it gives a valid image as above.
. "$(dirname "$0")/common.sh"
need_cross
need_fixtures
need_rvtramp
need_cmd rewrite
need_cmd verify
LD="${CROSS}ld"
LDS="$HERE/../../fixtures/src/vmlinux.lds"
[ -e "$LDS" ] || skip "fixtures/src/vmlinux.lds not found"
KB="--defsym KERNEL_BASE=0xffffffff80000000"
printf '\t.option norvc\n\t.text\n\tnop\n' >"$T/pad4.s"
"${CROSS}as" -march=rv64gc -o "$T/pad4.o" "$T/pad4.s" || fail "as pad4"

image_ok() { # image_ok LABEL FILE
	if "$RVTRAMP" verify "$2" >"$T/v" 2>&1; then :; else
		fail "$1: rvtramp verify exit $?: $(head -3 "$T/v")"
	fi
	if res=$(xcheck check-table "$2"); then
		ok "$1: every table entry is a well-formed layout"
	else
		fail "$1:
$res"
	fi
	if "$RVTRAMP" sites "$2" --format json >"$T/s.json" 2>"$T/s.err"; then
		res=$(xcheck compare-sites "$2" "$T/s.json" disabled) || fail "$1: sites:
$res"
	else
		fail "$1: rvtramp sites: $(head -2 "$T/s.err")"
	fi
}

rela_text() { "${CROSS}readelf" -rW "$1" | awk '/^Relocation section/ { p = ($3 == "'"'"'.rela.text'"'"'") } p'; }

# --- objects -> linked image
for m in m1 m2; do
	"$RVTRAMP" rewrite "$FIXTURES/parts/$m.o" -o "$T/$m.o" -q 2>"$T/err" ||
		fail "rewrite $m.o: $(head -2 "$T/err")"
done
if [ -e "$T/m1.o" ] && [ -e "$T/m2.o" ]; then
	if $LD $KB -e m1_f00 -T "$LDS" "$T/pad4.o" "$T/m1.o" "$T/m2.o" -o "$T/linked" 2>"$T/err"; then
		image_ok "ld of rewritten objects" "$T/linked"
	else
		fail "ld of rewritten objects: $(head -3 "$T/err")"
	fi
fi

# --- an object whose .text had sh_addralign 2 (no forced padding): the
# rewrite must raise it to 8, or the layouts land at the wrong P mod 8
if "$RVTRAMP" rewrite "$FIXTURES/pfe13_rvc_nopad.o" -o "$T/nopad.o" -q 2>"$T/err"; then
	if $LD $KB -e s_f00 -T "$LDS" "$T/pad4.o" "$T/nopad.o" -o "$T/nopad" 2>"$T/err"; then
		image_ok "ld of a rewritten align-2 object behind 4 bytes" "$T/nopad"
	else
		fail "ld of the rewritten pfe13_rvc_nopad.o: $(head -3 "$T/err")"
	fi
else
	fail "rewrite pfe13_rvc_nopad.o: $(head -2 "$T/err")"
fi

# --- module-like ET_REL
ko="$FIXTURES/mod13.ko"
if "$RVTRAMP" rewrite "$ko" -o "$T/mod.ko" -q 2>"$T/err"; then
	if res=$(xcheck check-table "$T/mod.ko"); then
		ok "mod13.ko: every table relocation targets a well-formed layout"
	else
		fail "mod13.ko:
$res"
	fi
	rela_text "$ko" | tail -n +2 >"$T/r0"
	rela_text "$T/mod.ko" | tail -n +2 >"$T/r1"
	cmp -s "$T/r0" "$T/r1" || fail "mod13.ko: .rela.text changed"
	if $LD -r "$T/pad4.o" "$T/mod.ko" -o "$T/mod2.ko" 2>"$T/err"; then
		res=$(xcheck check-table "$T/mod2.ko") && ok "ld -r of the rewritten module keeps its table valid" ||
			fail "ld -r of the rewritten module:
$res"
		"$RVTRAMP" verify "$T/mod2.ko" >"$T/v" 2>&1 || fail "verify mod2.ko: exit $?: $(head -3 "$T/v")"
	else
		fail "ld -r of the rewritten module: $(head -3 "$T/err")"
	fi
	if $LD $KB -e m1_f00 -T "$LDS" "$T/pad4.o" "$T/mod.ko" -o "$T/modlinked" 2>"$T/err"; then
		image_ok "ld of the rewritten module" "$T/modlinked"
	else
		fail "ld of the rewritten module: $(head -3 "$T/err")"
	fi
else
	fail "rewrite mod13.ko: $(head -2 "$T/err")"
fi

# A module linked as riscv's CONFIG_MODULE_SECTIONS links it (ld -r with the
# kernel's module.lds): its .plt/.got placeholders get sh_addr != 0. The
# rewrite must treat the object's sections as offsets, keep those headers,
# and lay out the sites as in the plain module.
printf 'SECTIONS {\n\t.plt : { BYTE(0) }\n\t.got : { BYTE(0) }\n\t.got.plt : { BYTE(0) }\n}\n' >"$T/module.lds"
if $LD -r -T "$T/module.lds" "$ko" -o "$T/modsec.ko" 2>"$T/err"; then
	"${CROSS}readelf" -SW "$T/modsec.ko" | grep -q -E '\] \.plt +PROGBITS +0*[1-9a-f]' ||
		fail "fixture: .plt of modsec.ko has no address"
	if "$RVTRAMP" rewrite "$T/modsec.ko" -o "$T/modsec.rv.ko" --strict >"$T/out" 2>"$T/err"; then
		res=$(xcheck check-table "$T/modsec.rv.ko") && ok "module with addressed .plt/.got: table valid" ||
			fail "module with addressed .plt/.got:
$res"
		"${CROSS}readelf" -SW "$T/modsec.ko" | grep -E ' \.(plt|got)' >"$T/h0"
		"${CROSS}readelf" -SW "$T/modsec.rv.ko" | grep -E ' \.(plt|got)' >"$T/h1"
		cmp -s "$T/h0" "$T/h1" || fail "module with addressed .plt/.got: their headers changed"
	else
		fail "rewrite of a module with addressed .plt/.got: $(head -2 "$T/err")"
	fi
else
	fail "ld -r -T module.lds: $(head -3 "$T/err")"
fi
finish
