// SPDX-License-Identifier: GPL-2.0-only
// One function per subcommand: registers its options on the app and a
// callback that runs it and stores the exit code.
#pragma once

#include "diag.h"
#include "timer.h"

#include <ostream>
#include <vector>

#include <CLI/CLI.hpp>
#include <string>

namespace rvtramp {

struct CommandResult {
  int exit_code = kExitOk;
};

// Prints "rvtramp: error: ..." and returns kExitBadInput.
int report_error(const Error &e);

// A number option's check, with the range in words in its error
// ("--max-overhead: -5 is not a percentage of 0 or more"), where CLI11's own
// checks print the bounds as digits (DBL_MAX: 300 of them).
CLI::Validator number_in_range(double low, double high, const std::string &words);

// "%10.3f ms  NAME" per pass and a total, on stderr (--time-passes).
void print_timers(const std::vector<PassTime> &timers, std::ostream &os);

void add_sites_command(CLI::App &app, CommandResult &result);
void add_rewrite_command(CLI::App &app, CommandResult &result);
void add_verify_command(CLI::App &app, CommandResult &result);
void add_report_command(CLI::App &app, CommandResult &result);

} // namespace rvtramp
