// Errors as values: Status and Result<T>.
//
// Message grammar (see docs and STYLE.md):  <action> <object>: <rule>, got <value>
// Context is chained from the outside in, so a full message reads like a path:
//   read file 'm.ingot': read node 3 'conv1' (Conv2D): parameter 'strides' must have 2
//   elements, got 3
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ingot {

// What went wrong, coarsely; the CLI maps each kind to its exit code.
enum class ErrorKind : unsigned char {
  ok = 0,
  usage = 1,         // the caller asked for something malformed (bad flag, bad argument)
  bad_input = 2,     // a file or model is malformed, truncated or inconsistent
  verification = 3,  // a well-formed model fails a semantic check
  unsupported = 4,   // valid input that this build cannot handle (unknown op version, ...)
  io = 5,            // the operating system refused (open, write, rename, mmap)
  internal = 6,      // a bug in ingot
  limits = 7,        // a valid model breaks the limits of the target it is compiled for
};

const char* error_kind_name(ErrorKind kind);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {
    assert(kind != ErrorKind::ok);
  }

  bool ok() const { return kind_ == ErrorKind::ok; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // Prefixes "<context>: " to the message; a no-op on success.
  Status& add_context(const std::string& context) &;
  // By value, so `s = std::move(s).with_context(...)` is safe.
  Status with_context(const std::string& context) && { return std::move(add_context(context)); }

  friend bool operator==(const Status&, const Status&) = default;

 private:
  ErrorKind kind_ = ErrorKind::ok;
  std::string message_;
};

inline Status ok_status() { return {}; }
inline Status usage_error(std::string m) { return {ErrorKind::usage, std::move(m)}; }
inline Status bad_input(std::string m) { return {ErrorKind::bad_input, std::move(m)}; }
inline Status verification_error(std::string m) { return {ErrorKind::verification, std::move(m)}; }
inline Status unsupported(std::string m) { return {ErrorKind::unsupported, std::move(m)}; }
inline Status io_error(std::string m) { return {ErrorKind::io, std::move(m)}; }
inline Status internal_error(std::string m) { return {ErrorKind::internal, std::move(m)}; }
inline Status limits_error(std::string m) { return {ErrorKind::limits, std::move(m)}; }

// Quotes a name for messages: quote("conv1") == "'conv1'".
std::string quote(const std::string& name);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const& {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  Status status() && { return ok() ? Status() : std::move(std::get<Status>(v_)); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  Result& add_context(const std::string& context) & {
    if (!ok()) std::get<Status>(v_).add_context(context);
    return *this;
  }
  Result with_context(const std::string& context) && { return std::move(add_context(context)); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ingot

#define INGOT_CONCAT_INNER(a, b) a##b
#define INGOT_CONCAT(a, b) INGOT_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it is an error.
#define INGOT_TRY(expr)                      \
  do {                                       \
    ::ingot::Status ingot_st_ = (expr);      \
    if (!ingot_st_.ok()) return ingot_st_;   \
  } while (false)

// Like INGOT_TRY, adding context (evaluated only on error).
#define INGOT_TRY_CTX(expr, context)                                      \
  do {                                                                    \
    ::ingot::Status ingot_st_ = (expr);                                   \
    if (!ingot_st_.ok()) return std::move(ingot_st_).with_context(context); \
  } while (false)

// `lhs = value of expr`, or return its error.
#define INGOT_ASSIGN_OR_RETURN(lhs, expr) \
  INGOT_ASSIGN_OR_RETURN_IMPL(INGOT_CONCAT(ingot_r_, __LINE__), lhs, expr, "")
#define INGOT_ASSIGN_OR_RETURN_CTX(lhs, expr, context) \
  INGOT_ASSIGN_OR_RETURN_IMPL(INGOT_CONCAT(ingot_r_, __LINE__), lhs, expr, context)
#define INGOT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr, context)              \
  auto tmp = (expr);                                                      \
  if (!tmp.ok()) {                                                        \
    ::ingot::Status ingot_st_ = std::move(tmp).status();                  \
    if (::std::string(context).empty()) return ingot_st_;                 \
    return std::move(ingot_st_).with_context(context);                    \
  }                                                                       \
  lhs = std::move(tmp).value()
