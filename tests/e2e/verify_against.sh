#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# verify --against must catch any changed byte outside the rewritten regions:
# flip bytes of the rewritten vmlinux13 at offsets spread over .text and the
# table section; outside every [S, S+26) region verify must exit 1, inside it
# the layout check decides (a flipped layout byte must also fail).
. "$(dirname "$0")/common.sh"
need_cross; need_fixtures; need_rvtramp; need_cmd verify
"$RVTRAMP" rewrite "$FIXTURES/vmlinux13" -o "$T/v.rv" -q || fail "rewrite exited $?"
"$RVTRAMP" sites "$FIXTURES/vmlinux13" --format json > "$T/sites.json"
python3 - "$RVTRAMP" "$FIXTURES/vmlinux13" "$T" <<'PY' || fail "verify --against missed a change"
import json, subprocess, sys
rvtramp, orig, tmp = sys.argv[1:4]
out = subprocess.run(["riscv64-linux-gnu-readelf", "-SW", orig], capture_output=True, text=True).stdout
text_off = text_size = None
others = {}
for line in out.splitlines():
    f = line.replace("[ ", "[").split()
    if len(f) > 5 and f[1] == ".text":
        text_off, text_size = int(f[4], 16), int(f[5], 16)
    if len(f) > 5 and f[1] in ("__mcount_loc", ".rodata", ".data") and f[2] != "NOBITS":
        others[f[1]] = (int(f[4], 16), int(f[5], 16))
sites = json.load(open(f"{tmp}/sites.json"))["sites"]
regions = [(s["offset"], s["offset"] + 26) for s in sites if s["section"] == ".text"]
base = open(f"{tmp}/v.rv", "rb").read()
outside = caught = 0
for off in range(1, text_size, 53):
    d = bytearray(base)
    d[text_off + off] ^= 0x5a
    open(f"{tmp}/bad", "wb").write(d)
    r = subprocess.run([rvtramp, "verify", f"{tmp}/bad", "--against", orig], capture_output=True, text=True)
    inside = any(a <= off < b for a, b in regions)
    if not inside:
        outside += 1
        caught += r.returncode == 1
        if r.returncode != 1:
            print(f"missed .text+{off:#x}: exit {r.returncode}")
assert outside >= 20 and caught == outside, f"{caught}/{outside}"
# Outside .text nothing may change but the table entries of rewritten sites,
# and a flipped entry no longer names its trampoline: every flip in the table
# (and in data, where the image has any) must fail (exit 1 or 2).
assert "__mcount_loc" in others, f"sections found: {sorted(others)}"
flips = 0
for name, (off0, size) in sorted(others.items()):
    for off in range(3, size, max(size // 12, 1)):
        d = bytearray(base)
        d[off0 + off] ^= 0x21
        open(f"{tmp}/bad", "wb").write(d)
        r = subprocess.run([rvtramp, "verify", f"{tmp}/bad", "--against", orig], capture_output=True, text=True)
        flips += 1
        assert r.returncode in (1, 2), f"missed {name}+{off:#x}: exit {r.returncode}"
print(f"ok: {caught}/{outside} changes outside the regions caught, {flips}/{flips} in tables and data")
PY
finish
