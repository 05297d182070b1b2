#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Boot logs of scripts/kernel-distro --initcall-debug -> a breakdown.

Usage: initcalls.py KERNEL=LOG [KERNEL=LOG ...] > distro-initcalls.md

Each log is a boot with initcall_debug: every built-in initcall prints
"initcall NAME+0x../0x.. returned R after N usecs" (module init functions
add " [module]"). The breakdown gives, per kernel, the guest time from
reset to the first initcall (start_kernel: memory, ftrace_init(), the
scheduler), the built-in initcalls' sum and the ftrace selftests' share of
it, the gaps to /init, the modules' init functions and the power-off; then
every built-in initcall whose time differs between the kernels, the
largest spread first. Guest times under TCG follow the host's load: the
kernels compared should boot at the same time on the same host.
"""
import re
import sys

STAMP = re.compile(r"^\[ *([0-9]+\.[0-9]+)\] (.*)$")
RETURNED = re.compile(r"^initcall (\S+?)\+0x[0-9a-f]+/0x[0-9a-f]+( \[(\S+)\])? "
                      r"returned (-?[0-9]+) after ([0-9]+) usecs")
CALLING = re.compile(r"^calling  \S+")
# what the ftrace startup selftests run from (kernel/trace/*.c)
SELFTEST = re.compile(r"self_?tests?")
TOP = 30


def parse(path):
    """-> dict of phase times (s) and {initcall: usecs} of the built-in ones"""
    builtin, modules = {}, 0
    first = init_at = last = None
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            m = STAMP.match(line)
            if not m:
                continue
            t, text = float(m.group(1)), m.group(2)
            last = t
            if first is None and CALLING.match(text):
                first = t
            if init_at is None and text.startswith("Run /init as init process"):
                init_at = t
            r = RETURNED.match(text)
            if not r:
                continue
            usecs = int(r.group(5))
            if r.group(3) or init_at is not None:
                modules += usecs
            else:
                # a name can recur (several static functions of one name)
                builtin[r.group(1)] = builtin.get(r.group(1), 0) + usecs
    return {"first": first, "init": init_at, "last": last,
            "modules": modules / 1e6}, builtin


def fmt(v, digits=2):
    return "?" if v is None else "%.*f" % (digits, v)


def main(argv):
    kernels, phases, calls = [], {}, {}
    for arg in argv:
        k, _, path = arg.partition("=")
        kernels.append(k)
        phases[k], calls[k] = parse(path)
    print("<!-- SPDX-License-Identifier: GPL-2.0-only -->")
    print("Boot breakdown from `initcall_debug` (guest seconds).\n")
    print("| | " + " | ".join(kernels) + " |")
    print("|---|" + "---|" * len(kernels))

    def row(label, f, digits=2):
        print("| %s | %s |" % (label, " | ".join(fmt(f(k), digits) for k in kernels)))

    def total(k, pick):
        return sum(us for n, us in calls[k].items() if pick(n)) / 1e6

    row("reset to the first initcall (start_kernel, ftrace_init)", lambda k: phases[k]["first"])
    row("built-in initcalls, their sum", lambda k: total(k, lambda n: True))
    row("of it the ftrace/event selftests", lambda k: total(k, SELFTEST.search))
    row("of it the rest", lambda k: total(k, lambda n: not SELFTEST.search(n)))
    row("first initcall to /init, elapsed",
        lambda k: None if None in (phases[k]["first"], phases[k]["init"])
        else phases[k]["init"] - phases[k]["first"])
    row("/init started at", lambda k: phases[k]["init"])
    row("module init functions, their sum", lambda k: phases[k]["modules"])
    row("last line of the log at", lambda k: phases[k]["last"])
    print("\nSelftest initcalls: " + ", ".join(
        sorted({n for k in kernels for n in calls[k] if SELFTEST.search(n)})) + ".\n")

    names = {n for k in kernels for n in calls[k]}
    spread = {n: max(calls[k].get(n, 0) for k in kernels) - min(calls[k].get(n, 0) for k in kernels)
              for n in names}
    print("Built-in initcalls, the largest spread between the kernels first (ms; - not called):\n")
    print("| initcall | " + " | ".join(kernels) + " |")
    print("|---|" + "---|" * len(kernels))
    for n in sorted(names, key=lambda n: -spread[n])[:TOP]:
        print("| `%s` | %s |" % (n, " | ".join(
            "%.1f" % (calls[k][n] / 1e3) if n in calls[k] else "-" for k in kernels)))
    print("\n%d built-in initcalls in all; the %d above have the largest spread." % (len(names), min(TOP, len(names))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
