// SPDX-License-Identifier: GPL-2.0-only
// The cross assembler as the oracle: assemble a snippet, get its bytes or
// the object file. Tests skip (saying why) when the cross tools are missing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rvtramp::test {

// Why cross tests cannot run, or nothing when they can.
std::optional<std::string> cross_tools_missing();
// Assembles `source` with -march (rv64gc default) and returns .text bytes.
std::vector<uint8_t> assemble_text(const std::string &source,
                                   const std::string &march = "rv64gc");
// Assembles to an object file and returns its path (in a fresh temp dir).
std::string assemble_object(const std::string &source, const std::string &march = "rv64gc");
std::vector<uint8_t> read_file(const std::string &path);

} // namespace rvtramp::test
