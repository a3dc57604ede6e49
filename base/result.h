// Result<T> and Error: how every fallible operation in the project reports.
//
// An Error names the domain it comes from ("io", "ovsdb", "netlink", "cni",
// "tls", "dns", ...), a domain-specific code (an errno for the system domains)
// and a context message meant for a human reading a log at 3 a.m. Errors are
// values: untrusted input never throws, and no exception crosses a C callback.
// g++ 12 has no std::expected, hence this small type.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ovnk {

struct Error {
  std::string domain;
  int code = 0;
  std::string message;

  // "domain: message" with the errno text when the domain carries errnos.
  std::string to_string() const;
  // Prefixes the message with what was being done: "connect tcp:1.2.3.4:6641: ...".
  Error with_context(std::string_view context) const&;
  Error with_context(std::string_view context) &&;
};

Error make_error(std::string_view domain, int code, std::string_view message);
// An errno-carrying error: message is "<what>: <strerror(err)>".
Error errno_error(std::string_view domain, int err, std::string_view what);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Result*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->checked(); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return const_cast<Result*>(this)->checked(); }
  T&& operator*() && { return std::move(checked()); }

  const Error& error() const& {
    if (ok()) std::abort();
    return std::get<1>(v_);
  }
  Error&& error() && {
    if (ok()) std::abort();
    return std::move(std::get<1>(v_));
  }

  T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }

 private:
  T& checked() {
    if (!ok()) std::abort();  // reading a value out of an error is a broken invariant
    return std::get<0>(v_);
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& {
    if (ok()) std::abort();
    return *error_;
  }
  Error&& error() && {
    if (ok()) std::abort();
    return std::move(*error_);
  }

 private:
  std::optional<Error> error_;
};

inline Result<void> ok_result() { return {}; }

}  // namespace ovnk

// Returns the error of a Result<...> expression from the enclosing function.
#define OVNK_TRY(expr)                                        \
  do {                                                        \
    auto ovnk_try_result_ = (expr);                           \
    if (!ovnk_try_result_.ok()) return std::move(ovnk_try_result_).error(); \
  } while (0)

#define OVNK_CONCAT_INNER(a, b) a##b
#define OVNK_CONCAT(a, b) OVNK_CONCAT_INNER(a, b)
// OVNK_ASSIGN_OR_RETURN(auto x, f()): binds the value or returns the error.
#define OVNK_ASSIGN_OR_RETURN(lhs, expr) \
  OVNK_ASSIGN_OR_RETURN_IMPL(OVNK_CONCAT(ovnk_result_, __LINE__), lhs, expr)
#define OVNK_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).error();    \
  lhs = std::move(tmp).value()
