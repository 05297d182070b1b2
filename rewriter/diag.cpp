// SPDX-License-Identifier: GPL-2.0-only
#include "diag.h"

#include <cstdio>

namespace rvtramp {

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string Error::message() const {
  std::string out = file + ": ";
  if (!section.empty()) {
    out += section;
    if (offset)
      out += "+" + hex(*offset);
    out += ": ";
  } else if (offset) {
    out += "offset " + hex(*offset) + ": ";
  }
  return out + what;
}

Error make_error(std::string file, std::string what) {
  return Error{std::move(file), {}, std::nullopt, std::move(what)};
}

Error make_error(std::string file, std::string section, uint64_t offset,
                 std::string what) {
  return Error{std::move(file), std::move(section), offset, std::move(what)};
}

} // namespace rvtramp
