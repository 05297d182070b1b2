// SPDX-License-Identifier: GPL-2.0-only
#include "site.h"

#include "diag.h"

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

} // namespace rvtramp
