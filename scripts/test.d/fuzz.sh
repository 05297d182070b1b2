#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Fuzz smoke test: each libFuzzer target for a short bounded time
# (RVTRAMP_FUZZ_SECONDS, default 60) in its own build directory beside $1
# (default <build>-fuzz). Long runs are done by hand: scripts/fuzz 36000.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
if ! command -v clang++-14 >/dev/null; then
	echo "skipped: clang++-14 not installed (libFuzzer targets need it)"
	exit 0
fi
export RVTRAMP_FUZZ_BUILD=${RVTRAMP_FUZZ_BUILD:-${build%/}-fuzz}
exec "$top/scripts/fuzz" "${RVTRAMP_FUZZ_SECONDS:-60}"
