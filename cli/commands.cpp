// SPDX-License-Identifier: GPL-2.0-only
#include "commands.h"

#include "files.h"
#include "pipeline.h"
#include "report.h"
#include "site_listing.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <malloc.h>
#include <map>
#include <optional>
#include <memory>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rvtramp {
namespace {

// Grows the heap by `reserve` bytes of address space (nothing is touched, so
// nothing becomes resident) and asks for huge pages there. What later
// allocations touch is then faulted in 2 MiB at a time where the kernel's
// transparent_hugepage setting allows it ("madvise" or "always").
void advise_huge_pages_for_heap(size_t reserve) {
  constexpr uintptr_t kHuge = 2 << 20;
  constexpr size_t kProbe = 1 << 20;
  mallopt(M_TOP_PAD, int(reserve));
  const uintptr_t before = reinterpret_cast<uintptr_t>(sbrk(0));
  void *probe = malloc(kProbe); // past the current top: the heap grows by reserve
  const uintptr_t after = reinterpret_cast<uintptr_t>(sbrk(0));
  const uintptr_t top = reinterpret_cast<uintptr_t>(probe); // where the next block starts
  // Only the address space the brk heap just gained (not under a
  // sanitizer's allocator, which does not use brk, nor if sbrk failed),
  // and above the header malloc wrote after the probe: that 4 KiB page,
  // touched before the advice, gives its 2 MiB a page table of small
  // pages for good (when the heap's top was less than 1 MiB below a
  // 2 MiB boundary, locate's function index went there: 513 faults).
  const uintptr_t lo = (std::max(before, top + kProbe + 4096) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t hi = after & ~(kHuge - 1);
  const bool advised = probe && after - before >= reserve && hi > lo &&
                       madvise(reinterpret_cast<void *>(lo), hi - lo, MADV_HUGEPAGE) == 0;
  free(probe);
  mallopt(M_TOP_PAD, 0); // later growth (inputs past 500K sites) as usual
  // The next allocations start where the probe did, below lo: up to 3 MiB
  // in 4 KiB pages, which held locate's first arrays (the function index of
  // a 122K-site image: ~450 faults, 3-8 ms of its 8-16 here). A block up to
  // lo, never freed and never touched past its header (no memory), moves
  // them into the huge pages. Held for the process's life on purpose.
  if (advised && lo > top + 4096) {
    // volatile: the compiler may drop a malloc whose block is never used.
    [[maybe_unused]] static void *volatile spacer;
    spacer = malloc(lo - top - 4096);
  }
}

} // namespace

void print_timers(const std::vector<PassTime> &timers, std::ostream &os) {
  double total = 0;
  for (const auto &t : timers)
    total += t.seconds;
  char line[128];
  for (const auto &t : timers) {
    std::snprintf(line, sizeof line, "%10.3f ms  %s\n", t.seconds * 1e3, t.name.c_str());
    os << line;
  }
  std::snprintf(line, sizeof line, "%10.3f ms  total\n", total * 1e3);
  os << line;
}

CLI::Validator number_in_range(double low, double high, const std::string &words) {
  return CLI::Validator(
      [low, high, words](std::string &text) -> std::string {
        char *end = nullptr;
        errno = 0;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || !end || *end != '\0' || errno == ERANGE || v != v)
          return "'" + text + "' is not a number";
        if (v < low || v > high)
          return text + " is not " + words;
        return {};
      },
      words);
}

namespace {

// Kbuild prints the object name, not the path.
std::string base_name(const std::string &path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Sites listed one by one before the rest are only counted (--verbose: all).
constexpr size_t kListedSkips = 20;

// objtool's shape, one line per site left as it was, so that a build log
// greps the same way for both tools:
//   rvtramp: warning: FILE: func+0x0: site not rewritten: room 8 < 24
// then one line of counts per reason, and one saying why nothing at all
// was rewritten, when nothing was.
void warn_skipped_sites(const Context &ctx, const std::string &file, bool verbose,
                        std::ostream &err) {
  size_t listed = 0, skipped = 0;
  std::map<std::string, size_t> by_reason;
  for (const Site &s : ctx.sites) {
    if (s.decision != Decision::Skip || s.reason == SkipReason::AlreadyRewritten)
      continue;
    ++skipped;
    ++by_reason[ctx.detail_of(s)];
    if (verbose || listed < kListedSkips) {
      ++listed;
      err << "rvtramp: warning: " << file << ": " << site_name(ctx, s)
          << ": site not rewritten: " << ctx.detail_of(s) << "\n";
    }
  }
  if (skipped) {
    err << "rvtramp: warning: " << file << ": " << skipped << " of " << ctx.sites.size()
        << " sites not rewritten (";
    // The commonest reasons first; a long tail of distinct details is counted.
    std::vector<std::pair<size_t, std::string>> order;
    for (const auto &[why, n] : by_reason)
      order.push_back({n, why});
    std::stable_sort(order.begin(), order.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    constexpr size_t kReasons = 6;
    size_t other = 0;
    for (size_t i = 0; i < order.size(); ++i) {
      if (i < kReasons)
        err << (i ? ", " : "") << order[i].first << " " << order[i].second;
      else
        other += order[i].first;
    }
    if (other)
      err << ", " << other << " for other reasons";
    err << ")";
    if (listed < skipped)
      err << "; " << skipped - listed << " more not listed (--verbose lists every site)";
    err << "\n";
  }
  if (const std::string why = nothing_rewritten_reason(ctx); !why.empty())
    err << "rvtramp: warning: " << file << ": nothing rewritten: " << why << "\n";
}

// rewrite --report: the report of the input's plan, and what the rewrite did.
std::string rewrite_report_json(const RewriteRequest &req, const RewriteOutcome &o,
                                uint64_t changed_bytes, bool with_timers) {
  Report report = build_report(o.ctx);
  if (with_timers)
    report.timers = o.ctx.timers; // else the same input gives the same bytes
  report.rewrite = {{"input", req.input},
                    {"output", req.output},
                    {"input_size", o.input_size},
                    {"output_size", o.output_size},
                    {"changed_bytes", changed_bytes},
                    {"rewritten", o.rewritten},
                    {"A8", o.a8},
                    {"A4", o.a4},
                    {"fixups", o.fixups},
                    {"skipped", o.skipped},
                    {"already", o.already},
                    {"disabled_toggle", riscv::toggle_form_name(o.ctx.disabled_toggle)},
                    {"verify", {{"entries", o.verify.entries},
                                {"disabled", o.verify.disabled},
                                {"disabled_j", o.verify.disabled_j},
                                {"enabled", o.verify.enabled},
                                {"untouched", o.verify.untouched},
                                {"compared_bytes", o.verify.compared_bytes},
                                {"mcount_loc_sorted_entries", o.verify.sorted_entries},
                                {"mcount_loc_entries", o.verify.mcount_entries},
                                {"mcount_loc_entries_matched", o.verify.mcount_matched},
                                {"mcount_loc_entries_sorted_by_rewrite",
                                 o.ctx.sorted_mcount_entries},
                                {"relocated_literals", o.verify.relocated_literals},
                                {"ok", o.verify.ok()}}}};
  std::ostringstream text;
  write_report_json(report, nullptr, nullptr, true, text);
  return text.str();
}

} // namespace

int report_error(const Error &e) {
  std::cerr << "rvtramp: error: " << e.message() << "\n";
  return kExitBadInput;
}

void add_sites_command(CLI::App &app, CommandResult &result) {
  struct Args {
    std::string file;
    std::string format = "text";
    bool time_passes = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App *cmd = app.add_subcommand("sites", "List every ftrace site with its owner, room and alignment");
  cmd->add_option("FILE", args->file, "vmlinux, module (.ko) or object (.o)")->required();
  cmd->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--time-passes", args->time_passes, "print a timer per pass on stderr");
  cmd->callback([args, &result] {
    auto ctx = survey_file(args->file);
    if (!ctx) {
      result.exit_code = report_error(ctx.error());
      return;
    }
    // Symbol names are bytes from the file, not necessarily UTF-8: replace
    // invalid sequences (U+FFFD) instead of letting json::dump throw.
    if (args->format == "json")
      std::cout << sites_json(*ctx).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else
      print_sites_text(*ctx, std::cout);
    if (args->time_passes)
      print_timers(ctx->timers, std::cerr);
  });
}

void add_rewrite_command(CLI::App &app, CommandResult &result) {
  struct Args {
    std::string input, output, dest, state = "disabled", disabled_toggle = "auto", report;
    bool in_place = false, strict = false, quiet = false, allow_relax = false,
         emit_mcount_loc = false, time_passes = false, fsync = false, verbose = false;
    std::optional<uint32_t> reserved;
  };
  auto args = std::make_shared<Args>();
  CLI::App *cmd = app.add_subcommand("rewrite", "Rewrite reserved nops into inline trampolines");
  cmd->add_option("IN", args->input, "input ELF")->required();
  auto *out = cmd->add_option("-o,--output", args->output, "output file (written atomically)");
  auto *inplace = cmd->add_flag("--in-place", args->in_place, "replace IN (atomically)");
  out->excludes(inplace);
  cmd->add_option("--dest", args->dest,
                  "literal: SYMBOL or ADDRESS (default ftrace_caller when defined, else 0; "
                  "0 for modules; a position-independent image gets the link address and an "
                  "R_RISCV_RELATIVE per literal when its .rela.dyn ends in reserved zero "
                  "entries, else 0)");
  cmd->add_option("--state", args->state,
                  "toggle state written: disabled (c.j .+24 with RVC, else j .+24) or enabled "
                  "(auipc t0, 0)")
      ->check(CLI::IsMember({"disabled", "enabled"}));
  cmd->add_option("--disabled-toggle", args->disabled_toggle,
                  "form of the disabled toggle: auto (c.j .+24 and a zero halfword when the "
                  "image has RVC, so that the two states differ in one halfword; else j .+24), "
                  "j (j .+24 always: kernels of the series that predate the c.j form), or c.j")
      ->check(CLI::IsMember({"auto", "j", "c.j"}));
  cmd->add_flag("--strict", args->strict, "exit 1 if any site is skipped");
  cmd->add_option("--report", args->report,
                  "write the plan as JSON to FILE (written together with the output, or neither)");
  cmd->add_flag("-q,--quiet", args->quiet, "no summary line (warnings still print)");
  cmd->add_flag("-v,--verbose", args->verbose,
                "a warning for every site not rewritten (default: the first 20, then counts)");
  cmd->add_flag("--allow-relax", args->allow_relax,
                "rewrite sections with linker relaxation (only if nothing links them again)");
  cmd->add_flag("--emit-mcount-loc", args->emit_mcount_loc,
                "for -pg objects: create __mcount_loc as recordmcount does");
  cmd->add_option("--reserved", args->reserved,
                  "bytes reserved per site (default: the most common nop run)")
      ->check(number_in_range(2, 64, "a byte count from 2 to 64"));
  cmd->add_flag("--fsync", args->fsync,
                "flush the output and its directory to disk before returning (off: the "
                "rename is still atomic, as for cp, objcopy and ld)");
  cmd->add_flag("--time-passes", args->time_passes, "print a timer per pass on stderr");
  cmd->callback([args, &result] {
    // The rewrite's heap in huge pages: one fault per 2 MiB instead of one
    // per 4 KiB (faults were 40 % of a 122K-site rewrite on a virtual machine
    // where each costs microseconds). Not for report and verify, which are
    // held to memory limits and gain less: huge pages round their RSS up.
    // Not for small inputs either (a module): there the first touch of a
    // huge page zeroes 2 MiB for a few KiB used.
    struct stat in {};
    if (stat(args->input.c_str(), &in) == 0 && in.st_size >= (8 << 20))
      advise_huge_pages_for_heap(512 << 20);
    if (args->output.empty() && !args->in_place) {
      std::cerr << "rvtramp: error: " << args->input << ": rewrite needs -o OUT or --in-place\n";
      result.exit_code = kExitBadInput;
      return;
    }
    RewriteRequest req;
    req.input = args->input;
    req.in_place = args->in_place;
    req.strict = args->strict;
    req.fsync = args->fsync;
    req.output = args->in_place ? args->input : args->output;
    if (!args->dest.empty())
      req.options.dest = args->dest;
    req.options.state = args->state == "enabled" ? riscv::ToggleState::Enabled
                                                 : riscv::ToggleState::Disabled;
    if (args->disabled_toggle != "auto")
      req.options.disabled_toggle = args->disabled_toggle == "j" ? riscv::DisabledToggle::J
                                                                 : riscv::DisabledToggle::CJ;
    req.options.allow_relax = args->allow_relax;
    req.options.emit_mcount_loc = args->emit_mcount_loc;
    req.options.reserved = args->reserved;
    // The report and the byte count are made from the checked temporary,
    // before it replaces anything: a report that cannot be written fails
    // the rewrite, which then leaves no output behind.
    std::optional<AtomicFile> report_file;
    std::optional<uint64_t> changed_bytes;
    const bool summary = !args->quiet;
    if (summary || !args->report.empty())
      req.before_commit = [&](const RewriteOutcome &o, const std::string &written) -> Status {
        // The edit-list check counted them; the whole-file path compares
        // the files.
        if (o.verify.changed_bytes) {
          changed_bytes = *o.verify.changed_bytes;
        } else {
          auto changed = count_differing_bytes(req.input, written);
          RVT_TRY(changed);
          changed_bytes = *changed;
        }
        if (args->report.empty())
          return Status::ok();
        auto staged = stage_text_file(args->report, rewrite_report_json(req, o, *changed_bytes, args->time_passes));
        RVT_TRY(staged);
        report_file.emplace(staged.take());
        return Status::ok();
      };
    auto outcome = rewrite_file(req);
    if (!outcome) {
      result.exit_code = report_error(outcome.error());
      return;
    }
    warn_skipped_sites(outcome->ctx, req.input, args->verbose, std::cerr);
    if (report_file) {
      // Staged in its directory before the output went in, so only a rename
      // can fail here; the output then goes too (an in-place input cannot
      // be given back), so that neither is left without the other.
      if (Status st = report_file->commit(); !st) {
        if (!req.in_place)
          ::unlink(req.output.c_str());
        result.exit_code = report_error(st.error());
        return;
      }
    }
    if (summary) {
      const long long growth =
          static_cast<long long>(outcome->output_size) - static_cast<long long>(outcome->input_size);
      // Every changed byte is counted (the table sort and moved addends
      // too), so a rewrite that only sorted __mcount_loc does not read as
      // "no change".
      std::string changed = outcome->written && changed_bytes
                                ? std::to_string(*changed_bytes) + " bytes changed"
                                : "nothing written";
      if (outcome->ctx.sorted_mcount_entries)
        changed += " (__mcount_loc sorted: " +
                   std::to_string(outcome->ctx.sorted_mcount_entries) + " entries)";
      std::printf("%s %s: %zu sites, %zu rewritten (%zu A8, %zu A4), %zu fixups, "
                  "%zu skipped, %zu already, %s, size %+lld bytes\n",
                  outcome->written ? "REWRITE" : "PLAN", base_name(req.output).c_str(),
                  outcome->ctx.sites.size(), outcome->rewritten,
                  outcome->a8, outcome->a4, outcome->fixups, outcome->skipped, outcome->already,
                  changed.c_str(), growth);
    }
    if (args->time_passes)
      print_timers(outcome->ctx.timers, std::cerr);
    if (args->strict && outcome->skipped) {
      std::cerr << "rvtramp: error: " << args->input << ": " << outcome->skipped
                << " sites skipped (--strict): nothing written\n";
      result.exit_code = kExitCheckFailed;
    }
  });
}

void add_verify_command(CLI::App &app, CommandResult &result) {
  struct Args {
    std::string file, against;
    bool quiet = false, strict = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App *cmd = app.add_subcommand("verify", "Check every table entry names a well-formed layout");
  cmd->add_option("FILE", args->file, "rewritten ELF")->required();
  cmd->add_option("--against", args->against,
                  "original: every byte outside rewritten regions must match it");
  cmd->add_flag("-q,--quiet", args->quiet, "print problems only");
  cmd->add_flag("--strict", args->strict,
                "exit 1 unless every table entry is a trampoline (either state): the check "
                "a build runs after its rewrite step");
  cmd->callback([args, &result] {
    auto img = ElfImage::load(args->file);
    if (!img) {
      result.exit_code = report_error(img.error());
      return;
    }
    Context ctx(img.take());
    std::optional<Context> orig;
    if (!args->against.empty()) {
      // Two files: the checked one is parsed (its errors come first) but its
      // pages wait on disk while the original is located.
      ctx.image.release_pages();
      // The comparison needs the original's sites and tables, not a plan.
      auto o = ElfImage::load(args->against);
      if (!o) {
        result.exit_code = report_error(o.error());
        return;
      }
      orig.emplace(o.take());
      if (Status st = run_locate(*orig); !st) {
        result.exit_code = report_error(st.error());
        return;
      }
      // Located: from here on only the bytes compared are read (from the
      // file), so its mapped pages need not stay beside the checked file's.
      orig->image.release_pages();
    }
    // Against an original, sites are named through it: the checked file
    // needs only its entries (half the memory of a full locate).
    auto verified = locate_and_verify(ctx, orig ? &*orig : nullptr,
                                      orig ? run_locate_entries : run_locate);
    if (!verified) {
      result.exit_code = report_error(verified.error());
      return;
    }
    const VerifyResult &v = *verified;
    for (const auto &p : v.problems)
      std::cerr << "rvtramp: verify: " << args->file << ": " << p << "\n";
    // A file never rewritten is well formed (every entry still nops) but is
    // not what a build that runs rvtramp should ship: --strict fails it, and
    // without --strict it is at least said.
    const size_t not_trampolines = v.entries - v.trampolines();
    const bool strict_failed = args->strict && not_trampolines > 0;
    if (strict_failed) {
      for (const std::string &site : v.not_trampolines)
        std::cerr << "rvtramp: verify: " << args->file << ": " << site
                  << ": not a trampoline (--strict)\n";
      std::cerr << "rvtramp: verify: " << args->file << ": " << not_trampolines << " of "
                << v.entries << " table entries are not trampolines (--strict)";
      if (not_trampolines > v.not_trampolines.size())
        std::cerr << "; the first " << v.not_trampolines.size() << " are listed";
      std::cerr << "\n";
    } else if (v.entries && v.trampolines() == 0 && v.ok()) {
      std::cerr << "rvtramp: warning: " << args->file << ": no table entry is a trampoline: "
                << "the file was not rewritten (verify --strict fails it)\n";
    }
    const bool ok = v.ok() && !strict_failed;
    if (!args->quiet) {
      // An RVC image's disabled toggles by form: c.j is what rewrite writes,
      // j what it wrote before (accepted: the kernel converts it at init).
      std::string disabled = std::to_string(v.disabled) + " disabled";
      if (ctx.rvc() && v.disabled)
        disabled += " (" + std::to_string(v.disabled - v.disabled_j) + " c.j, " +
                    std::to_string(v.disabled_j) + " j)";
      // A linked image's __mcount_loc: in order, and (against the
      // original) every entry there once, what HAVE_BUILDTIME_MCOUNT_SORT
      // relies on.
      std::string mcount;
      if (v.mcount_entries)
        mcount = ", __mcount_loc " + std::to_string(v.mcount_entries) + " entries " +
                 (v.sorted_entries == v.mcount_entries ? "sorted" : "not sorted") +
                 (orig ? (v.mcount_matched == v.mcount_entries ? ", each the original's"
                                                                : ", not the original's")
                       : "");
      // A relocatable kernel's literals that the kernel relocates at boot.
      const std::string relocated =
          v.relocated_literals ? ", " + std::to_string(v.relocated_literals) + " literals relocated"
                               : "";
      std::printf("VERIFY %s: %zu entries, %s, %zu enabled, %zu untouched, "
                  "%zu calls%s%s, %zu bytes compared: %s\n",
                  base_name(args->file).c_str(), v.entries, disabled.c_str(), v.enabled,
                  v.untouched, v.calls, mcount.c_str(), relocated.c_str(), v.compared_bytes,
                  ok ? "ok" : "FAILED");
    }
    if (!ok)
      result.exit_code = kExitCheckFailed;
  });
}

} // namespace rvtramp
