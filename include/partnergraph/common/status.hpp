// Status and Result<T>: how recoverable errors cross module boundaries.
//
// A Status is either OK or carries a code and a message that names the
// thing that went wrong ("orders.csv:1832: column price: \"12,5x\" is not a
// number"). Result<T> holds either a T or a non-OK Status. Both are cheap to
// move, and [[nodiscard]] so that an error cannot be ignored by accident.
// Exceptions thrown by dependencies are converted to Status at the one
// adapter that owns the dependency (STYLE.md "Errors").
//
// Thread safety: distinct objects may be used from distinct threads; a single
// object is not synchronised.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace partnergraph {

class [[nodiscard]] Status {
 public:
  enum class Code : int {
    kOk = 0,
    kNotFound = 1,
    kInvalidArgument = 2,
    kPermissionDenied = 3,
    kCorruption = 4,
    kIOError = 5,
    kUnavailable = 6,
    kInternal = 7,
  };

  Status() = default;

  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status PermissionDenied(std::string msg) {
    return Status(Code::kPermissionDenied, std::move(msg));
  }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Unavailable(std::string msg) {
    return Status(Code::kUnavailable, std::move(msg));
  }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // The message without the code name; empty for OK.
  const std::string& message() const { return message_; }
  // "NotFound: merchant m42" style text, or "OK".
  std::string ToString() const;
  // The code's name, e.g. "InvalidArgument".
  static std::string_view CodeName(Code code);

  // Returns a copy whose message is prefixed with `context` and ": ".
  Status WithContext(std::string_view context) const;

  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsPermissionDenied() const { return code_ == Code::kPermissionDenied; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Holds a value of type T or a non-OK Status.
// Accessing value() of an error Result is an invariant violation (asserted).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(state_).ok() && "Result built from an OK Status without a value");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  // OK when a value is held, the error otherwise.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

  T& value() & {
    assert(ok());
    return std::get<T>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace partnergraph

// Returns early from the enclosing function if `expr` yields a non-OK Status.
#define PG_RETURN_IF_ERROR(expr)                      \
  do {                                                \
    ::partnergraph::Status pg_status_ = (expr);       \
    if (!pg_status_.ok()) return pg_status_;          \
  } while (0)

#define PG_CONCAT_INNER_(a, b) a##b
#define PG_CONCAT_(a, b) PG_CONCAT_INNER_(a, b)
// `PG_ASSIGN_OR_RETURN(auto x, Foo());` assigns the value or returns the error.
#define PG_ASSIGN_OR_RETURN(lhs, expr) \
  PG_ASSIGN_OR_RETURN_IMPL_(PG_CONCAT_(pg_result_, __LINE__), lhs, expr)
// `tmp` is a name being declared and `lhs` may be a declaration (`auto x`): neither can be
// parenthesized, hence the NOLINT.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PG_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
