#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""results.csv of scripts/kernel-bench -> results.md and SVG charts.

Usage: report.py OUTDIR   (reads OUTDIR/results.csv and OUTDIR/host.txt)

Plain Python, no plotting library: the charts are grouped bars (median)
with a min-max whisker per kernel, in the spirit of the HTML report's
inline SVG (passes/report_formats.cpp).
"""
import csv
import os
import statistics
import sys
from collections import OrderedDict
from xml.sax.saxutils import escape

COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1"]

GROUPS = [
    ("stall", "Longest clock-read gap on the other harts (ms)", "ms", [
        ("stall_idle_max_ms", "idle (hart 0 asleep)"),
        ("stall_busy_max_ms", "busy (hart 0 spins)"),
        ("stall_function_max_ms", "function on+off"),
        ("stall_function_graph_max_ms", "function_graph on+off"),
        ("stall_filter_max_ms", "filter: all sites on+off"),
    ]),
    ("stall_excess", "Toggle window's longest gap minus the busy baseline (ms)", "ms", [
        ("stall_function_excess_ms", "function"),
        ("stall_function_graph_excess_ms", "function_graph"),
        ("stall_filter_excess_ms", "filter, all sites"),
    ]),
    ("stall_count", "Gaps over 1 ms, all reader harts together (count per window)", "", [
        ("stall_idle_gaps_over_1ms", "idle"),
        ("stall_busy_gaps_over_1ms", "busy"),
        ("stall_function_gaps_over_1ms", "function"),
        ("stall_function_graph_gaps_over_1ms", "function_graph"),
        ("stall_filter_gaps_over_1ms", "filter"),
    ]),
    ("toggle", "Full toggle time, measured by /init on hart 0 (ms)", "ms", [
        ("toggle_function_on_ms", "function on"),
        ("toggle_function_off_ms", "function off"),
        ("toggle_graph_on_ms", "function_graph on"),
        ("toggle_graph_off_ms", "function_graph off"),
        ("toggle_filter_all_on_ms", "filter: all on"),
        ("toggle_filter_all_off_ms", "filter: all off"),
    ]),
    ("boot", "Guest time in ftrace_init() at boot (ms; follows the host's clock)", "ms", [
        ("boot_ftrace_init_ms", "ftrace_init()"),
    ]),
    ("boot_insn", "Guest instructions in ftrace_init() at boot (millions; -icount)", "M", [
        ("boot_ftrace_init_Minsn", "ftrace_init()"),
    ]),
    ("percall", "Per call of rvt_bench_target(), 10^6 calls (ns)", "ns", [
        ("percall_notrace_ns", "no site (notrace)"),
        ("percall_disabled_ns", "site disabled"),
        ("percall_ops_ns", "no-op ftrace_ops"),
        ("percall_function_ns", "function tracer"),
        ("percall_function_all_ns", "function tracer, every function"),
        ("percall_function_all_2ops_ns", "function tracer, every function, + an ops elsewhere"),
    ]),
    ("size", "Size of vmlinux (bytes)", "B", [
        ("exec_text_bytes", "exec text (AX)"),
        ("size_text_bytes", "size(1) text"),
        ("image_bytes", "Image file"),
    ]),
    ("sites", "ftrace sites (__mcount_loc entries)", "", [
        ("sites", "sites"),
    ]),
]


def load(path):
    data = OrderedDict()  # kernel -> metric -> [values]
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            data.setdefault(r["kernel"], OrderedDict()).setdefault(r["metric"], []).append(
                float(r["value"]))
    return data


def fmt(v):
    if v == 0:
        return "0"
    a = abs(v)
    if v == int(v) and a < 10000:
        return "%d" % v
    if a >= 10000:
        return "{:,.0f}".format(v)
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    return "%.3g" % v


def cell(vals):
    if not vals:
        return "-"
    m = statistics.median(vals)
    if len(vals) == 1:
        return fmt(m)
    return "%s (%s-%s, n=%d)" % (fmt(m), fmt(min(vals)), fmt(max(vals)), len(vals))


def chart(title, unit, metrics, kernels, data):
    """Grouped bars: one group per metric, one bar per kernel; whisker min-max."""
    bw, gap, left, top, h = 22, 26, 70, 40, 260
    groups = [(m, l) for m, l in metrics if any(data[k].get(m) for k in kernels)]
    if not groups:
        return None
    # only the kernels with a figure here (no empty slots, colours kept)
    colour = {k: COLOURS[i % len(COLOURS)] for i, k in enumerate(kernels)}
    kernels = [k for k in kernels if any(data[k].get(m) for m, _ in groups)]
    # a group is as wide as its label (about 6 px per character at 11 px)
    gw = [max(len(kernels) * bw, 6 * len(lab)) + gap for _, lab in groups]
    width = max(left + sum(gw) + 20, 520)
    vals_all = [v for m, _ in groups for k in kernels for v in data[k].get(m, [])]
    vmax = max(vals_all + [0]) or 1
    vmin = min(vals_all + [0])  # excess over a baseline may be negative
    span = (vmax - vmin) or 1
    y = lambda v: top + h - h * (v - vmin) / span  # noqa: E731
    o = ['<!-- SPDX-License-Identifier: GPL-2.0-only -->',
         '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
         'font-size="11">' % (width, top + h + 80 + 16 * len(kernels))]
    o.append('<rect width="100%" height="100%" fill="white"/>')
    o.append('<text x="%d" y="20" font-size="13" font-weight="bold">%s</text>' % (left, escape(title)))
    for i in range(5):
        v = vmin + span * i / 4
        o.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, width - 10, y(v), y(v)))
        o.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 4, y(v) + 4, fmt(v)))
    x = left
    for (m, lab), w in zip(groups, gw):
        x0 = x
        x += (w - len(kernels) * bw) / 2
        for ki, k in enumerate(kernels):
            vals = data[k].get(m)
            if vals:
                med, lo, hi = statistics.median(vals), min(vals), max(vals)
                o.append('<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>'
                         % (x, min(y(med), y(0)), bw - 2, abs(y(0) - y(med)), colour[k],
                            escape(k), escape(lab), escape(cell(vals))))
                if hi > lo:
                    cx = x + (bw - 2) / 2
                    o.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black"/>' % (cx, cx, y(lo), y(hi)))
                    for vv in (lo, hi):
                        o.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black"/>'
                                 % (cx - 4, cx + 4, y(vv), y(vv)))
            x += bw
        o.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                 % (x0 + w / 2, top + h + 16, escape(lab)))
        x = x0 + w
    o.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="black"/>' % (left, width - 10, y(0), y(0)))
    for ki, k in enumerate(kernels):
        ly = top + h + 40 + 16 * ki
        o.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (left, ly - 10, colour[k]))
        o.append('<text x="%d" y="%d">%s</text>' % (left + 18, ly, escape(k)))
    o.append('<text x="%d" y="%d" fill="#555">bar: median; whisker: min-max%s</text>'
             % (left, top + h + 40 + 16 * len(kernels), (" (" + unit + ")") if unit else ""))
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py OUTDIR")
    d = sys.argv[1]
    data = load(os.path.join(d, "results.csv"))
    kernels = [k for k in data if not k.startswith("model-")]
    md = ["<!-- SPDX-License-Identifier: GPL-2.0-only -->",
          "# kernel-bench results", ""]
    host = os.path.join(d, "host.txt")
    if os.path.exists(host):
        md += ["```"] + open(host).read().rstrip("\n").split("\n") + ["```", ""]
    md += ["Cells: median (min-max, n = repetitions).", ""]
    for key, title, unit, metrics in GROUPS:
        rows = [(m, l) for m, l in metrics if any(data[k].get(m) for k in kernels)]
        if not rows:
            continue
        all_kernels = kernels
        kernels = [k for k in kernels if any(data[k].get(m) for m, _ in rows)]
        md += ["## " + title, ""]
        if key == "percall" and any(k.endswith("/icount") for k in kernels):
            md += ["Under -icount shift=0 (kernels labelled /icount) one guest ns is one "
                   "guest instruction: those cells count instructions per call.", ""]
        md += ["| | " + " | ".join(kernels) + " |", "|---|" + "---|" * len(kernels)]
        for m, l in rows:
            md.append("| %s | %s |" % (l, " | ".join(cell(data[k].get(m, [])) for k in kernels)))
        if key == "percall":
            base = [k for k in kernels if k.startswith("stock-6.12")]
            if base and data[base[0]].get("percall_disabled_ns"):
                b = statistics.median(data[base[0]]["percall_disabled_ns"])
                md += ["", "Ratio of the medians to %s's disabled site (%s ns):" % (base[0], fmt(b)), "",
                       "| | " + " | ".join(kernels) + " |", "|---|" + "---|" * len(kernels)]
                for m, l in rows:
                    md.append("| %s | %s |" % (l, " | ".join(
                        ("%.2f" % (statistics.median(data[k][m]) / b)) if data[k].get(m) else "-"
                        for k in kernels)))
        if key == "percall" and any(data[k].get("percall_notrace_ns") for k in kernels):
            # the same boot's notrace loop cancels most of the host's drift
            # between boots (the loop is the same code in every kernel)
            md += ["", "Per repetition, divided by the same repetition's notrace loop (median):", "",
                   "| | " + " | ".join(kernels) + " |", "|---|" + "---|" * len(kernels)]
            for m, l in rows:
                cells = []
                for k in kernels:
                    a, b = data[k].get(m, []), data[k].get("percall_notrace_ns", [])
                    cells.append("%.2f" % statistics.median(x / y for x, y in zip(a, b))
                                 if a and len(a) == len(b) else "-")
                md.append("| %s | %s |" % (l, " | ".join(cells)))
        if key == "size":
            models = [k for k in data if k.startswith("model-")]
            if models:
                md += ["", "The report's four-layout model (rvtramp report, CODE SIZE) on stock 6.12's "
                       "own addresses: modeled exec text (AX) per layout:", "",
                       "| layout | modeled exec text |", "|---|---|"]
                for k in models:
                    md.append("| %s | %s |" % (k[len("model-"):], fmt(data[k]["exec_text_bytes"][0])))
        svg = chart(title, unit, rows, all_kernels, data)
        if svg:
            with open(os.path.join(d, key + ".svg"), "w") as f:
                f.write(svg)
            md += ["", "![%s](%s.svg)" % (title, key)]
        md.append("")
        kernels = all_kernels
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
