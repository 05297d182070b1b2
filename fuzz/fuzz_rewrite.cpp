// SPDX-License-Identifier: GPL-2.0-only
// fuzz_rewrite: raw bytes -> ElfImage::from_bytes -> every rewrite pass ->
// write_to_fd into a memfd -> load the written bytes back -> locate ->
// verify_image against the input (what `rvtramp rewrite -o` did before it
// wrote only the changes; RVTRAMP_WRITE=whole); then the changes alone
// into a second memfd and check_written, the default path. Oracles beyond
// the sanitizers: a rewrite that succeeded must write a file that loads
// back and verifies against its input; the changes written alone must be
// the same bytes, and check_written must accept what verify_image accepts.
#include "fuzz_common.h"
#include "pipeline.h"
#include "site_listing.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

using namespace rvtramp;

namespace {

bool read_back(int fd, std::vector<uint8_t> &out) {
  const off_t end = lseek(fd, 0, SEEK_END);
  if (end < 0)
    return false;
  out.resize(static_cast<size_t>(end));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = pread(fd, out.data() + done, out.size() - done, off_t(done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += size_t(n);
  }
  return true;
}

void one(const uint8_t *data, size_t size, const Options &options) {
  auto img = ElfImage::from_bytes("fuzz.elf", fuzz::to_vector(data, size));
  if (!img)
    return;
  Context ctx(img.take());
  ctx.options = options;
  if (Status st = run_passes(ctx, rewrite_passes()); !st)
    return;
  // Edits are made in place; the original bytes stay readable for verify.
  for (const Section &sec : ctx.image.sections()) {
    if (!sec.index || !sec.has_file_bytes() || !sec.size)
      continue;
    std::vector<uint8_t> was(sec.size);
    if (!ctx.image.read_original(sec.index, 0, was) ||
        std::memcmp(was.data(), data + sec.offset, sec.size) != 0)
      fuzz::invariant_failed("original bytes lost by the passes", sec.name);
  }

  const int fd = memfd_create("rvtramp-fuzz", MFD_CLOEXEC);
  if (fd < 0)
    fuzz::invariant_failed("memfd_create", std::strerror(errno));
  Status wrote = ctx.image.write_to_fd(fd, "fuzz.out");
  std::vector<uint8_t> out;
  const bool got = wrote && read_back(fd, out);
  ::close(fd);
  if (!wrote)
    return; // libelf refused to lay the file out: an error, reported as such
  if (!got)
    fuzz::invariant_failed("cannot read the memfd back", "");
  auto written = ElfImage::from_bytes("fuzz.out", std::move(out));
  if (!written)
    fuzz::invariant_failed("written file does not load back", written.error().message());
  Context check(written.take());
  if (Status st = run_locate(check); !st)
    fuzz::invariant_failed("written file does not locate", st.error().message());
  const VerifyResult v = verify_image(check, &ctx);
  // The path rewrite takes without added sections: the edited ranges only
  // (no input file here, so the unchanged bytes come from memory), checked
  // from the edit list. Same bytes as the whole write, and a check that
  // passes whenever the full one does.
  if (ctx.image.new_sections().empty()) {
    const int fd2 = memfd_create("rvtramp-fuzz-changes", MFD_CLOEXEC);
    if (fd2 < 0)
      fuzz::invariant_failed("memfd_create", std::strerror(errno));
    const auto ranges = ctx.image.edited_ranges();
    auto stats = ctx.image.write_changes_to_fd(fd2, ranges, true, "fuzz.changes");
    if (!stats)
      fuzz::invariant_failed("write of the changes failed", stats.error().message());
    std::vector<uint8_t> changes;
    const auto whole = check.image.current_bytes();
    if (!read_back(fd2, changes) ||
        !std::equal(changes.begin(), changes.end(), whole.begin(), whole.end()))
      fuzz::invariant_failed("the changes written differ from the whole write", "");
    auto checked = check_written(ctx, fd2, ranges);
    ::close(fd2);
    if (!checked)
      fuzz::invariant_failed("check_written failed", checked.error().message());
    if (v.ok() && !checked->ok())
      fuzz::invariant_failed("check_written refuses what verify accepts", checked->problems.front());
  }
  if (!v.ok()) {
    // rewrite_file refuses such an output ("verification failed, nothing
    // written"). That is right when the input itself already fails the
    // layout check (a table entry naming neither nops nor a trampoline: the
    // plan skips it, verify still flags it); otherwise the rewrite broke it.
    auto again = ElfImage::from_bytes("fuzz.elf", fuzz::to_vector(data, size));
    if (!again)
      fuzz::invariant_failed("input does not load a second time", again.error().message());
    Context input(again.take());
    if (Status st = run_locate(input); !st)
      fuzz::invariant_failed("input does not locate a second time", st.error().message());
    if (verify_image(input, nullptr).ok())
      fuzz::invariant_failed("written file fails verification", v.problems.front());
  }
  (void)plan_json(ctx).dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > fuzz::kMaxInput)
    return -1;
  // Option sets from the input's length: the corpus stays plain ELF files,
  // and each file still reaches both toggle states and --emit-mcount-loc.
  Options options;
  options.state = (size & 1) ? riscv::ToggleState::Enabled : riscv::ToggleState::Disabled;
  options.emit_mcount_loc = (size & 2) != 0;
  options.allow_relax = (size & 4) != 0;
  one(data, size, options);
  return 0;
}
