#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Boot logs of scripts/kernel-distro --initcall-debug -> a breakdown.

Usage: initcalls.py KERNEL=LOG [KERNEL=LOG ...] > distro-initcalls.md

Each log is a boot with initcall_debug: every built-in initcall prints
"calling  NAME+0x../0x.. @ PID" and "initcall NAME+0x../0x.. returned R
after N usecs" (module init functions add " [module]"); an initcall takes
the time between the two lines' timestamps. The breakdown gives, per
kernel, the guest time to the first initcall (from time_init(), where
printk's clock starts), the built-in initcalls' sum, the
tracing initcalls' share of it (the ftrace startup selftests, and the
event selftests' passes), the gaps to /init, the modules' init functions
and the power-off; then
every built-in initcall whose time differs between the kernels, the
largest spread first. Guest times under TCG follow the host's load: the
kernels compared should boot at the same time on the same host.
"""
import re
import sys

STAMP = re.compile(r"^\[ *([0-9]+\.[0-9]+)\] (.*)$")
RETURNED = re.compile(r"^initcall (\S+?)\+0x[0-9a-f]+/0x[0-9a-f]+( \[(\S+)\])? "
                      r"returned (-?[0-9]+) after ([0-9]+) usecs")
# the console initcalls of start_kernel() print only their "initcall" line
CALLING = re.compile(r"^(calling  |initcall )\S+")
CALL_NAME = re.compile(r"^calling  (\S+?)\+0x")
# the tracing initcalls: the ftrace startup selftests run from them
# (init_trace_selftests, event_trace_self_tests_init, and each tracer's
# registration: init_graph_trace ...)
SELFTEST = re.compile(r"trace|fgraph|kprobe")
TOP = 30
# event_trace_self_tests() (kernel/trace/trace_events.c) runs its passes
# in this order, then all of them again with the function tracer on
EVENT_PASSES = [
    ("Running tests on trace events:", "each event enabled and disabled"),
    ("Running tests on trace event systems:", "each event system"),
    ("Running tests on all trace events:", "all events at once"),
    ("Running tests again, along with the function tracer", "all of it again with the function tracer"),
]
EVENT_INITCALL = "event_trace_self_tests_init"


def parse(path):
    """-> dict of phase times (s) and {initcall: usecs} of the built-in ones"""
    builtin, modules, marks, called = {}, 0, {}, {}
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
            c = CALL_NAME.match(text)
            if c:
                called[c.group(1)] = t
            if init_at is None and text.startswith("Run /init as init process"):
                init_at = t
            for marker, _ in EVENT_PASSES:
                if text.startswith(marker):
                    marks.setdefault(marker, t)
            r = RETURNED.match(text)
            if not r:
                continue
            # The printk timestamps (sched_clock) time it: the "after N
            # usecs" is ktime, which counts jiffies until the clocksource
            # switch at fs_initcall, and a TCG guest loses ticks.
            start = called.pop(r.group(1), None)
            usecs = int(r.group(5)) if start is None else round((t - start) * 1e6)
            if r.group(3) or init_at is not None:
                modules += usecs
            else:
                # a name can recur (several static functions of one name)
                builtin[r.group(1)] = builtin.get(r.group(1), 0) + usecs
                if r.group(1) == EVENT_INITCALL:
                    marks.setdefault(EVENT_INITCALL, t)
    return {"first": first, "init": init_at, "last": last,
            "modules": modules / 1e6, "marks": marks}, builtin


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

    # printk's clock starts at time_init(), after ftrace_init(): kernel-bench's
    # bootcost phase counts that one
    row("to the first initcall (printk's clock starts after ftrace_init())", lambda k: phases[k]["first"])
    row("built-in initcalls, their sum", lambda k: total(k, lambda n: True))
    row("of it the tracing initcalls (`*trace*`, `*fgraph*`, `*kprobe*`: the selftests)",
        lambda k: total(k, SELFTEST.search))
    for i, (marker, label) in enumerate(EVENT_PASSES):
        end = EVENT_PASSES[i + 1][0] if i + 1 < len(EVENT_PASSES) else EVENT_INITCALL

        def span(k, marker=marker, end=end):
            m = phases[k]["marks"]
            return m[end] - m[marker] if marker in m and end in m else None
        row("&nbsp;&nbsp;event selftests: " + label, span)
    row("of it the rest", lambda k: total(k, lambda n: not SELFTEST.search(n)))
    row("first initcall to /init, elapsed",
        lambda k: None if None in (phases[k]["first"], phases[k]["init"])
        else phases[k]["init"] - phases[k]["first"])
    row("/init started at", lambda k: phases[k]["init"])
    row("module init functions, their sum", lambda k: phases[k]["modules"])
    row("last line of the log at", lambda k: phases[k]["last"])
    print("\nTracing initcalls: " + ", ".join(
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
