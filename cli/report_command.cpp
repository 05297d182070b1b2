// SPDX-License-Identifier: GPL-2.0-only
// `rvtramp report FILE`: size and alignment figures, the four-layout
// code-size model, an optional comparison with a baseline build, and a
// budget check for build systems (--max-overhead, exit 1).
#include "commands.h"

#include "files.h"
#include "pipeline.h"
#include "report.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

namespace rvtramp {

void add_report_command(CLI::App &app, CommandResult &result) {
  struct Args {
    std::string file, format = "text", output, baseline, budget_layout = "seed26";
    double max_overhead = -1;
    size_t top = 10;
    bool time_passes = false, no_sites = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App *cmd = app.add_subcommand(
      "report", "Size and alignment report, four-layout code-size model, budget check");
  cmd->add_option("FILE", args->file, "vmlinux, module (.ko) or object (.o)")->required();
  cmd->add_option("--format", args->format, "text, json, csv (one row per site) or html")
      ->check(CLI::IsMember({"text", "json", "csv", "html"}));
  cmd->add_option("-o,--output", args->output, "write the report to OUT instead of stdout");
  cmd->add_option("--baseline", args->baseline,
                  "compare with OTHER (an older build: OTHER -> FILE growth)");
  cmd->add_option("--max-overhead", args->max_overhead,
                  "exit 1 when the budget layout's overhead exceeds PCT % of the text "
                  "without any ftrace reservation")
      ->check(number_in_range(0, 1e6, "a percentage of 0 or more"));
  cmd->add_option("--budget-layout", args->budget_layout,
                  "layout --max-overhead checks: stock, call_ops, seed24, seed26 (default)")
      ->check(CLI::IsMember({"stock", "call_ops", "seed24", "seed26"}));
  cmd->add_option("--top", args->top,
                  "functions listed whose growth is not the per-site amount, with --baseline "
                  "(default 10)")
      ->check(number_in_range(0, 1e9, "a count of 0 or more"));
  cmd->add_flag("--no-sites", args->no_sites, "json: leave out the per-site list");
  cmd->add_flag("--time-passes", args->time_passes,
                "print a timer per pass on stderr, and put them in the report (which then "
                "differs from run to run)");
  cmd->callback([args, &result] {
    auto ctx = survey_file(args->file);
    if (!ctx) {
      result.exit_code = report_error(ctx.error());
      return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const bool rows = args->format == "csv" || args->format == "html" ||
                      (args->format == "json" && !args->no_sites);
    const bool symbols = !args->baseline.empty();
    Report rep = build_report(*ctx, {rows, symbols});
    std::optional<Report> base;
    std::optional<Comparison> cmp;
    if (!args->baseline.empty()) {
      auto other = survey_file(args->baseline);
      if (!other) {
        result.exit_code = report_error(other.error());
        return;
      }
      base.emplace(build_report(*other, {false, true}));
      cmp.emplace(compare_reports(*base, rep, args->top));
    }
    std::optional<Budget> budget;
    if (args->max_overhead >= 0)
      budget = check_budget(rep, args->budget_layout, args->max_overhead);
    if (args->time_passes) {
      rep.timers = ctx->timers;
      rep.timers.push_back(
          {"report", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
    }

    std::ostringstream out;
    const Comparison *c = cmp ? &*cmp : nullptr;
    const Budget *b = budget ? &*budget : nullptr;
    if (args->format == "json")
      write_report_json(rep, c, b, !args->no_sites, out);
    else if (args->format == "csv")
      print_report_csv(rep, out);
    else if (args->format == "html")
      print_report_html(rep, c, b, out);
    else
      print_report_text(rep, c, b, out);

    if (args->output.empty()) {
      std::cout << out.str();
      std::cout.flush();
    } else if (Status wrote = write_text_file(args->output, out.str()); !wrote) {
      result.exit_code = report_error(wrote.error());
      return;
    }
    if (args->time_passes)
      print_timers(rep.timers, std::cerr);
    if (budget && budget->exceeded) {
      char line[512];
      std::snprintf(line, sizeof line,
                    "rvtramp: budget: %s: %s overhead %.2f%% of text (%llu bytes) exceeds "
                    "--max-overhead %g%%\n",
                    args->file.c_str(), budget->layout.c_str(), budget->overhead_pct,
                    static_cast<unsigned long long>(budget->overhead), budget->limit_pct);
      std::cerr << line;
      result.exit_code = kExitCheckFailed;
    }
  });
}

} // namespace rvtramp
