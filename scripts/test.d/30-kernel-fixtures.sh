#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Real Linux 6.12 riscv vmlinux images (stock =4 and =13), built by
# fixtures/kernel/build.sh (cached under ~/.cache/rvtramp), checked against
# the cross tools by tests/kernel/vmlinux_checks.py.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
for variant in stock pfe13; do
  echo "kernel fixture: $variant (building or reusing the cache)"
  start=$SECONDS
  vmlinux=$(bash "$top/fixtures/kernel/build.sh" "$variant" | tail -n 1)
  echo "  $vmlinux ($((SECONDS - start)) s)"
  python3 "$top/tests/kernel/vmlinux_checks.py" "$build/rvtramp" "$vmlinux" "$variant"
done
