#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# CTest layering.includes: the tree obeys cli -> driver -> passes -> rewriter,
# and the check does catch a violation (a copy with rewriter/ including a
# passes/ header and passes/ including the driver must fail, naming both).
set -eu
src=${SOURCE_DIR:?}
here=$(dirname "$0")
sh "$here/check_includes.sh" "$src"
echo "ok: $src obeys cli -> driver -> passes -> rewriter"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in rewriter passes driver cli; do cp -r "$src/$d" "$tmp/$d"; done
printf '#include "passes.h"\n' >> "$tmp/rewriter/site.cpp"
printf '#include "../driver/pipeline.h"\n' >> "$tmp/passes/plan.cpp"
if out=$(sh "$here/check_includes.sh" "$tmp"); then
  echo "FAIL: the check accepted rewriter/site.cpp including passes.h" >&2
  exit 1
fi
echo "$out"
echo "$out" | grep -q 'rewriter/site.cpp includes "passes.h" (passes/passes.h)' ||
  { echo "FAIL: rewriter/site.cpp not named" >&2; exit 1; }
echo "$out" | grep -q 'passes/plan.cpp includes "../driver/pipeline.h" (driver/pipeline.h)' ||
  { echo "FAIL: passes/plan.cpp not named" >&2; exit 1; }
echo "ok: an injected upward include is caught"
