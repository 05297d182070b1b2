// SPDX-License-Identifier: GPL-2.0-only
// fuzz_survey: raw bytes -> ElfImage::from_bytes -> locate, analyze, plan
// (what `rvtramp sites` runs), then the text and JSON listings. Any input
// must give either an Error or a complete survey; never a crash, a sanitizer
// report or an exception.
#include "fuzz_common.h"
#include "pipeline.h"
#include "site_listing.h"

#include <sstream>

using namespace rvtramp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > fuzz::kMaxInput)
    return -1;
  auto img = ElfImage::from_bytes("fuzz.elf", fuzz::to_vector(data, size));
  if (!img) {
    if (img.error().message().empty())
      fuzz::invariant_failed("empty error message", "");
    return 0;
  }
  Context ctx(img.take());
  if (Status st = run_passes(ctx, survey_passes()); !st)
    return 0;
  // Every site the survey reports lies inside its executable section.
  for (const Site &s : ctx.sites) {
    const Section &sec = ctx.image.section(s.section);
    if (!sec.executable() || s.offset >= sec.size)
      fuzz::invariant_failed("site outside its section", hex(s.address));
    if (s.decision == Decision::Undecided)
      fuzz::invariant_failed("site left undecided", hex(s.address));
    if (s.decision == Decision::Rewrite &&
        (s.tramp_offset() + riscv::kTrampolineSize > sec.size || (s.tramp_offset() & 3)))
      fuzz::invariant_failed("planned trampoline does not fit its section", hex(s.address));
  }
  std::ostringstream text;
  print_sites_text(ctx, text);
  const std::string json = sites_json(ctx).dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
  (void)json; // as cli/commands.cpp dumps it
  return 0;
}
