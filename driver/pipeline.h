// SPDX-License-Identifier: GPL-2.0-only
// The ordered passes of each subcommand (BOLT's RewriteInstance::run): each a
// plain function, timed, with a one-line reason for its place in the order.
#pragma once

#include "context.h"
#include "passes.h"

#include <functional>
#include <span>
#include <string>

namespace rvtramp {

struct Pass {
  const char *name;
  Status (*run)(Context &);
  const char *why;
};

// sites / report: find and classify, change nothing.
std::span<const Pass> survey_passes();
// rewrite: survey, then change bytes and tables, then check the result.
std::span<const Pass> rewrite_passes();

Status run_passes(Context &ctx, std::span<const Pass> passes);

// load + survey passes.
Expected<Context> survey_file(const std::string &path, const Options &options = {});

struct RewriteOutcome;

struct RewriteRequest {
  std::string input;
  std::string output;   // equal to input with in_place
  bool in_place = false;
  bool strict = false;  // any skipped site: write nothing
  bool fsync = false;   // durable: flush file and directory (AtomicFile)
  Options options;
  // Runs once the output is written to its temporary and checked, before it
  // replaces anything: what must succeed or fail together with the output
  // (rewrite --report) goes here, and an error leaves no output behind.
  // written: the checked temporary file.
  std::function<Status(const RewriteOutcome &, const std::string &written)> before_commit;
};

struct RewriteOutcome {
  Context ctx;             // the plan as carried out
  VerifyResult verify;     // of the written file, against the input
  uint64_t input_size = 0;
  uint64_t output_size = 0;
  size_t rewritten = 0, fixups = 0, skipped = 0, a8 = 0, a4 = 0, already = 0;
  bool written = false;    // false only when --strict refused to write
};

// The whole rewrite: passes, temp file, reload and verify against the input,
// then rename into place. Nothing is written when any step fails; a verify
// failure is an Error too.
Expected<RewriteOutcome> rewrite_file(const RewriteRequest &request);

} // namespace rvtramp
