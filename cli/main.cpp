// SPDX-License-Identifier: GPL-2.0-only
// rvtramp: the command line. Parses arguments (CLI11), calls the library,
// maps results to exit codes: 0 ok, 1 a check or budget failed, 2 bad usage
// or bad input. Errors print as "rvtramp: error: FILE: what".
#include "commands.h"
#include "version.h" // generated: RVTRAMP_VERSION, RVTRAMP_GIT_COMMIT

#include <CLI/CLI.hpp>
#include <iostream>
#include <malloc.h>

int main(int argc, char **argv) {
  using namespace rvtramp;
  // A rewrite allocates and frees a few large arrays per pass (10^5 sites,
  // symbols, sort keys). Keep freed memory in the heap for the next pass
  // instead of returning it to the kernel and faulting fresh zero pages in
  // again: page faults were a quarter of a 122K-site rewrite.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{"rvtramp: rewrite RISC-V ftrace sites into aligned inline trampolines"};
  app.set_version_flag("--version", "rvtramp " RVTRAMP_VERSION " (git " RVTRAMP_GIT_COMMIT ")");
  app.require_subcommand(1);
  CommandResult result;
  add_sites_command(app, result);
  add_rewrite_command(app, result);
  add_verify_command(app, result);
  add_report_command(app, result);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::cerr << "rvtramp: error: " << e.what() << "\n"
              << "Run with --help for more information.\n";
    return kExitBadInput;
  }
  return result.exit_code;
}
