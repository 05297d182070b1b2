// SPDX-License-Identifier: GPL-2.0-only
// Errors as values. Every error names the file and, where it has one, the
// section and offset, and prints as the stable one-liner
//   rvtramp: error: FILE: [SECTION+0xOFF: ]WHAT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace rvtramp {

struct Error {
  std::string file;
  std::string section;              // empty when not about a section
  std::optional<uint64_t> offset;   // file or section offset, when known
  std::string what;

  std::string message() const;     // "FILE: SECTION+0xOFF: WHAT"
};

Error make_error(std::string file, std::string what);
Error make_error(std::string file, std::string section, uint64_t offset,
                 std::string what);

template <class T> class [[nodiscard]] Expected {
public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Error error) : v_(std::move(error)) {}
  explicit operator bool() const { return v_.index() == 0; }
  T &operator*() { return std::get<0>(v_); }
  const T &operator*() const { return std::get<0>(v_); }
  T *operator->() { return &std::get<0>(v_); }
  const T *operator->() const { return &std::get<0>(v_); }
  const Error &error() const { return std::get<1>(v_); }
  T take() { return std::move(std::get<0>(v_)); }

private:
  std::variant<T, Error> v_;
};

// Success or an Error; what passes return.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}
  static Status ok() { return Status(); }
  explicit operator bool() const { return !error_.has_value(); }
  const Error &error() const { return *error_; }

private:
  std::optional<Error> error_;
};

// Propagate an error from an Expected/Status expression.
#define RVT_TRY(expr)                                                          \
  do {                                                                         \
    auto &&rvt_try_result_ = (expr);                                           \
    if (!rvt_try_result_)                                                      \
      return rvt_try_result_.error();                                          \
  } while (0)

// Exit statuses shared by every subcommand.
enum ExitCode : int { kExitOk = 0, kExitCheckFailed = 1, kExitBadInput = 2 };

std::string hex(uint64_t value);

} // namespace rvtramp
