#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The whole CTest suite under AddressSanitizer + UndefinedBehaviorSanitizer:
# a second build directory (default <build>-asan beside $1, or
# RVTRAMP_ASAN_BUILD), RelWithDebInfo, -DRVTRAMP_SANITIZE=ON (which also
# passes -fno-sanitize-recover=all), and the sanitizers set to stop at the
# first report. Every test runs the sanitized rvtramp.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
asan=${RVTRAMP_ASAN_BUILD:-${build%/}-asan}
if [ ! -f "$asan/build.ninja" ]; then
	cmake -S "$top" -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DRVTRAMP_SANITIZE=ON ${RVTRAMP_CMAKE_FLAGS:-} >/dev/null
fi
cmake --build "$asan"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir "$asan" --output-on-failure -j2 --timeout 1200
