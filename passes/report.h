// SPDX-License-Identifier: GPL-2.0-only
// `rvtramp report`: the figures a kernel developer needs to decide whether
// the inline layout is worth its bytes, computed from a surveyed Context
// (locate + analyze + plan, or the rewrite passes): functions and sites,
// alignment and room histograms, the plan by layout and by skip reason, and a
// code-size model of four ftrace layouts laid over this image's real
// function addresses. Formats (text, JSON schema "rvtramp-report/1", CSV,
// HTML) live in report_formats.cpp; docs/report-schema.md documents them.
#pragma once

#include "context.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace rvtramp {

using Histogram = std::map<uint64_t, size_t>;

// One ftrace layout of the code-size model.
struct LayoutModel {
  const char *key;          // "stock", "call_ops", "seed24", "seed26"
  const char *name;         // human name
  uint32_t before_entry;    // bytes placed before the function entry (CALL_OPS literal)
  uint32_t at_entry;        // bytes reserved at the entry
  uint32_t entry_align;     // required alignment of the traced entry (1: none)
  bool align_all;           // the alignment applies to every function (-falign-functions)
  const char *rule;         // one line: where the figures come from
};
const std::vector<LayoutModel> &layout_models();
const LayoutModel *find_layout_model(const std::string &key);

struct LayoutCost {
  const LayoutModel *model = nullptr;
  uint64_t traced = 0;      // entries that carry the reservation (= sites)
  uint64_t reserved = 0;    // traced * (before_entry + at_entry)
  uint64_t padding = 0;     // alignment padding the layout adds
  uint64_t overhead = 0;    // reserved + padding = text(layout) - text(no ftrace)
  uint64_t text = 0;        // modeled executable text with this layout
  int64_t vs_now = 0;       // text(layout) - exec text of this image
  double overhead_pct = 0;  // overhead / text(no ftrace) * 100
};

struct SectionInfo {
  std::string name;
  uint64_t addr = 0, size = 0, flags = 0;
  uint32_t type = 0;
  bool exec = false, alloc = false;
};

// A sized symbol, for --baseline growth.
struct SymbolSize {
  std::string name;
  std::string section;
  uint64_t address = 0;
  uint64_t size = 0;
  bool function = false;    // STT_FUNC (else STT_OBJECT)
};

// One row per site (CSV, JSON "sites").
struct SiteRow {
  uint64_t address = 0;
  std::string section;
  uint64_t offset = 0;
  std::string function;
  uint64_t function_offset = 0;
  std::string name;         // "symbol+0xOFF", nearest symbol when no function owns it
  uint32_t room = 0;
  unsigned align = 0;
  std::string source, state;
  std::string decision;     // rewrite | fixup | skip
  std::string layout;       // A8 | A4 | "" (skipped)
  uint64_t trampoline = 0;  // P (rewritten sites)
  std::string reason, reason_detail;
};

// A site the plan leaves as it is, or one that no function symbol covers:
// the per-function list a developer reads next to objtool's warnings.
struct SiteNote {
  std::string function;     // owning function or label; "" when none covers it
  std::string name;         // "symbol+0xOFF" (nearest preceding symbol when unsymbolised)
  std::string section;
  uint64_t address = 0;
  std::string decision;     // rewrite | fixup | skip
  std::string reason;       // the skip's detail ("room 8 < 24"); "" when rewritten
};

// Executable sections Linux frees after boot: their sites and bytes cost
// nothing once the system runs, so the figures keep them apart.
bool is_init_text(const std::string &section_name);

struct Report {
  // The image.
  std::string file;
  std::string elf_type;
  unsigned elf_class = 64;
  bool rvc = false;
  uint64_t file_size = 0;
  uint64_t exec_text = 0;       // sum of executable sections with file bytes
  uint64_t alloc_size = 0;      // sum of SHF_ALLOC sections (memory image)
  uint64_t init_text = 0;       // of exec_text: .init.text and the like (is_init_text)
  uint64_t resident_text() const { return exec_text - init_text; }
  std::vector<SectionInfo> sections;

  // Functions: distinct STT_FUNC entry addresses in executable sections.
  size_t function_symbols = 0;  // STT_FUNC symbols there, aliases included
  size_t functions = 0;
  size_t functions_with_site = 0;
  size_t functions_without_site = 0;

  // Sites.
  size_t sites = 0;
  size_t sites_without_function = 0; // not inside any STT_FUNC
  size_t init_sites = 0;             // in init text (freed after boot)
  size_t null_table_entries = 0;
  std::map<std::string, size_t> sites_by_source; // a site named by two tables counts twice
  std::map<std::string, size_t> sites_by_state;
  Histogram site_mod8, function_mod8, room;

  // The plan (every site lands in exactly one of a8, a4, skipped[reason]).
  uint64_t dest = 0;
  std::string dest_origin;
  // A relocatable image (ET_DYN, ELF64): literals the plan would give an
  // R_RISCV_RELATIVE, .rela.dyn's reserved (trailing zero) entries, and
  // trampoline literals found relocated (a rewritten image).
  size_t literal_relocations = 0;
  size_t rela_dyn_free_entries = 0;
  size_t relocated_literals = 0;
  size_t rewrite_a8 = 0, rewrite_a4 = 0;
  size_t fixup_before = 0;      // c.nop at S, P = S + 2
  size_t nops_after = 0;        // P = S, spare c.nop(s) after the trampoline
  std::map<std::string, size_t> skipped; // reason key -> count
  // Why no site would be rewritten and what to change (empty when some
  // would, or all already are): the HTML banner, a line in text.
  std::string nothing_rewritten;
  // Sites not rewritten (already rewritten ones aside) and sites without a
  // function symbol, by function name, then address.
  std::vector<SiteNote> site_notes;
  size_t skipped_total() const;
  size_t accounted() const { return rewrite_a8 + rewrite_a4 + skipped_total(); }

  // Code size.
  uint64_t reserved_now = 0;    // bytes reserved at the sites as the image stands
  uint32_t nominal_room = 0;    // the -fpatchable-function-entry reservation (bytes)
  uint64_t base_text = 0;       // exec text with every reservation removed
  std::vector<LayoutCost> layouts;

  std::vector<SymbolSize> symbols;   // for --baseline
  std::vector<SiteRow> rows;
  std::vector<PassTime> timers; // --time-passes only: a report is reproducible without

  // rewrite --report: what the rewrite did.
  nlohmann::json rewrite;       // null unless set

  const LayoutCost *layout(const std::string &key) const;
};

// The reservation the compiler made: the most common room among nop sites
// (a longer run means the body itself starts with nops).
uint32_t nominal_room(const Context &ctx);
// Bytes a site holds in reserve: its nop room capped at the nominal room, or
// the layout it already has.
uint64_t site_reservation(const Context &ctx, const Site &s, uint32_t nominal);

// What to collect beyond the figures (both cost time and memory at 100K+ sites).
struct ReportParts {
  bool site_rows = true;   // per-site rows (JSON site_list, CSV)
  bool symbols = true;     // sized symbols (--baseline)
};
Report build_report(const Context &ctx, ReportParts parts = {});

// --baseline: OLD -> NEW.
struct SizeDelta {
  std::string name;
  uint64_t old_size = 0, new_size = 0;
  bool in_old = false, in_new = false;
  bool function = false; // a function symbol (per-function growth)
  int64_t delta() const { return int64_t(new_size) - int64_t(old_size); }
};
struct Comparison {
  std::string old_file, new_file;
  SizeDelta exec_text, alloc, file, sites, functions;
  std::vector<SizeDelta> sections;      // by name, every section either has
  size_t matched = 0, only_old = 0, only_new = 0;
  int64_t symbol_growth = 0;            // sum of growth over matched symbols
  // Per-function growth: each traced function grows by the change of the
  // reservation (=4 -> =13 with RVC: 8 -> 26 bytes, +18), untraced ones by
  // 0. The distribution over matched functions shows that at a glance, and
  // the list names the functions that grew by anything else (largest
  // first, N of them), which are the ones worth a look.
  int64_t per_site_growth = 0;          // new nominal room - old nominal room
  std::map<int64_t, size_t> function_growth; // growth in bytes -> matched functions
  std::vector<SizeDelta> top;           // growth neither 0 nor per_site_growth, top N
  size_t other_growth = 0;              // how many functions top was taken from
};
Comparison compare_reports(const Report &old_report, const Report &new_report, size_t top_n);

// The budget (--max-overhead): the chosen layout's overhead in % of the
// text without any ftrace reservation.
struct Budget {
  std::string layout = "seed26";
  double limit_pct = 0;
  double overhead_pct = 0;
  uint64_t overhead = 0;
  bool exceeded = false;
};
std::optional<Budget> check_budget(const Report &r, const std::string &layout, double limit_pct);

// Formats (report_formats.cpp).
nlohmann::json report_json(const Report &r, const Comparison *cmp = nullptr,
                           const Budget *budget = nullptr, bool with_sites = true);
// report_json with the per-site list streamed (the way to write big reports).
void write_report_json(const Report &r, const Comparison *cmp, const Budget *budget,
                       bool with_sites, std::ostream &os);
void print_report_text(const Report &r, const Comparison *cmp, const Budget *budget,
                       std::ostream &os);
void print_report_csv(const Report &r, std::ostream &os);
void print_report_html(const Report &r, const Comparison *cmp, const Budget *budget,
                       std::ostream &os);

} // namespace rvtramp
