#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# install.tree: see CMakeLists.txt. Environment: BUILD_DIR, SOURCE_DIR,
# VERSION, FIXTURES.
. "$(dirname "$0")/../lib.sh"
: "${BUILD_DIR:?}" "${SOURCE_DIR:?}" "${VERSION:?}"
P=$T/prefix
cmake --install "$BUILD_DIR" --prefix "$P" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "cmake --install failed"; finish; }
(cd "$P" && find . -type f -o -type l | sort) >"$T/tree"
cat "$T/tree"
for f in ./bin/rvtramp ./share/man/man1/rvtramp.1 ./share/bash-completion/completions/rvtramp; do
	grep -qxF "$f" "$T/tree" || fail "not installed: $f"
done
rv=$P/bin/rvtramp
[ -x "$rv" ] || { fail "bin/rvtramp not executable"; finish; }

# --version: the project version and the commit the tree is at.
v=$("$rv" --version) || fail "--version exit $?"
echo "$v" | grep -Eq "^rvtramp $VERSION \(git [0-9a-f]{7,40}(-dirty)?\)\$" || fail "--version: '$v'"
if command -v git >/dev/null && git -C "$SOURCE_DIR" rev-parse HEAD >/dev/null 2>&1; then
	c=$(git -C "$SOURCE_DIR" rev-parse --short=12 HEAD)
	[ -n "$(git -C "$SOURCE_DIR" status --porcelain --untracked-files=no)" ] && c=$c-dirty
	# The build records the commit when it runs: a commit made since then
	# (without a rebuild) is a stale build, not a wrong --version.
	built=$(sed -n 's/^#define RVTRAMP_GIT_COMMIT "\(.*\)"$/\1/p' "$BUILD_DIR/generated/version.h" 2>/dev/null)
	if [ "$v" = "rvtramp $VERSION (git $c)" ]; then
		ok "--version: $v"
	elif [ -n "$built" ] && [ "$built" != "$c" ] && [ "$v" = "rvtramp $VERSION (git $built)" ]; then
		echo "note: the build is at $built, the tree at $c (rebuild to compare); --version: $v"
	else
		fail "--version '$v', tree at $c, build recorded '${built}'"
	fi
fi

# The kernel series, file for file as in the source tree.
if diff -r "$SOURCE_DIR/kernel/linux-6.12" "$P/share/rvtramp/linux-6.12" >"$T/diff"; then
	ok "share/rvtramp/linux-6.12 equals kernel/linux-6.12 ($(ls "$P/share/rvtramp/linux-6.12" | wc -l) files)"
else
	cat "$T/diff"; fail "installed series differs from kernel/linux-6.12"
fi

# The man page: no warnings from groff or man, and every long option that
# --help lists is documented (a new option without a man entry fails here).
man1=$P/share/man/man1/rvtramp.1
if command -v groff >/dev/null; then
	groff -man -ww -Z "$man1" >/dev/null 2>"$T/groff.err" || fail "groff exit $?"
	[ -s "$T/groff.err" ] && { cat "$T/groff.err"; fail "groff warnings"; } || ok "groff -man -ww -Z: no warnings"
else
	echo "skipped: groff not found (man page render check)"
fi
if command -v man >/dev/null; then
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man1" >"$T/man.txt" 2>"$T/man.err" || fail "man -l exit $?"
	[ -s "$T/man.err" ] && { cat "$T/man.err"; fail "man -l warnings"; } || ok "man -l: no warnings"
	grep -q "rvtramp $VERSION" "$T/man.txt" || fail "man page does not name version $VERSION"
	for cmd in sites rewrite verify report; do
		for opt in $("$rv" $cmd --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			[ "$opt" = --help ] && continue
			grep -qF -- "$opt" "$T/man.txt" || fail "man page lacks '$cmd $opt'"
		done
	done
	ok "man page documents every option of --help"
else
	echo "skipped: man not found (man page checks)"
fi

# README: each subcommand's row of the command table names every long
# option of its --help (a new option without a README entry fails here, as
# for the man page and the completion).
readme=$SOURCE_DIR/README.md
for cmd in sites rewrite verify report; do
	rowtext=$(grep -E "^\| \`rvtramp $cmd " "$readme")
	[ -n "$rowtext" ] || { fail "README command table has no row for $cmd"; continue; }
	for opt in $("$rv" $cmd --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		[ "$opt" = --help ] && continue
		case $rowtext in *"$opt"*) ;; *) fail "README command table lacks '$cmd $opt'" ;; esac
	done
done
grep -qE '^\| `rvtramp help' "$readme" || fail "README command table has no help row"
ok "README command table documents every option of --help"

# bash completion: subcommands, and every long option of rewrite --help.
comp=$P/share/bash-completion/completions/rvtramp
if command -v bash >/dev/null; then
	got=$(bash -c '. "$1"; COMP_WORDS=(rvtramp re); COMP_CWORD=1; _rvtramp; echo "${COMPREPLY[*]}"' _ "$comp")
	[ "$got" = "rewrite report" ] && ok "completion: re -> $got" || fail "completion of 're': '$got'"
	for cmd in sites rewrite verify report; do
		got=$(bash -c '. "$1"; COMP_WORDS=(rvtramp "$2" --); COMP_CWORD=2; _rvtramp; echo "${COMPREPLY[*]}"' _ "$comp" $cmd)
		for opt in $("$rv" $cmd --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			case " $got " in *" $opt "*) ;; *) fail "completion of '$cmd --' lacks $opt" ;; esac
		done
	done
	ok "completion offers every long option"
else
	echo "skipped: bash not found (completion check)"
fi

# One rewrite with the installed binary.
if [ -n "${FIXTURES:-}" ] && [ -e "$FIXTURES/mod13.ko" ]; then
	"$rv" rewrite "$FIXTURES/mod13.ko" -o "$T/mod13.ko" >"$T/rw.out" || fail "rewrite exit $?"
	grep -q '^REWRITE mod13.ko: [1-9][0-9]* sites, [1-9][0-9]* rewritten' "$T/rw.out" || fail "rewrite: $(cat "$T/rw.out")"
	"$rv" verify "$T/mod13.ko" --against "$FIXTURES/mod13.ko" -q || fail "verify of the rewrite exit $?"
	cmp -s "$T/mod13.ko" "$FIXTURES/mod13.ko" && fail "rewrite changed nothing"
	ok "installed rvtramp: $(cat "$T/rw.out")"
else
	echo "skipped: fixtures not built (installed rewrite)"
fi
finish
