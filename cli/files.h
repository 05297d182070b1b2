// SPDX-License-Identifier: GPL-2.0-only
// What the commands write besides the rewritten image (reports), and the
// byte count a rewrite summary states. Every failure names the path and the
// system's reason ("cannot write: No space left on device").
#pragma once

#include "diag.h"
#include "output_file.h"

#include <string>
#include <string_view>

namespace rvtramp {

// text in a temporary beside path, not yet in place: the caller commits it
// (or drops it, and nothing was written).
Expected<AtomicFile> stage_text_file(const std::string &path, std::string_view text);

// text to path: atomically (temporary and rename) for a regular file or a
// new name; straight into anything else (a symbolic link such as
// /dev/stdout, a terminal, a pipe), which a rename would replace instead of
// writing to.
Status write_text_file(const std::string &path, std::string_view text);

// Bytes that differ between two files, position by position, plus the
// difference of their sizes: what a rewrite changed, headers and tables
// included.
Expected<uint64_t> count_differing_bytes(const std::string &a, const std::string &b);

} // namespace rvtramp
