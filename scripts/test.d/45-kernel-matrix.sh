#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The cheap subset of the series' build matrix (scripts/kernel-matrix --ci):
# configurations the series must not break although they do not use it,
# each built with and without the series; 0 errors, 0 new warnings.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
RVTRAMP="$build/rvtramp" exec bash "$top/scripts/kernel-matrix" --ci
