#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The built package, unpacked into a throwaway root (dpkg -x, nothing is
# installed on the system): its rvtramp prints the version and the commit,
# rewrites a module fixture that then verifies, and the package carries the
# man page, bash completion and the kernel series.
#   deb_install.sh DEB FIXTURE.ko [COMMIT]
. "$(dirname "$0")/../lib.sh"
deb=${1:?usage: deb_install.sh DEB FIXTURE.ko [COMMIT]}
ko=${2:?usage: deb_install.sh DEB FIXTURE.ko [COMMIT]}
commit=${3:-}
command -v dpkg >/dev/null || skip "dpkg not found"
[ -e "$ko" ] || skip "fixture $ko not built"
root=$T/root
dpkg -x "$deb" "$root" || { fail "dpkg -x $deb"; finish; }
rv=$root/usr/bin/rvtramp
[ -x "$rv" ] || { fail "package has no usr/bin/rvtramp"; finish; }
for f in usr/share/man/man1/rvtramp.1.gz usr/share/bash-completion/completions/rvtramp \
	usr/share/rvtramp/linux-6.12/series usr/share/doc/rvtramp/copyright; do
	[ -e "$root/$f" ] || fail "package lacks /$f"
done
ver=$(dpkg-deb -f "$deb" Version)
v=$("$rv" --version) || fail "--version exit $?"
echo "$v" | grep -Eq "^rvtramp $ver \(git [0-9a-f]{7,40}(-dirty)?\)\$" ||
	fail "--version '$v' (package version $ver)"
[ -z "$commit" ] || [ "$v" = "rvtramp $ver (git $commit)" ] || fail "--version '$v', built from $commit"
"$rv" rewrite "$ko" -o "$T/out.ko" >"$T/rw" || fail "rewrite exit $?"
grep -Eq '^REWRITE out.ko: [1-9][0-9]* sites, [1-9][0-9]* rewritten' "$T/rw" || fail "rewrite said: $(cat "$T/rw")"
cmp -s "$ko" "$T/out.ko" && fail "rewrite changed nothing"
"$rv" verify "$T/out.ko" --against "$ko" >"$T/vf" || fail "verify exit $?: $(cat "$T/vf")"
ok "$v"
ok "$(cat "$T/rw")"
ok "$(cat "$T/vf")"
finish
