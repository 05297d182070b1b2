#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The Debian package: dpkg-buildpackage -us -uc -b on a copy of the tree (its
# build runs CTest's quick subset), lintian must report no errors, then
# tests/package/deb_install.sh unpacks the .deb into a throwaway root and runs
# --version and one rewrite with it. The .deb and logs are kept in BUILD/deb/.
#   scripts/test.d/package.sh [BUILD]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
for t in dpkg-buildpackage dh lintian; do
  command -v $t >/dev/null || { echo "skipped: $t not found (scripts/bootstrap installs it)"; exit 0; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/rvt-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/rvtramp
mkdir -p "$src"
# The tracked and new files as they are now (not build trees), and the commit
# they are at, which --version reports (dist/version.cmake reads .git-commit).
commit=unknown
if git -C "$top" rev-parse HEAD >/dev/null 2>&1; then
  git -C "$top" ls-files -z -co --exclude-standard |
    (cd "$top" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
    tar -C "$top" --null -T - -cf - | tar -C "$src" -xf -
  commit=$(git -C "$top" rev-parse --short=12 HEAD)
  [ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] || commit=$commit-dirty
  printf '# SPDX-License-Identifier: GPL-2.0-only\n%s\n' "$commit" >"$src/.git-commit"
else
  tar -C "$top" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$src" -xf -
  commit=
fi
jobs=$(nproc 2>/dev/null || echo 2)
echo "dpkg-buildpackage -us -uc -b -j$jobs in $src"
start=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -us -uc -b -j"$jobs") >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log"
  echo "FAIL: dpkg-buildpackage"
  exit 1
fi
echo "built in $(($(date +%s) - start)) s; log tail:"
tail -12 "$work/build.log"
grep -E '^[0-9]+% tests passed|tests passed, ' "$work/build.log" || { echo "FAIL: no CTest run in the package build"; exit 1; }
debs=("$work"/rvtramp_*.deb)
[ -e "${debs[0]}" ] || { echo "FAIL: no rvtramp_*.deb"; exit 1; }
changes=("$work"/rvtramp_*.changes)
echo "lintian ${changes[0]##*/}:"
lintian --fail-on error -I "${changes[0]}" | tee "$work/lintian.txt" || { echo "FAIL: lintian errors"; exit 1; }
echo "lintian: $(grep -c '^E:' "$work/lintian.txt" || true) errors, $(grep -c '^W:' "$work/lintian.txt" || true) warnings"
mkdir -p "$build/deb"
cp "${debs[@]}" "$work/build.log" "$work/lintian.txt" "$build/deb/"
sh "$top/tests/package/deb_install.sh" "${debs[0]}" "$build/fixtures/mod13.ko" ${commit:+"$commit"}
