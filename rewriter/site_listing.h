// SPDX-License-Identifier: GPL-2.0-only
// `rvtramp sites`: one line per site plus a summary, or the same as JSON
// (schema "rvtramp-sites/1", documented in README).
#pragma once

#include "context.h"

#include <nlohmann/json.hpp>
#include <ostream>

namespace rvtramp {

std::string site_sources(const Site &s); // "mcount_loc,patchable_function_entries"
nlohmann::json sites_json(const Context &ctx);
void print_sites_text(const Context &ctx, std::ostream &os);

} // namespace rvtramp

namespace rvtramp {
// The plan as carried out: per-site decision and reason, with totals.
nlohmann::json plan_json(const Context &ctx);
} // namespace rvtramp
