// SPDX-License-Identifier: GPL-2.0-only
// One function per subcommand: registers its options on the app and a
// callback that runs it and stores the exit code.
#pragma once

#include "diag.h"

#include <string>

namespace CLI {
class App;
}

namespace rvtramp {

struct CommandResult {
  int exit_code = kExitOk;
};

// Prints "rvtramp: error: ..." and returns kExitBadInput.
int report_error(const Error &e);

void add_sites_command(CLI::App &app, CommandResult &result);
void add_rewrite_command(CLI::App &app, CommandResult &result);
void add_verify_command(CLI::App &app, CommandResult &result);
void add_report_command(CLI::App &app, CommandResult &result);

} // namespace rvtramp
