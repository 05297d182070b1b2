#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The kernel proof: the patched Linux 6.12 (PREEMPT=y, rewritten by this
# build's rvtramp) booted under QEMU -smp 4 with the ftrace stress /init, and
# the stock kernel through the same stress for comparison.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
RVTRAMP="$build/rvtramp" exec bash "$top/scripts/kernel-e2e"
