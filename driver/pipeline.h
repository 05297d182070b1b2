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

// How the output file is made.
//  Changes  the default: the input's bytes copied by the kernel
//           (copy_file_range), the edited ranges written, and the output
//           checked from the edit list (check_written);
//  NoCopy   the same with the unchanged bytes written from memory, as when
//           the file system refuses the copy;
//  Whole    the image written in one piece, parsed again and compared with
//           the input byte for byte (the check before the edit list; still
//           the path when sections are added, --emit-mcount-loc).
// Auto reads RVTRAMP_WRITE=changes|nocopy|whole from the environment (tests
// force the fallback and compare the paths with it), else Changes.
enum class WriteMode { Auto, Changes, NoCopy, Whole };

struct RewriteRequest {
  std::string input;
  std::string output;   // equal to input with in_place
  bool in_place = false;
  bool strict = false;  // any skipped site: write nothing
  bool fsync = false;   // durable: flush file and directory (AtomicFile)
  WriteMode write_mode = WriteMode::Auto;
  Options options;
  // Runs once the output is written to its temporary and checked, before it
  // replaces anything: what must succeed or fail together with the output
  // (rewrite --report) goes here, and an error leaves no output behind.
  // written: the checked temporary file.
  std::function<Status(const RewriteOutcome &, const std::string &written)> before_commit;
};

struct RewriteOutcome {
  explicit RewriteOutcome(Context c) : ctx(std::move(c)) {}
  Context ctx;             // the plan as carried out
  VerifyResult verify;     // of the written file, against the input
  uint64_t input_size = 0;
  uint64_t output_size = 0;
  size_t rewritten = 0, fixups = 0, skipped = 0, a8 = 0, a4 = 0, already = 0;
  bool written = false;    // false only when --strict refused to write
  WriteMode write_mode = WriteMode::Whole; // the path taken
  ElfImage::WriteStats write_stats;        // Changes / NoCopy: what went where
};

// The whole rewrite: passes, temp file, reload and verify against the input,
// then rename into place. Nothing is written when any step fails; a verify
// failure is an Error too.
Expected<RewriteOutcome> rewrite_file(const RewriteRequest &request);

} // namespace rvtramp
