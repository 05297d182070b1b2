#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Imports point one way: cli -> driver -> passes -> rewriter. A quoted
# #include in a layer may name a file of its own layer or a lower one, never
# a higher one (rewriter/ includes nothing from passes/, driver/ or cli/).
#   check_includes.sh SOURCE_DIR     exit 0 when clean, 1 listing each offence
set -eu
top=${1:?usage: check_includes.sh SOURCE_DIR}
layers="rewriter passes driver cli"
rank() { # layer index of a path under $top, or -1
  i=0
  for l in $layers; do
    case $1 in "$top/$l/"*) echo $i; return ;; esac
    i=$((i + 1))
  done
  echo -1
}
bad=0
for layer in $layers; do
  [ -d "$top/$layer" ] || continue
  mine=$(rank "$top/$layer/")
  for f in $(find "$top/$layer" -name '*.h' -o -name '*.cpp' | sort); do
    # Every quoted include, resolved as the compiler may: beside the file, or
    # under any layer's directory (each library exports its own).
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
      for cand in "$(dirname "$f")/$inc" $(for l in $layers; do echo "$top/$l/$inc"; done); do
        [ -f "$cand" ] || continue
        real=$(realpath "$cand")
        r=$(rank "$real")
        if [ "$r" -gt "$mine" ]; then
          echo "layering: ${f#"$top"/} includes \"$inc\" (${real#"$top"/}): $layer must not depend on a layer above it"
          bad=1
          break
        fi
      done
    done
  done
done
exit $bad
