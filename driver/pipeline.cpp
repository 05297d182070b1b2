// SPDX-License-Identifier: GPL-2.0-only
#include "pipeline.h"

#include "heap.h"
#include "output_file.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace rvtramp {
namespace {

constexpr Pass kSurvey[] = {
    {"locate", run_locate, "sites come first: everything else is about them"},
    {"analyze", run_analyze, "hazards need the sites and their functions"},
    {"plan", run_plan, "decide each site from its room, alignment and hazards"},
};
constexpr Pass kRewrite[] = {
    {"locate", run_locate, "sites come first: everything else is about them"},
    {"analyze", run_analyze, "hazards need the sites and their functions"},
    {"plan", run_plan, "decide each site from its room, alignment and hazards"},
    {"rewrite", run_rewrite, "write layouts only where the plan said so"},
    {"emit", run_emit, "tables must follow the trampolines that now exist"},
    {"relocate_literals", run_relocate_literals,
     "a moving kernel's literals need a relocation once the sites are final"},
    {"verify", run_verify, "catch a bad layout before anything reaches the disk"},
};

} // namespace

std::span<const Pass> survey_passes() { return kSurvey; }
std::span<const Pass> rewrite_passes() { return kRewrite; }

// Between passes: what a pass read of the symbol table goes back to the
// page cache (a search for a symbol reads all of it), a mapped file's pages
// too (report, sites: the next pass reads what it needs again; at 5 * 10^5
// sites the text stayed resident beside the report's arrays, 199 MiB for a
// 94.5 MiB file), and the heap's free pages to the kernel when there are
// many (heap.h).
void hand_back_memory(Context &ctx) {
  ctx.image.release_symbol_pages();
  ctx.image.release_pages();
  return_free_heap_pages();
}

Status run_passes(Context &ctx, std::span<const Pass> passes) {
  for (const Pass &p : passes) {
    ScopedTimer t(ctx.timers, p.name);
    RVT_TRY(p.run(ctx));
    hand_back_memory(ctx);
  }
  return Status::ok();
}

Expected<Context> survey_file(const std::string &path, const Options &options) {
  std::vector<PassTime> timers;
  Expected<ElfImage> img = [&] {
    ScopedTimer t(timers, "load");
    return ElfImage::load(path);
  }();
  RVT_TRY(img);
  Context ctx(img.take());
  ctx.options = options;
  ctx.timers = std::move(timers);
  RVT_TRY(run_passes(ctx, survey_passes()));
  return ctx;
}

Expected<RewriteOutcome> rewrite_file(const RewriteRequest &req) {
  std::vector<PassTime> timers;
  if (!req.in_place) {
    struct stat a {}, b {};
    if (req.output == req.input ||
        (stat(req.input.c_str(), &a) == 0 && stat(req.output.c_str(), &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino))
      return make_error(req.output, "output is the input; use --in-place to rewrite it");
  }
  Expected<ElfImage> img = [&] {
    ScopedTimer t(timers, "load");
    return ElfImage::load(req.input, {}, ElfImage::LoadMode::Copy);
  }();
  RVT_TRY(img);
  struct stat st {};
  const mode_t file_mode = stat(req.input.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;

  RewriteOutcome out(Context(img.take()));
  Context &ctx = out.ctx;
  ctx.options = req.options;
  ctx.timers = std::move(timers);
  RVT_TRY(run_passes(ctx, rewrite_passes()));
  out.input_size = ctx.image.file_size();
  for (const Site &s : ctx.sites) {
    if (s.decision == Decision::Rewrite) {
      ++out.rewritten;
      out.fixups += s.fixup;
      ++(riscv::layout_for(s.tramp_address()) == riscv::Layout::A8 ? out.a8 : out.a4);
    } else if (s.reason == SkipReason::AlreadyRewritten) {
      ++out.already;
    } else {
      ++out.skipped;
    }
  }
  if (req.strict && out.skipped)
    return out; // the caller reports the skips and exits 1; nothing is written

  WriteMode mode = req.write_mode;
  if (mode == WriteMode::Auto) {
    const char *env = std::getenv("RVTRAMP_WRITE");
    const std::string e = env ? env : "";
    mode = e == "whole" ? WriteMode::Whole : e == "nocopy" ? WriteMode::NoCopy : WriteMode::Changes;
  }
  // Added sections (--emit-mcount-loc) move the layout: libelf writes the
  // whole file, which is then parsed again and compared.
  if (!ctx.image.new_sections().empty())
    mode = WriteMode::Whole;
  out.write_mode = mode;

  // Three timed steps: write the temp file, check it, then rename (with
  // --fsync: flush the file and the directory too).
  std::vector<ElfImage::FileRange> ranges;
  auto file = [&] {
    ScopedTimer t(ctx.timers, "write");
    auto f = AtomicFile::create(req.output, file_mode, req.fsync);
    if (!f)
      return f;
    if (mode == WriteMode::Whole) {
      if (Status wrote = ctx.image.write_to_fd(f->fd(), req.output); !wrote)
        return Expected<AtomicFile>(wrote.error());
    } else {
      ranges = ctx.image.edited_ranges();
      auto stats = ctx.image.write_changes_to_fd(f->fd(), ranges, mode == WriteMode::Changes,
                                                 req.output);
      if (!stats)
        return Expected<AtomicFile>(stats.error());
      out.write_stats = *stats;
      // The unchanged bytes came from the file as it is now: it must still
      // be the file that was analysed.
      if (Status same = ctx.image.check_input_unchanged(req.output); !same)
        return Expected<AtomicFile>(same.error());
    }
    f->start_sync(); // --fsync: the disk catches up while the check below runs
    return f;
  }();
  RVT_TRY(file);
  {
    ScopedTimer t(ctx.timers, "check");
    if (mode == WriteMode::Whole) {
      // Parse what was written afresh and check it against the input before
      // it replaces anything. Without added sections the file is exactly the
      // edited bytes, so they are checked in memory; with them, libelf laid
      // the file out and it is read back.
      auto written = ctx.image.new_sections().empty()
                         ? ctx.image.edited_image(req.output)
                         : ElfImage::load(file->temp_path(), req.output);
      if (!written)
        return make_error(req.output, "written file does not load back: " + written.error().what);
      Context check(written.take());
      auto verified = locate_and_verify(check, &ctx, run_locate_entries);
      RVT_TRY(verified);
      out.verify = verified.take();
      out.output_size = check.image.file_size();
    } else {
      auto verified = check_written(ctx, file->fd(), ranges);
      RVT_TRY(verified);
      out.verify = verified.take();
      out.output_size = ctx.image.file_size();
    }
    if (!out.verify.ok())
      return make_error(req.output, "verification failed, nothing written: " +
                                        out.verify.problems.front());
  }
  if (req.before_commit)
    RVT_TRY(req.before_commit(out, file->temp_path()));
  {
    ScopedTimer t(ctx.timers, "commit");
    RVT_TRY(file->commit());
  }
  out.written = true;
  return out;
}

} // namespace rvtramp
