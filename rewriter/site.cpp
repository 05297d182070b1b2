// SPDX-License-Identifier: GPL-2.0-only
#include "site.h"

#include "context.h"
#include "diag.h"

#include <algorithm>

namespace rvtramp {

const char *source_name(SiteSource s) {
  switch (s) {
  case SiteSource::McountLoc: return "mcount_loc";
  case SiteSource::PatchableFunctionEntries: return "patchable_function_entries";
  case SiteSource::McountCall: return "mcount_call";
  }
  return "?";
}

const char *site_state_name(SiteState s) {
  switch (s) {
  case SiteState::Nops: return "nops";
  case SiteState::Disabled: return "disabled";
  case SiteState::Enabled: return "enabled";
  case SiteState::Other: return "other";
  }
  return "?";
}

const char *skip_reason_key(SkipReason r) {
  switch (r) {
  case SkipReason::None: return "none";
  case SkipReason::RoomTooSmall: return "room";
  case SkipReason::NotNops: return "not_nops";
  case SkipReason::BranchIntoRegion: return "branch_into_region";
  case SkipReason::ForeignRelocation: return "relocation_in_region";
  case SkipReason::NotExecutable: return "not_executable";
  case SkipReason::AlreadyRewritten: return "already_rewritten";
  case SkipReason::LinkerRelaxation: return "linker_relaxation";
  case SkipReason::NotAnEntry: return "mcount_call";
  case SkipReason::Referenced: return "referenced_in_region";
  }
  return "?";
}

std::string site_owner(const Site &s) {
  return s.owner ? std::string(s.function()) + "+" + hex(s.function_offset())
                 : hex(s.address);
}

const char *decision_name(const Site &s) {
  switch (s.decision) {
  case Decision::Rewrite: return s.fixup ? "fixup" : "rewrite";
  case Decision::Skip: return "skip";
  case Decision::Undecided: break;
  }
  return "undecided";
}

std::string address_name(const Context &ctx, size_t section, uint64_t address) {
  const Section &sec = ctx.image.section(section);
  if (section < ctx.functions_by_section.size()) {
    const auto &funcs = ctx.functions_by_section[section];
    auto it = std::upper_bound(funcs.begin(), funcs.end(), address,
                               [](uint64_t a, const FunctionEntry &f) { return a < f.address; });
    if (it != funcs.begin()) {
      // The first entry at that address: functions sort before labels.
      auto first = std::prev(it);
      while (first != funcs.begin() && std::prev(first)->address == first->address)
        --first;
      return std::string(first->name()) + "+" + hex(address - first->address);
    }
  }
  return sec.name + "+" + hex(address - sec.addr);
}

std::string site_name(const Context &ctx, const Site &s) {
  return s.owner ? site_owner(s) : address_name(ctx, s.section, s.address);
}

} // namespace rvtramp
