// SPDX-License-Identifier: GPL-2.0-only
// rvtramp: the command line. Parses arguments (CLI11), calls the library,
// maps results to exit codes: 0 ok, 1 a check or budget failed, 2 bad usage
// or bad input. Errors print as one line "rvtramp: error: FILE: what"; usage
// errors as one line "rvtramp: error: what (rvtramp [SUBCOMMAND] --help)".
#include "commands.h"
#include "version.h" // generated: RVTRAMP_VERSION, RVTRAMP_GIT_COMMIT

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <malloc.h>

namespace {

// CLI11 messages may span lines (a list of extra arguments); the promise is
// one line per error, so the breaks become "; ".
std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  for (size_t at; (at = text.find('\n')) != std::string::npos;)
    text.replace(at, 1, "; ");
  return text;
}

// `rvtramp help [SUBCOMMAND]`, as git and cargo take it: the help of the
// subcommand named, else of rvtramp; and an unknown first word named as
// such. Returns the exit code, or -1 when CLI11 is to parse argv.
int help_command(CLI::App &app, int argc, char **argv) {
  if (argc < 2)
    return -1;
  if (std::strcmp(argv[1], "help") != 0) {
    // A misspelt subcommand: CLI11 would only say one is required.
    if (argv[1][0] == '-')
      return -1;
    for (CLI::App *sub : app.get_subcommands({}))
      if (sub->get_name() == argv[1])
        return -1;
    std::cerr << "rvtramp: error: no subcommand '" << argv[1]
              << "' (sites, rewrite, verify, report, help) (rvtramp --help)\n";
    return rvtramp::kExitBadInput;
  }
  if (argc == 2) {
    std::cout << app.help();
    return rvtramp::kExitOk;
  }
  for (CLI::App *sub : app.get_subcommands({}))
    if (argc == 3 && sub->get_name() == argv[2]) {
      std::cout << sub->help();
      return rvtramp::kExitOk;
    }
  std::cerr << "rvtramp: error: help: no subcommand '" << argv[2]
            << "' (sites, rewrite, verify, report)\n";
  return rvtramp::kExitBadInput;
}

} // namespace

int main(int argc, char **argv) {
  using namespace rvtramp;
  // A rewrite allocates and frees a few large arrays per pass (10^5 sites,
  // symbols, sort keys). Keep freed memory in the heap for the next pass
  // instead of returning it to the kernel and faulting fresh zero pages in
  // again: page faults were a quarter of a 122K-site rewrite.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{"rvtramp: rewrite RISC-V ftrace sites into aligned inline trampolines\n"
               "(rvtramp help SUBCOMMAND, or rvtramp SUBCOMMAND --help, for its options)"};
  app.set_version_flag("-V,--version", "rvtramp " RVTRAMP_VERSION " (git " RVTRAMP_GIT_COMMIT ")");
  app.require_subcommand(1);
  CommandResult result;
  add_sites_command(app, result);
  add_rewrite_command(app, result);
  add_verify_command(app, result);
  add_report_command(app, result);
  if (const int rc = help_command(app, argc, argv); rc >= 0)
    return rc;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    // Which subcommand was being parsed, so the hint points at its options.
    std::string scope = "rvtramp";
    for (const CLI::App *sub : app.get_subcommands())
      scope += " " + sub->get_name();
    std::cerr << "rvtramp: error: " << one_line(e.what()) << " (" << scope << " --help)\n";
    return kExitBadInput;
  }
  return result.exit_code;
}
