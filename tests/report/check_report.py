#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks for `rvtramp report`, every expected figure computed here from the
RISC-V cross tools (readelf/objdump/nm, through tests/e2e/crosscheck.py), never
taken from rvtramp:

  numbers FILE REPORT.json        counts, histograms, text sizes, the plan's
                                  accounting identity and the code-size model
                                  (re-implemented here from readelf symbols)
  formats REPORT.json REPORT.csv REPORT.html REPORT.txt
                                  each format parses and agrees with the JSON
  baseline OLD NEW REPORT.json    --baseline growth against readelf/nm
  rewrite ORIG OUT REPORT.json    rewrite --report: plan and timers

Exit 0 on success, 1 with one line per mismatch on stdout.
"""

import csv
import html.parser
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import crosscheck as xc  # noqa: E402

problems = []


def expect(what, got, want):
    if got != want:
        problems.append("%s: rvtramp says %r, the tools say %r" % (what, got, want))


def check(what, cond):
    if not cond:
        problems.append(what)


def exec_sections(elf):
    return [s for s in elf.sections
            if s["type"] == "PROGBITS" and "A" in s["flags"] and "X" in s["flags"]]


def functions(elf):
    """Distinct STT_FUNC entries in executable sections: {(ndx, value): max size}."""
    ex = {s["index"] for s in exec_sections(elf)}
    out = {}
    nsyms = 0
    for s in elf.symbols:
        if s["type"] == "FUNC" and s["ndx"] in ex:
            nsyms += 1
            key = (s["ndx"], s["value"])
            out[key] = max(out.get(key, 0), s["size"])
    return out, nsyms


def hist(values, even=False):
    h = {}
    if even:
        for k in (0, 2, 4, 6):
            h[str(k)] = 0
    for v in values:
        h[str(v)] = h.get(str(v), 0) + 1
    return h


def align_up(v, a):
    return v if a <= 1 else (v + a - 1) // a * a


# The four layouts as docs/report-schema.md states them:
# (before entry, at entry, entry alignment, alignment applies to every function)
MODELS = {
    "stock": (0, 8, 1, False),
    "call_ops": (8, 8, 8, True),
    "seed24": (0, 24, 4, True),
    "seed26": (0, 26, 1, False),
}


def model(elf, sites, funcs):
    """Independent implementation of the chunk model: {key: text}, base text."""
    rooms = {}
    for s in sites:
        rooms[s["room"]] = rooms.get(s["room"], 0) + 1
    nominal = max(sorted(rooms), key=lambda r: rooms[r]) if rooms else 0
    results = {k: 0 for k in MODELS}
    base_total = 0
    reserved_total = 0
    for sec in exec_sections(elf):
        if sec["size"] == 0:
            continue
        lo, hi = sec["addr"], sec["addr"] + sec["size"]
        starts = {lo: [False, False, 0]}
        for (ndx, val) in funcs:
            if ndx == sec["index"] and lo <= val < hi:
                starts.setdefault(val, [False, False, 0])[0] = True
        for s in sites:
            if s["section"] == sec["name"] and lo <= s["address"] < hi:
                e = starts.setdefault(s["address"], [False, False, 0])
                e[1] = True
                e[2] += min(s["room"], nominal) if nominal else s["room"]
        order = sorted(starts)
        chunks = []
        for i, a in enumerate(order):
            end = order[i + 1] if i + 1 < len(order) else hi
            fn, traced, res = starts[a]
            res = min(res, end - a)
            reserved_total += res
            chunks.append((fn, traced, end - a - res))
        base_total += sum(c[2] for c in chunks)
        for key, (before, at, align, align_all) in MODELS.items():
            cur = lo
            for fn, traced, body in chunks:
                if traced:
                    cur = align_up(cur + before, align) + at + body
                elif fn and align_all:
                    cur = align_up(cur, align) + body
                else:
                    cur += body
            results[key] += cur - lo
    return results, base_total, reserved_total


def numbers(path, jpath):
    rep = json.load(open(jpath))
    elf, sites = xc.expected_sites(path)
    expect("schema", rep["schema"], "rvtramp-report/1")
    expect("elf.rvc", rep["elf"]["rvc"], elf.rvc)
    expect("image.file_size", rep["image"]["file_size"], os.path.getsize(path))
    text = sum(s["size"] for s in exec_sections(elf))
    expect("image.exec_text", rep["image"]["exec_text"], text)
    alloc = sum(s["size"] for s in elf.sections if "A" in s["flags"])
    expect("image.alloc_size", rep["image"]["alloc_size"], alloc)

    funcs, nsyms = functions(elf)
    expect("functions.symbols", rep["functions"]["symbols"], nsyms)
    expect("functions.total", rep["functions"]["total"], len(funcs))
    expect("histograms.function_mod8", rep["histograms"]["function_mod8"],
           hist([v % 8 for (_n, v) in funcs], even=True))
    secname = {s["index"]: s["name"] for s in elf.sections}
    with_site = 0
    for (ndx, val), size in funcs.items():
        nxt = min([v for (n, v) in funcs if n == ndx and v > val] +
                  [elf.section(ndx)["addr"] + elf.section(ndx)["size"]])
        end = val + size if size else nxt
        if any(s["section"] == secname[ndx] and val <= s["address"] < max(end, val + 1)
               for s in sites):
            with_site += 1
    expect("functions.with_site", rep["functions"]["with_site"], with_site)
    expect("functions.without_site", rep["functions"]["without_site"], len(funcs) - with_site)

    expect("sites.total", rep["sites"]["total"], len(sites))
    expect("histograms.site_mod8", rep["histograms"]["site_mod8"],
           hist([s["align"] for s in sites], even=True))
    expect("histograms.room", rep["histograms"]["room"], hist([s["room"] for s in sites]))
    by_source = {}
    for s in sites:
        for src in s["sources"]:
            by_source[src] = by_source.get(src, 0) + 1
    expect("sites.by_source", rep["sites"]["by_source"], by_source)

    # The plan: every site in exactly one bucket.
    plan = rep["plan"]
    skipped = sum(plan["skipped"].values())
    expect("plan.skipped_total", plan["skipped_total"], skipped)
    expect("plan: A8 + A4 + skipped == sites", plan["A8"] + plan["A4"] + skipped, len(sites))
    expect("plan.accounted", plan["accounted"], len(sites))
    rows = rep["site_list"]
    expect("len(site_list)", len(rows), len(sites))
    expect("site_list addresses", sorted(r["address"] for r in rows),
           sorted(s["address"] for s in sites))
    buckets = {}
    for r in rows:
        k = r["layout"] if r["decision"] != "skip" else "skip:" + r["reason"]
        buckets[k] = buckets.get(k, 0) + 1
    want = {"A8": plan["A8"], "A4": plan["A4"]}
    want.update({"skip:" + k: v for k, v in plan["skipped"].items()})
    expect("site_list buckets", buckets, {k: v for k, v in want.items() if v})
    for r in rows:
        if r["decision"] != "skip":
            p = r["trampoline"]
            check("%#x: trampoline %#x not 4-aligned" % (r["address"], p), p % 4 == 0)
            expect("%#x layout" % r["address"], r["layout"], "A8" if p % 8 == 0 else "A4")

    # Code size: identities, then the model recomputed from readelf.
    cs = rep["code_size"]
    expect("base_text + reserved_now == exec_text", cs["base_text"] + cs["reserved_now"], text)
    texts, base, reserved = model(elf, sites, funcs)
    expect("code_size.base_text", cs["base_text"], base)
    expect("code_size.reserved_now", cs["reserved_now"], reserved)
    for lay in cs["layouts"]:
        k = lay["key"]
        before, at, align, _all = MODELS[k]
        expect(k + ".traced", lay["traced"], len(sites))
        expect(k + ".reserved", lay["reserved"], len(sites) * (before + at))
        expect(k + ": reserved + padding == overhead", lay["reserved"] + lay["padding"],
               lay["overhead"])
        expect(k + ": text == base_text + overhead", lay["text"], cs["base_text"] + lay["overhead"])
        expect(k + ".vs_now", lay["vs_now"], lay["text"] - text)
        expect(k + ".text (model from readelf)", lay["text"], texts[k])
        check(k + ": overhead_pct", abs(lay["overhead_pct"] - 100.0 * lay["overhead"] / base) < 1e-6)
        if align <= 2 and not elf.rvc:
            expect(k + ".padding", lay["padding"], 0)
    # stock and seed26 need no alignment: overhead is exactly their bytes
    lays = {l["key"]: l for l in cs["layouts"]}
    expect("stock.padding", lays["stock"]["padding"], 0)
    expect("seed26.padding", lays["seed26"]["padding"], 0)


class Html(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = {}
        self.stack = []
        self.svg_ids = []
        self.external = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        a = dict(attrs)
        if tag == "svg":
            self.svg_ids.append(a.get("id"))
        for k in ("src", "href"):
            if a.get(k):
                self.external.append(a[k])
        # An inline script (the table sort) is part of the page; a link or a
        # script loaded from elsewhere is not.
        if tag == "link" or (tag == "script" and a.get("src")):
            self.external.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def formats(jpath, cpath, hpath, tpath):
    rep = json.load(open(jpath))
    total = rep["sites"]["total"]
    with open(cpath, newline="") as f:
        rows = list(csv.DictReader(f))
    expect("csv rows", len(rows), total)
    if rows:
        for col in ("address", "section", "offset", "function", "room", "align", "decision",
                    "layout", "reason"):
            check("csv has column " + col, col in rows[0])
        expect("csv addresses", sorted(int(r["address"], 16) for r in rows),
               sorted(r["address"] for r in rep["site_list"]))
        expect("csv decisions", sorted(r["decision"] for r in rows),
               sorted(r["decision"] for r in rep["site_list"]))
    p = Html()
    p.feed(open(hpath, encoding="utf-8").read())
    p.close()
    for sid in ("site-mod8", "function-mod8", "room", "plan", "overhead"):
        check("html has svg #" + sid, sid in p.svg_ids)
    check("html has tables", p.tags.get("table", 0) >= 3)
    check("html is self-contained (no src/href/link, no external script): %r" % p.external,
          not p.external)
    body = "".join(p.text)
    check("html mentions the model", "Model." in body)
    txt = open(tpath).read()
    for head in ("IMAGE", "FUNCTIONS", "SITES", "SITE ADDRESS MOD 8", "PLAN", "CODE SIZE"):
        check("text has section " + head, re.search(r"^" + re.escape(head), txt, re.M))
    m = re.search(r"^\s+total\s+([\d,]+)$", txt, re.M)
    check("text total sites", m and int(m.group(1).replace(",", "")) == total)


def nm_sizes(path):
    out = {}
    for line in xc.run(xc.CROSS + "nm", "-S", "--size-sort", path).splitlines():
        f = line.split()
        if len(f) == 4:
            out.setdefault(f[3], []).append(int(f[1], 16))
    return out


def baseline(old, new, jpath):
    rep = json.load(open(jpath))
    b = rep["baseline"]
    eo, en = xc.Elf(old), xc.Elf(new)
    to = sum(s["size"] for s in exec_sections(eo))
    tn = sum(s["size"] for s in exec_sections(en))
    expect("baseline.exec_text", (b["exec_text"]["old"], b["exec_text"]["new"], b["exec_text"]["delta"]),
           (to, tn, tn - to))
    expect("baseline.file_size", (b["file_size"]["old"], b["file_size"]["new"]),
           (os.path.getsize(old), os.path.getsize(new)))
    so = {s["name"]: s["size"] for s in eo.sections}
    sn = {s["name"]: s["size"] for s in en.sections}
    for d in b["sections"]:
        if d["old"] is not None:
            expect("baseline section %s old" % d["name"], d["old"], so.get(d["name"]))
        if d["new"] is not None:
            expect("baseline section %s new" % d["name"], d["new"], sn.get(d["name"]))
    no, nn = nm_sizes(old), nm_sizes(new)
    # Per-function growth: the distribution over matched functions, and the
    # listed ones grew by neither 0 nor the per-site amount.
    per_site = b["per_site_growth"]
    expect("per_site_growth", per_site,
           rep["code_size"]["nominal_room"] - baseline_nominal_room(old))
    growth = {int(k): v for k, v in b["function_growth"].items()}
    other = sum(v for k, v in growth.items() if k not in (0, per_site))
    expect("baseline.other_growth", b["other_growth"], other)
    check("top no longer than other_growth", len(b["top"]) <= other)
    last = None
    for t in b["top"]:
        check("top %s: in old" % t["name"], t["name"] in no)
        check("top %s: new size %s is an nm size" % (t["name"], t["new"]), t["new"] in nn.get(t["name"], []))
        check("top %s: old size %s is an nm size" % (t["name"], t["old"]), t["old"] in no.get(t["name"], []))
        expect("top %s delta" % t["name"], t["delta"], t["new"] - t["old"])
        check("top %s: growth %d is neither 0 nor %d" % (t["name"], t["delta"], per_site),
              t["delta"] not in (0, per_site))
        check("top sorted by growth", last is None or t["delta"] <= last)
        last = t["delta"]
    # every function nm sizes in both (one of each name) is in the distribution
    funcs = nm_funcs(old, new)
    for name, d in funcs.items():
        check("growth %d of %s counted" % (d, name), growth.get(d, 0) > 0)


def baseline_nominal_room(path):
    # the most common room of the old image: its own report says it
    import subprocess
    out = subprocess.run([os.environ["RVTRAMP"], "report", path, "--format", "json", "--no-sites"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["code_size"]["nominal_room"]


def nm_funcs(old, new):
    """Growth of function symbols that occur once in each image (nm -S)."""
    def sizes(path):
        out = subprocess.run([xc.CROSS + "nm", "-S", path], capture_output=True, text=True).stdout
        seen = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) == 4 and f[2] in "tT":
                seen.setdefault(f[3], []).append(int(f[1], 16))
        return {k: v[0] for k, v in seen.items() if len(v) == 1}
    so, sn = sizes(old), sizes(new)
    return {k: sn[k] - so[k] for k in so if k in sn}


def rewrite(orig, out, jpath):
    rep = json.load(open(jpath))
    expect("schema", rep["schema"], "rvtramp-report/1")
    rw = rep["rewrite"]
    expect("rewrite.input_size", rw["input_size"], os.path.getsize(orig))
    expect("rewrite.output_size", rw["output_size"], os.path.getsize(out))
    expect("rewrite.A8 + A4 == rewritten", rw["A8"] + rw["A4"], rw["rewritten"])
    expect("plan.A8 == rewrite.A8", rep["plan"]["A8"], rw["A8"])
    expect("plan.A4 == rewrite.A4", rep["plan"]["A4"], rw["A4"])
    expect("plan.fixup_before == rewrite.fixups", rep["plan"]["fixup_before"], rw["fixups"])
    check("rewrite.verify.ok", rw["verify"]["ok"] is True)
    names = [t["name"] for t in rep["timers"]]
    for want in ("load", "locate", "analyze", "plan", "rewrite", "emit", "verify", "write"):
        check("timer %s in JSON (%s)" % (want, names), want in names)
    check("timers are seconds >= 0", all(t["seconds"] >= 0 for t in rep["timers"]))
    elf, sites = xc.expected_sites(orig)
    expect("sites.total", rep["sites"]["total"], len(sites))
    # the rewritten table: every rewritten site's entry is now its trampoline
    _elf2, after = xc.expected_sites(out)
    moved = sorted(r["trampoline"] for r in rep["site_list"] if r["decision"] != "skip")
    kept = sorted(r["address"] for r in rep["site_list"] if r["decision"] == "skip")
    expect("entries after rewrite", sorted(s["address"] for s in after), sorted(moved + kept))


def main(argv):
    cmds = {"numbers": (numbers, 2), "formats": (formats, 4), "baseline": (baseline, 3),
            "rewrite": (rewrite, 3)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        print(__doc__)
        return 2
    fn, _n = cmds[argv[1]]
    fn(*argv[2:])
    for p in problems:
        print("MISMATCH:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
