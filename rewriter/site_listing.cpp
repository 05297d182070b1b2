// SPDX-License-Identifier: GPL-2.0-only
#include "site_listing.h"

#include <cstdio>
#include <map>

namespace rvtramp {
namespace {

constexpr SiteSource kSources[] = {SiteSource::McountLoc, SiteSource::PatchableFunctionEntries,
                                   SiteSource::McountCall};

} // namespace

std::string site_sources(const Site &s) {
  std::string out;
  for (SiteSource src : kSources)
    if (s.sources & uint8_t(src))
      out += (out.empty() ? "" : ",") + std::string(source_name(src));
  return out;
}

namespace {

struct Summary {
  std::map<std::string, size_t> by_source;
  std::map<unsigned, size_t> by_align;
  std::map<uint32_t, size_t> by_room;
};

Summary summarize(const Context &ctx) {
  Summary sum;
  for (const Site &s : ctx.sites) {
    for (SiteSource src : kSources)
      if (s.sources & uint8_t(src))
        ++sum.by_source[source_name(src)];
    ++sum.by_align[s.align()];
    ++sum.by_room[s.room];
  }
  return sum;
}

} // namespace

nlohmann::json sites_json(const Context &ctx) {
  using nlohmann::json;
  json sites = json::array();
  for (const Site &s : ctx.sites) {
    sites.push_back({{"address", s.address},
                     {"section", ctx.image.section(s.section).name},
                     {"offset", s.offset},
                     {"function", s.function()},
                     {"function_offset", s.function_offset()},
                     {"room", s.room},
                     {"align", s.align()},
                     {"source", site_sources(s)},
                     {"state", site_state_name(s.state)},
                     {"name", site_name(ctx, s)},
                     {"decision", decision_name(s)}});
    if (s.decision == Decision::Skip) {
      sites.back()["reason"] = skip_reason_key(s.reason);
      sites.back()["reason_detail"] = ctx.detail_of(s);
    }
  }
  const Summary sum = summarize(ctx);
  json by_align = json::object(), by_room = json::object();
  for (auto [k, v] : sum.by_align)
    by_align[std::to_string(k)] = v;
  for (auto [k, v] : sum.by_room)
    by_room[std::to_string(k)] = v;
  return {{"schema", "rvtramp-sites/1"},
          {"file", ctx.image.path()},
          {"elf", {{"type", ctx.image.type_name()}, {"class", ctx.image.is64() ? 64 : 32}}},
          {"sites", sites},
          {"summary",
           {{"total", ctx.sites.size()},
            {"null_table_entries", ctx.null_table_entries},
            {"by_source", sum.by_source},
            {"by_align", by_align},
            {"by_room", by_room}}}};
}

void print_sites_text(const Context &ctx, std::ostream &os) {
  char line[512];
  // The reason comes last: it is free text ("room 8 < 24").
  std::snprintf(line, sizeof line, "%-18s  %-24s  %-32s %4s %5s  %-8s  %-28s %-9s %s\n",
                "ADDRESS", "SECTION+OFFSET", "FUNCTION", "ROOM", "ALIGN", "STATE", "SOURCE",
                "DECISION", "REASON");
  os << line;
  for (const Site &s : ctx.sites) {
    const std::string where = ctx.image.section(s.section).name + "+" + hex(s.offset);
    const std::string reason = s.decision == Decision::Skip ? ctx.detail_of(s) : "-";
    std::snprintf(line, sizeof line, "0x%016llx  %-24s  %-32s %4u %5u  %-8s  %-28s %-9s %s\n",
                  static_cast<unsigned long long>(s.address), where.c_str(),
                  site_name(ctx, s).c_str(), s.room, s.align(), site_state_name(s.state),
                  site_sources(s).c_str(), decision_name(s), reason.c_str());
    os << line;
  }
  const Summary sum = summarize(ctx);
  os << "sites: " << ctx.sites.size();
  std::string sep = " (";
  for (const auto &[k, v] : sum.by_source) {
    os << sep << k << " " << v;
    sep = ", ";
  }
  os << (sum.by_source.empty() ? "" : ")") << "\n";
  os << "by alignment (address mod 8):";
  for (auto [k, v] : sum.by_align)
    os << " " << k << ":" << v;
  os << "\nby room (bytes):";
  for (auto [k, v] : sum.by_room)
    os << " " << k << ":" << v;
  os << "\n";
  if (ctx.null_table_entries)
    os << "null table entries (dropped functions): " << ctx.null_table_entries << "\n";
}

} // namespace rvtramp

namespace rvtramp {

nlohmann::json plan_json(const Context &ctx) {
  nlohmann::json j = sites_json(ctx);
  j["schema"] = "rvtramp-plan/1";
  std::map<std::string, size_t> decided;
  auto &arr = j["sites"];
  for (size_t i = 0; i < ctx.sites.size(); ++i) {
    const Site &s = ctx.sites[i];
    if (s.decision == Decision::Rewrite) {
      const uint64_t p = s.tramp_address();
      arr[i]["layout"] = riscv::layout_name(riscv::layout_for(p));
      arr[i]["trampoline"] = p;
      ++decided[std::string(riscv::layout_name(riscv::layout_for(p))) + (s.fixup ? "+fixup" : "")];
    } else {
      ++decided[std::string("skip:") + skip_reason_key(s.reason)];
    }
  }
  j["plan"] = {{"dest", ctx.dest},
               {"dest_origin", ctx.dest_origin},
               {"reserved", ctx.reserved_room},
               {"reserved_origin", ctx.reserved_origin},
               {"decisions", decided}};
  return j;
}

} // namespace rvtramp
