// SPDX-License-Identifier: GPL-2.0-only
// The report's four formats: aligned text (readelf/bloaty style), JSON
// (schema "rvtramp-report/1", docs/report-schema.md), CSV (one row per site)
// and a single self-contained HTML page with inline SVG histograms.
#include "report.h"

#include <cinttypes>
#include <cstdio>
#include <sstream>

namespace rvtramp {
namespace {

constexpr const char *kSchema = "rvtramp-report/1";

const char *kModelText =
    "Each executable section is cut into chunks at every function entry (STT_FUNC) and "
    "every site; a chunk's body is its size minus the bytes reserved at its site now. "
    "The chunks are laid out again in address order from the section start, with each "
    "layout's bytes before/at every traced entry (every site) and its entry alignment "
    "(applied to every function when the layout needs -falign-functions). Gaps between "
    "functions stay as they are. overhead = modeled text - text without any reservation "
    "= reserved + padding; % is of the text without any reservation.";

std::string num(uint64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0)
      out += ',';
    out += s[i];
  }
  return out;
}

std::string snum(int64_t v) { return (v < 0 ? "-" : "+") + num(uint64_t(v < 0 ? -v : v)); }

std::string pct(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", v);
  return b;
}

std::string pct_of(int64_t part, uint64_t whole) {
  if (!whole)
    return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%+.2f%%", 100.0 * double(part) / double(whole));
  return b;
}

std::string base_name(const std::string &path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

nlohmann::json hist_json(const Histogram &h, bool even_keys) {
  nlohmann::json j = nlohmann::json::object();
  if (even_keys)
    for (unsigned k = 0; k < 8; k += 2)
      j[std::to_string(k)] = 0;
  for (auto [k, v] : h)
    j[std::to_string(k)] = v;
  return j;
}

nlohmann::json delta_json(const SizeDelta &d) {
  return {{"name", d.name},
          {"old", d.in_old ? nlohmann::json(d.old_size) : nlohmann::json()},
          {"new", d.in_new ? nlohmann::json(d.new_size) : nlohmann::json()},
          {"delta", d.delta()}};
}

// "%-*s" then right-aligned columns.
void row(std::ostream &os, const std::string &label, int width,
         std::initializer_list<std::string> cols, int colw = 12) {
  char b[64];
  std::snprintf(b, sizeof b, "  %-*s", width, label.c_str());
  os << b;
  for (const auto &c : cols) {
    std::snprintf(b, sizeof b, " %*s", colw, c.c_str());
    os << b;
  }
  os << "\n";
}

std::string html_escape(const std::string &s) {
  std::string o;
  for (char c : s) {
    switch (c) {
    case '&': o += "&amp;"; break;
    case '<': o += "&lt;"; break;
    case '>': o += "&gt;"; break;
    case '"': o += "&quot;"; break;
    default: o += c;
    }
  }
  return o;
}

std::string csv_field(const std::string &s) {
  if (s.find_first_of(",\"\n") == std::string::npos)
    return s;
  std::string o = "\"";
  for (char c : s)
    o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

struct Bar {
  std::string label;
  double value;
  std::string text;
};

// A vertical bar chart as inline SVG.
std::string svg_bars(const std::string &id, const std::string &title, const std::vector<Bar> &bars,
                     const char *color) {
  const int w = 520, h = 240, top = 30, bottom = 40, left = 10;
  double maxv = 0;
  for (const Bar &b : bars)
    maxv = std::max(maxv, b.value);
  if (maxv <= 0)
    maxv = 1;
  const int n = std::max<int>(1, int(bars.size()));
  const double slot = double(w - 2 * left) / n;
  const double bw = std::min(slot * 0.7, 80.0);
  std::string o = "<svg id=\"" + id + "\" class=\"hist\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  std::to_string(w) + "\" height=\"" + std::to_string(h) + "\" role=\"img\" aria-label=\"" +
                  html_escape(title) + "\">";
  o += "<title>" + html_escape(title) + "</title>";
  o += "<text x=\"" + std::to_string(w / 2) +
       "\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">" + html_escape(title) +
       "</text>";
  o += "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(h - bottom) + "\" x2=\"" +
       std::to_string(w - left) + "\" y2=\"" + std::to_string(h - bottom) + "\" stroke=\"#444\"/>";
  char b[512];
  for (size_t i = 0; i < bars.size(); ++i) {
    // A bar for a count of 1 among 10^5 would be a hundredth of a pixel:
    // any count above zero gets at least 2 pixels, so it shows.
    double bh = (h - top - bottom - 16) * bars[i].value / maxv;
    if (bars[i].value > 0 && bh < 2)
      bh = 2;
    const double x = left + slot * double(i) + (slot - bw) / 2;
    const double y = h - bottom - bh;
    std::snprintf(b, sizeof b,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s: %s</title></rect>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%s</text>"
                  "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\">%s</text>",
                  x, y, bw, bh, color, html_escape(bars[i].label).c_str(),
                  html_escape(bars[i].text).c_str(), x + bw / 2, y - 4,
                  html_escape(bars[i].text).c_str(), x + bw / 2, h - bottom + 16,
                  html_escape(bars[i].label).c_str());
    o += b;
  }
  o += "</svg>";
  return o;
}

std::vector<Bar> hist_bars(const Histogram &h, bool even_keys, const char *suffix = "") {
  Histogram full = h;
  if (even_keys)
    for (unsigned k = 0; k < 8; k += 2)
      full.try_emplace(k, 0);
  std::vector<Bar> bars;
  for (auto [k, v] : full)
    bars.push_back({std::to_string(k) + suffix, double(v), num(v)});
  return bars;
}

nlohmann::json site_row_json(const SiteRow &s) {
  nlohmann::json o = {{"address", s.address},     {"section", s.section},
                      {"offset", s.offset},       {"function", s.function},
                      {"function_offset", s.function_offset}, {"name", s.name},
                      {"room", s.room},           {"align", s.align},
                      {"source", s.source},       {"state", s.state},
                      {"decision", s.decision}};
  if (s.decision == "skip") {
    o["reason"] = s.reason;
    o["reason_detail"] = s.reason_detail;
  } else {
    o["layout"] = s.layout;
    o["trampoline"] = s.trampoline;
  }
  return o;
}

// The most common growths first (a kernel has a handful of distinct ones).
std::vector<std::pair<int64_t, size_t>> growth_by_count(const Comparison &c) {
  std::vector<std::pair<int64_t, size_t>> v(c.function_growth.begin(), c.function_growth.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto &a, const auto &b) { return a.second > b.second; });
  return v;
}

// How many of the by-function notes text and HTML list before pointing at
// the JSON and CSV, which have them all.
constexpr size_t kListedNotes = 50, kHtmlNotes = 1000, kHtmlSiteRows = 5000;

} // namespace

void write_report_json(const Report &r, const Comparison *cmp, const Budget *budget,
                       bool with_sites, std::ostream &os) {
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  std::string head = report_json(r, cmp, budget, false).dump(1, ' ', false, kReplace);
  if (!with_sites) {
    os << head << "\n";
    return;
  }
  // Stream the per-site list: a json tree of 100K+ objects costs gigabytes.
  head.pop_back(); // the closing brace
  while (!head.empty() && (head.back() == '\n' || head.back() == ' '))
    head.pop_back();
  os << head << ",\n \"site_list\": [";
  bool first = true;
  for (const SiteRow &s : r.rows) {
    os << (first ? "\n  " : ",\n  ") << site_row_json(s).dump(-1, ' ', false, kReplace);
    first = false;
  }
  os << (first ? "]\n}\n" : "\n ]\n}\n");
}

nlohmann::json report_json(const Report &r, const Comparison *cmp, const Budget *budget,
                           bool with_sites) {
  using nlohmann::json;
  json j;
  j["schema"] = kSchema;
  j["file"] = r.file;
  j["elf"] = {{"type", r.elf_type}, {"class", r.elf_class}, {"rvc", r.rvc}};
  json secs = json::array();
  for (const SectionInfo &s : r.sections)
    secs.push_back({{"name", s.name}, {"addr", s.addr}, {"size", s.size}, {"exec", s.exec},
                    {"alloc", s.alloc}});
  j["image"] = {{"file_size", r.file_size},
                {"exec_text", r.exec_text},
                {"resident_text", r.resident_text()},
                {"init_text", r.init_text},
                {"alloc_size", r.alloc_size},
                {"sections", secs}};
  j["functions"] = {{"symbols", r.function_symbols},
                    {"total", r.functions},
                    {"with_site", r.functions_with_site},
                    {"without_site", r.functions_without_site}};
  j["sites"] = {{"total", r.sites},
                {"without_function", r.sites_without_function},
                {"init", r.init_sites},
                {"null_table_entries", r.null_table_entries},
                {"by_source", r.sites_by_source},
                {"by_state", r.sites_by_state}};
  j["histograms"] = {{"site_mod8", hist_json(r.site_mod8, true)},
                     {"function_mod8", hist_json(r.function_mod8, true)},
                     {"room", hist_json(r.room, false)}};
  j["plan"] = {{"dest", r.dest},
               {"dest_origin", r.dest_origin},
               {"literal_relocations", r.literal_relocations},
               {"rela_dyn_free_entries", r.rela_dyn_free_entries},
               {"relocated_literals", r.relocated_literals},
               {"total", r.sites},
               {"rewritten", r.rewrite_a8 + r.rewrite_a4},
               {"A8", r.rewrite_a8},
               {"A4", r.rewrite_a4},
               {"fixup_before", r.fixup_before},
               {"nops_after", r.nops_after},
               {"skipped", r.skipped},
               {"skipped_total", r.skipped_total()},
               {"accounted", r.accounted()},
               {"nothing_rewritten", r.nothing_rewritten}};
  json notes = json::array();
  for (const SiteNote &n : r.site_notes)
    notes.push_back({{"function", n.function}, {"name", n.name}, {"section", n.section},
                     {"address", n.address}, {"decision", n.decision}, {"reason", n.reason}});
  j["not_rewritten_by_function"] = notes;
  json layouts = json::array();
  for (const LayoutCost &c : r.layouts)
    layouts.push_back({{"key", c.model->key},
                       {"name", c.model->name},
                       {"rule", c.model->rule},
                       {"before_entry", c.model->before_entry},
                       {"at_entry", c.model->at_entry},
                       {"entry_align", c.model->entry_align},
                       {"align_all_functions", c.model->align_all},
                       {"traced", c.traced},
                       {"reserved", c.reserved},
                       {"padding", c.padding},
                       {"overhead", c.overhead},
                       {"overhead_pct", c.overhead_pct},
                       {"text", c.text},
                       {"vs_now", c.vs_now}});
  j["code_size"] = {{"model", kModelText},
                    {"exec_text", r.exec_text},
                    {"reserved_now", r.reserved_now},
                    {"nominal_room", r.nominal_room},
                    {"base_text", r.base_text},
                    {"layouts", layouts}};
  if (budget)
    j["budget"] = {{"layout", budget->layout},
                   {"limit_pct", budget->limit_pct},
                   {"overhead", budget->overhead},
                   {"overhead_pct", budget->overhead_pct},
                   {"exceeded", budget->exceeded}};
  if (cmp) {
    json sections = json::array(), top = json::array();
    for (const SizeDelta &d : cmp->sections)
      sections.push_back(delta_json(d));
    for (const SizeDelta &d : cmp->top)
      top.push_back(delta_json(d));
    json growth = json::object();
    for (const auto &[delta, n] : cmp->function_growth)
      growth[std::to_string(delta)] = n;
    j["baseline"] = {{"old_file", cmp->old_file},
                     {"new_file", cmp->new_file},
                     {"exec_text", delta_json(cmp->exec_text)},
                     {"alloc_size", delta_json(cmp->alloc)},
                     {"file_size", delta_json(cmp->file)},
                     {"sites", delta_json(cmp->sites)},
                     {"functions", delta_json(cmp->functions)},
                     {"sections", sections},
                     {"symbols", {{"matched", cmp->matched},
                                  {"only_old", cmp->only_old},
                                  {"only_new", cmp->only_new},
                                  {"matched_growth", cmp->symbol_growth}}},
                     {"per_site_growth", cmp->per_site_growth},
                     {"function_growth", growth},
                     {"other_growth", cmp->other_growth},
                     {"top", top}};
  }
  // Timers only when asked for (--time-passes): two reports of one file
  // must be the same bytes.
  if (!r.timers.empty()) {
    json timers = json::array();
    double total = 0;
    for (const PassTime &t : r.timers) {
      timers.push_back({{"name", t.name}, {"seconds", t.seconds}});
      total += t.seconds;
    }
    j["timers"] = timers;
    j["timers_total_seconds"] = total;
  }
  if (!r.rewrite.is_null())
    j["rewrite"] = r.rewrite;
  if (with_sites) {
    json rows = json::array();
    for (const SiteRow &s : r.rows)
      rows.push_back(site_row_json(s));
    j["site_list"] = rows;
  }
  return j;
}

void print_report_text(const Report &r, const Comparison *cmp, const Budget *budget,
                       std::ostream &os) {
  const int W = 34;
  os << "rvtramp report: " << r.file << " (ELF" << r.elf_class << " " << r.elf_type
     << (r.rvc ? ", RVC" : "") << ")\n\n";
  os << "IMAGE                                     bytes\n";
  row(os, "file size", W, {num(r.file_size)});
  row(os, "alloc image (SHF_ALLOC)", W, {num(r.alloc_size)});
  row(os, "exec text (AX PROGBITS)", W, {num(r.exec_text)});
  row(os, "  resident", W, {num(r.resident_text())});
  row(os, "  init text (freed after boot)", W, {num(r.init_text)});
  os << "\nFUNCTIONS                                 count\n";
  row(os, "STT_FUNC entries in exec sections", W, {num(r.functions)});
  row(os, "  symbols (aliases included)", W, {num(r.function_symbols)});
  row(os, "  with a site", W, {num(r.functions_with_site)});
  row(os, "  without a site", W, {num(r.functions_without_site)});
  os << "\nSITES                                     count\n";
  row(os, "total", W, {num(r.sites)});
  for (const auto &[k, v] : r.sites_by_source)
    row(os, "  from " + k, W, {num(v)});
  for (const auto &[k, v] : r.sites_by_state)
    row(os, "  state " + k, W, {num(v)});
  row(os, "  without a function", W, {num(r.sites_without_function)});
  row(os, "  in init text", W, {num(r.init_sites)});
  if (r.null_table_entries)
    row(os, "null table entries (dropped)", W, {num(r.null_table_entries)});

  auto hist = [&](const char *title, const Histogram &h, bool even) {
    Histogram full = h;
    if (even)
      for (unsigned k = 0; k < 8; k += 2)
        full.try_emplace(k, 0);
    size_t total = 0;
    for (auto [k, v] : full)
      total += v;
    os << "\n" << title << "\n";
    char b[128];
    for (auto [k, v] : full) {
      const int bar = total ? int(40.0 * double(v) / double(total) + 0.5) : 0;
      std::snprintf(b, sizeof b, "  %6" PRIu64 " %12s %7.2f%%  ", k, num(v).c_str(),
                    total ? 100.0 * double(v) / double(total) : 0.0);
      os << b << std::string(size_t(bar), '#') << "\n";
    }
  };
  hist("SITE ADDRESS MOD 8          sites", r.site_mod8, true);
  hist("FUNCTION ADDRESS MOD 8  functions", r.function_mod8, true);
  hist("ROOM (bytes of nops)        sites", r.room, false);

  os << "\nPLAN                                      sites           %\n";
  auto share = [&](size_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f%%", r.sites ? 100.0 * double(v) / double(r.sites) : 0.0);
    return std::string(b);
  };
  row(os, "rewrite A8 (P = 0 mod 8)", W, {num(r.rewrite_a8), share(r.rewrite_a8)});
  row(os, "rewrite A4 (P = 4 mod 8)", W, {num(r.rewrite_a4), share(r.rewrite_a4)});
  row(os, "  of which c.nop before (P = S+2)", W, {num(r.fixup_before), share(r.fixup_before)});
  row(os, "  of which spare nops after", W, {num(r.nops_after), share(r.nops_after)});
  for (const auto &[k, v] : r.skipped)
    row(os, "skip: " + k, W, {num(v), share(v)});
  row(os, "total (A8 + A4 + skips)", W, {num(r.accounted()), share(r.accounted())});
  os << "  destination literal: " << hex(r.dest) << " (" << r.dest_origin << ")\n";
  // A relocatable kernel: the kernel relocates these literals at boot.
  if (r.literal_relocations || r.relocated_literals)
    os << "  literal relocations: " << r.literal_relocations << " planned ("
       << r.rela_dyn_free_entries << " free .rela.dyn entries), " << r.relocated_literals
       << " literals relocated\n";
  if (!r.nothing_rewritten.empty())
    os << "  NOTHING WOULD BE REWRITTEN: " << r.nothing_rewritten << "\n";

  if (!r.site_notes.empty()) {
    os << "\nSITES NOT REWRITTEN OR WITHOUT A FUNCTION, BY FUNCTION   " << num(r.site_notes.size())
       << "\n";
    char b[512];
    for (size_t i = 0; i < r.site_notes.size() && i < kListedNotes; ++i) {
      const SiteNote &n = r.site_notes[i];
      std::snprintf(b, sizeof b, "  %-40s 0x%016" PRIx64 "  %-16s %s\n", n.name.c_str(),
                    n.address, n.section.c_str(),
                    n.reason.empty() ? (n.decision + ", no function symbol").c_str()
                                     : n.reason.c_str());
      os << b;
    }
    if (r.site_notes.size() > kListedNotes)
      os << "  (" << num(r.site_notes.size() - kListedNotes)
         << " more: --format json or csv lists every site)\n";
  }

  os << "\nCODE SIZE                          per site align    reserved     padding"
        "    overhead   % text     vs now\n";
  char b[256];
  for (const LayoutCost &c : r.layouts) {
    std::snprintf(b, sizeof b, "  %-32s %6u B %5u %11s %11s %11s %8s %10s\n", c.model->name,
                  c.model->before_entry + c.model->at_entry, c.model->entry_align,
                  num(c.reserved).c_str(), num(c.padding).c_str(), num(c.overhead).c_str(),
                  pct(c.overhead_pct).c_str(), snum(c.vs_now).c_str());
    os << b;
  }
  row(os, "bytes reserved at sites now", W, {num(r.reserved_now)});
  row(os, "  (nominal room per site)", W, {num(r.nominal_room)});
  row(os, "exec text without any reservation", W, {num(r.base_text)});
  {
    // The model, wrapped to 96 columns.
    std::string line = "  model:";
    std::istringstream words(kModelText);
    for (std::string w; words >> w;) {
      if (line.size() + 1 + w.size() > 96) {
        os << line << "\n";
        line = "        ";
      }
      line += " " + w;
    }
    os << line << "\n";
  }
  for (const LayoutCost &c : r.layouts)
    os << "    " << c.model->key << ": " << c.model->rule << "\n";

  if (budget) {
    os << "\nBUDGET\n";
    os << "  " << budget->layout << " overhead " << pct(budget->overhead_pct) << " of text ("
       << num(budget->overhead) << " B), limit " << pct(budget->limit_pct) << ": "
       << (budget->exceeded ? "EXCEEDED" : "ok") << "\n";
  }

  if (cmp) {
    os << "\nBASELINE  " << cmp->old_file << " -> " << cmp->new_file << "\n";
    os << "                                            old          new        delta        %\n";
    auto drow = [&](const SizeDelta &d) {
      row(os, d.name, 30,
          {d.in_old ? num(d.old_size) : "-", d.in_new ? num(d.new_size) : "-", snum(d.delta()),
           d.in_old ? pct_of(d.delta(), d.old_size) : "new"});
    };
    drow(cmp->exec_text);
    drow(cmp->alloc);
    drow(cmp->file);
    drow(cmp->sites);
    drow(cmp->functions);
    os << "  sections (changed only):\n";
    size_t unchanged = 0;
    for (const SizeDelta &d : cmp->sections) {
      if (d.in_old && d.in_new && d.delta() == 0) {
        ++unchanged;
        continue;
      }
      drow(d);
    }
    os << "  (" << unchanged << " sections unchanged)\n";
    os << "  symbols: " << num(cmp->matched) << " matched by name (growth " << snum(cmp->symbol_growth)
       << " B), " << num(cmp->only_new) << " only in new, " << num(cmp->only_old)
       << " only in old\n";
    os << "  growth of matched functions (bytes: functions), per-site amount "
       << snum(cmp->per_site_growth) << ":\n";
    const auto growth = growth_by_count(*cmp);
    for (size_t i = 0; i < growth.size() && i < 10; ++i)
      row(os, snum(growth[i].first) + " B", 30,
          {num(growth[i].second),
           growth[i].first == cmp->per_site_growth ? "per site" : growth[i].first ? "" : "untraced"});
    if (growth.size() > 10)
      os << "    (" << growth.size() - 10 << " more distinct growths)\n";
    os << "  functions whose growth is neither 0 nor " << snum(cmp->per_site_growth) << ": "
       << num(cmp->other_growth) << (cmp->top.empty() ? "\n" : ", the largest:\n");
    for (const SizeDelta &d : cmp->top)
      drow(d);
  }

  if (!r.timers.empty()) {
    os << "\nTIMERS\n";
    double total = 0;
    for (const PassTime &t : r.timers) {
      std::snprintf(b, sizeof b, "  %10.3f ms  %s\n", t.seconds * 1e3, t.name.c_str());
      os << b;
      total += t.seconds;
    }
    std::snprintf(b, sizeof b, "  %10.3f ms  total\n", total * 1e3);
    os << b;
  }
}

void print_report_csv(const Report &r, std::ostream &os) {
  os << "address,section,offset,function,function_offset,room,align,source,state,decision,"
        "layout,trampoline,reason,reason_detail\n";
  char b[64];
  for (const SiteRow &s : r.rows) {
    std::snprintf(b, sizeof b, "0x%" PRIx64, s.address);
    os << b << ',' << csv_field(s.section) << ',' << s.offset << ',' << csv_field(s.function)
       << ',' << s.function_offset << ',' << s.room << ',' << s.align << ','
       << csv_field(s.source) << ',' << s.state << ',' << s.decision << ',' << s.layout << ',';
    if (s.decision != "skip") {
      std::snprintf(b, sizeof b, "0x%" PRIx64, s.trampoline);
      os << b;
    }
    os << ',' << s.reason << ',' << csv_field(s.reason_detail) << '\n';
  }
}

void print_report_html(const Report &r, const Comparison *cmp, const Budget *budget,
                       std::ostream &os) {
  auto tr = [](std::initializer_list<std::string> cells, bool head = false) {
    std::string o = "<tr>";
    bool first = true;
    for (const auto &c : cells) {
      const char *tag = head ? "th" : "td";
      o += std::string("<") + tag + (first || head ? "" : " class=\"n\"") + ">" + html_escape(c) +
           "</" + tag + ">";
      first = false;
    }
    return o + "</tr>\n";
  };
  const std::string name = base_name(r.file);
  os << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
     << "<title>rvtramp report: " << html_escape(name) << "</title>\n"
     << "<style>\nbody{font-family:sans-serif;margin:24px;color:#222;max-width:1150px}\n"
        "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}\n"
        "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;"
        "font-size:13px}th{background:#eee;text-align:left}td.n{text-align:right;"
        "font-family:monospace}\n.charts{display:flex;flex-wrap:wrap;gap:12px}"
        "svg.hist{border:1px solid #ddd;background:#fafafa}\n.bad{color:#b00;font-weight:bold}"
        ".ok{color:#070;font-weight:bold}p.model{font-size:13px;max-width:1000px}\n"
        ".banner{background:#fde8e8;border:2px solid #b00;padding:10px 14px;margin:12px 0;"
        "font-weight:bold}\ntable.sortable th{cursor:pointer}table.sortable td{white-space:nowrap}"
        "table.sortable th:after{content:' \\2195';color:#999}\n</style>\n"
     << "</head><body>\n";
  os << "<h1>rvtramp report: " << html_escape(name) << "</h1>\n<p>" << html_escape(r.file)
     << " &mdash; ELF" << r.elf_class << " " << html_escape(r.elf_type) << (r.rvc ? ", RVC" : "")
     << "</p>\n";
  if (!r.nothing_rewritten.empty())
    os << "<div id=\"nothing-rewritten\" class=\"banner\">Nothing would be rewritten: "
       << html_escape(r.nothing_rewritten) << "</div>\n";

  os << "<h2>Summary</h2>\n<table id=\"summary\">\n"
     << tr({"figure", "value"}, true) << tr({"file size (bytes)", num(r.file_size)})
     << tr({"alloc image (bytes)", num(r.alloc_size)})
     << tr({"exec text (bytes)", num(r.exec_text)})
     << tr({"  resident text (bytes)", num(r.resident_text())})
     << tr({"  init text, freed after boot (bytes)", num(r.init_text)})
     << tr({"functions (STT_FUNC entries in exec sections)", num(r.functions)})
     << tr({"functions with a site", num(r.functions_with_site)})
     << tr({"functions without a site", num(r.functions_without_site)})
     << tr({"sites", num(r.sites)}) << tr({"sites without a function", num(r.sites_without_function)})
     << tr({"sites in init text", num(r.init_sites)});
  for (const auto &[k, v] : r.sites_by_source)
    os << tr({"sites from " + k, num(v)});
  os << tr({"bytes reserved at sites now", num(r.reserved_now)}) << "</table>\n";

  os << "<h2>Alignment and room</h2>\n<div class=\"charts\">\n"
     << svg_bars("site-mod8", "Sites by address mod 8", hist_bars(r.site_mod8, true), "#4a7bd0")
     << "\n"
     << svg_bars("function-mod8", "Functions by address mod 8", hist_bars(r.function_mod8, true),
                 "#47a35b")
     << "\n"
     << svg_bars("room", "Sites by room (bytes of nops)", hist_bars(r.room, false, " B"), "#c98a2b")
     << "\n";
  std::vector<Bar> plan_bars = {{"A8", double(r.rewrite_a8), num(r.rewrite_a8)},
                                {"A4", double(r.rewrite_a4), num(r.rewrite_a4)}};
  for (const auto &[k, v] : r.skipped)
    plan_bars.push_back({"skip:" + k, double(v), num(v)});
  os << svg_bars("plan", "Plan by outcome", plan_bars, "#8a56b8") << "\n";
  std::vector<Bar> size_bars;
  for (const LayoutCost &c : r.layouts)
    size_bars.push_back({c.model->key, double(c.overhead), num(c.overhead) + " B"});
  os << svg_bars("overhead", "Code-size overhead by layout (bytes)", size_bars, "#c0504d")
     << "\n</div>\n";

  os << "<h2>Plan</h2>\n<table id=\"plan-table\">\n" << tr({"outcome", "sites"}, true)
     << tr({"rewrite A8 (P = 0 mod 8)", num(r.rewrite_a8)})
     << tr({"rewrite A4 (P = 4 mod 8)", num(r.rewrite_a4)})
     << tr({"  of which c.nop before (P = S+2)", num(r.fixup_before)})
     << tr({"  of which spare nops after", num(r.nops_after)});
  for (const auto &[k, v] : r.skipped)
    os << tr({"skip: " + k, num(v)});
  os << tr({"total", num(r.accounted())}) << "</table>\n<p>destination literal: "
     << html_escape(hex(r.dest)) << " (" << html_escape(r.dest_origin) << ")</p>\n";

  os << "<h2>Code size by layout</h2>\n<table id=\"code-size\">\n"
     << tr({"layout", "per site (B)", "entry align", "traced", "reserved", "padding", "overhead",
            "% of text", "vs now"},
           true);
  for (const LayoutCost &c : r.layouts)
    os << tr({c.model->name, std::to_string(c.model->before_entry + c.model->at_entry),
              std::to_string(c.model->entry_align), num(c.traced), num(c.reserved),
              num(c.padding), num(c.overhead), pct(c.overhead_pct), snum(c.vs_now)});
  os << "</table>\n<p class=\"model\"><b>Model.</b> " << html_escape(kModelText)
     << " Text without any reservation: " << num(r.base_text) << " bytes.</p>\n<ul>\n";
  for (const LayoutCost &c : r.layouts)
    os << "<li><b>" << c.model->key << "</b>: " << html_escape(c.model->rule) << "</li>\n";
  os << "</ul>\n";
  if (budget)
    os << "<p>Budget: " << budget->layout << " overhead " << pct(budget->overhead_pct)
       << " of text, limit " << pct(budget->limit_pct) << ": <span class=\""
       << (budget->exceeded ? "bad\">EXCEEDED" : "ok\">ok") << "</span></p>\n";

  if (cmp) {
    os << "<h2>Baseline: " << html_escape(base_name(cmp->old_file)) << " &rarr; "
       << html_escape(base_name(cmp->new_file)) << "</h2>\n<table id=\"baseline\">\n"
       << tr({"", "old", "new", "delta", "%"}, true);
    auto drow = [&](const SizeDelta &d) {
      return tr({d.name, d.in_old ? num(d.old_size) : "-", d.in_new ? num(d.new_size) : "-",
                 snum(d.delta()), d.in_old ? pct_of(d.delta(), d.old_size) : "new"});
    };
    os << drow(cmp->exec_text) << drow(cmp->alloc) << drow(cmp->file) << drow(cmp->sites)
       << drow(cmp->functions);
    for (const SizeDelta &d : cmp->sections)
      if (!(d.in_old && d.in_new && d.delta() == 0))
        os << drow(d);
    os << "</table>\n<h2>Growth of matched functions</h2>\n<div class=\"charts\">\n";
    std::vector<Bar> growth_bars;
    const auto growth = growth_by_count(*cmp);
    for (size_t i = 0; i < growth.size() && i < 8; ++i)
      growth_bars.push_back({snum(growth[i].first) + " B", double(growth[i].second),
                             num(growth[i].second)});
    os << svg_bars("growth-chart", "Functions by growth (bytes)", growth_bars, "#4a7bd0")
       << "\n</div>\n<table id=\"growth\">\n" << tr({"growth (bytes)", "functions", ""}, true);
    for (const auto &[delta, n] : growth)
      os << tr({snum(delta), num(n),
                delta == cmp->per_site_growth ? "the per-site amount" : delta ? "" : "untraced"});
    os << "</table>\n<h2>Functions whose growth is neither 0 nor " << snum(cmp->per_site_growth)
       << " bytes (" << num(cmp->other_growth) << ")</h2>\n<table id=\"top\">\n"
       << tr({"function", "old", "new", "delta", "%"}, true);
    for (const SizeDelta &d : cmp->top)
      os << drow(d);
    os << "</table>\n";
  }

  if (!r.site_notes.empty()) {
    os << "<h2>Sites not rewritten or without a function, by function</h2>\n"
       << "<table id=\"not-rewritten\" class=\"sortable\">\n<thead>"
       << tr({"function", "site", "why", "address", "section"}, true) << "</thead><tbody>\n";
    // Text columns left-aligned (tr() right-aligns all but the first).
    for (size_t i = 0; i < r.site_notes.size() && i < kHtmlNotes; ++i) {
      const SiteNote &n = r.site_notes[i];
      os << "<tr><td>" << html_escape(n.function.empty() ? "(none)" : n.function) << "</td><td>"
         << html_escape(n.name) << "</td><td>"
         << html_escape(n.reason.empty() ? n.decision + ", no function symbol" : n.reason)
         << "</td><td data-v=\"" << n.address << "\" class=\"n\">" << hex(n.address)
         << "</td><td>" << html_escape(n.section) << "</td></tr>\n";
    }
    os << "</tbody></table>\n";
    if (r.site_notes.size() > kHtmlNotes)
      os << "<p>The first " << num(kHtmlNotes) << " of " << num(r.site_notes.size())
         << "; <code>rvtramp report --format csv</code> lists every site.</p>\n";
  }
  if (!r.rows.empty()) {
    // Click a heading to sort; numbers sort by their data-v value.
    os << "<h2>Sites</h2>\n<table id=\"site-table\" class=\"sortable\">\n<thead>"
       << tr({"address", "site", "section", "room", "mod 8", "state", "decision", "layout",
              "reason"},
             true)
       << "</thead><tbody>\n";
    for (size_t i = 0; i < r.rows.size() && i < kHtmlSiteRows; ++i) {
      const SiteRow &x = r.rows[i];
      os << "<tr><td data-v=\"" << x.address << "\" class=\"n\">" << hex(x.address) << "</td><td>"
         << html_escape(x.name) << "</td><td>" << html_escape(x.section) << "</td><td class=\"n\">"
         << x.room << "</td><td class=\"n\">" << x.align << "</td><td>" << x.state
         << "</td><td>" << x.decision << "</td><td>" << x.layout << "</td><td>"
         << html_escape(x.reason_detail) << "</td></tr>\n";
    }
    os << "</tbody></table>\n";
    if (r.rows.size() > kHtmlSiteRows)
      os << "<p>The first " << num(kHtmlSiteRows) << " of " << num(r.rows.size())
         << " sites; <code>rvtramp report --format csv</code> lists every site.</p>\n";
  }

  os << "<h2>Sections</h2>\n<table id=\"sections\">\n"
     << tr({"section", "address", "size", "flags"}, true);
  for (const SectionInfo &s : r.sections)
    if (s.alloc)
      os << tr({s.name, hex(s.addr), num(s.size), std::string(s.exec ? "AX" : "A")});
  os << "</table>\n";
  if (!r.timers.empty()) {
    os << "<h2>Timers</h2>\n<table id=\"timers\">\n" << tr({"pass", "ms"}, true);
    char b[32];
    for (const PassTime &t : r.timers) {
      std::snprintf(b, sizeof b, "%.3f", t.seconds * 1e3);
      os << tr({t.name, b});
    }
    os << "</table>\n";
  }
  os << "<p style=\"font-size:12px;color:#666\">Generated by rvtramp report (schema " << kSchema
     << "). Per-site rows: <code>rvtramp report --format csv</code>.</p>\n"
     << "<script>\n"
        "document.querySelectorAll('table.sortable th').forEach(function (th) {\n"
        "  th.addEventListener('click', function () {\n"
        "    var body = th.closest('table').tBodies[0], col = th.cellIndex;\n"
        "    var up = th.dataset.dir !== 'up';\n"
        "    th.dataset.dir = up ? 'up' : 'down';\n"
        "    var key = function (row) {\n"
        "      var c = row.cells[col], v = c.dataset.v !== undefined ? c.dataset.v : c.textContent;\n"
        "      var n = Number(v.replace(/,/g, ''));\n"
        "      return isNaN(n) || v === '' ? v : n;\n"
        "    };\n"
        "    var rows = Array.prototype.slice.call(body.rows);\n"
        "    rows.sort(function (a, b) {\n"
        "      var x = key(a), y = key(b);\n"
        "      var d = typeof x === 'number' && typeof y === 'number' ? x - y\n"
        "            : String(x).localeCompare(String(y));\n"
        "      return up ? d : -d;\n"
        "    });\n"
        "    rows.forEach(function (row) { body.appendChild(row); });\n"
        "  });\n"
        "});\n"
        "</script>\n</body></html>\n";
}

} // namespace rvtramp
