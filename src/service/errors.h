// The one mapping from ferry::Status to D-Bus errors (the SDK has the one
// mapping back).
//
// A failed Status becomes the D-Bus error
//   name    "org.ferry.Ferry1.Error.<NAME>"   NAME = StatusCodeName(code), e.g. DO_E_INVALID_STATE,
//                                             BG_E_HTTP_ERROR_404; a name that is not valid in a
//                                             D-Bus error name (e.g. "HRESULT_FROM_WIN32(112)")
//                                             becomes "HRESULT_0x80070070"
//   message "0x%08X: <message>"               the code in hex, then the Status's message (or the
//                                             code's standard sentence when it has none)
// so a client recovers the exact code from the message's first 10 characters.
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include "ferry/status.h"

namespace sdbus {
class Error;
}

namespace ferry::service {

inline constexpr std::string_view kErrorPrefix = "org.ferry.Ferry1.Error.";

struct DbusError {
  std::string name;
  std::string message;
};

// `status` must be a failure (code < 0); a success maps to E_UNEXPECTED.
DbusError ToDbusError(const Status& status);
sdbus::Error ToSdbusError(const Status& status);

// The inverse, for tests and diagnostics: the code from the message's
// "0x%08X:" prefix, else from the name; E_UNEXPECTED when neither parses.
Status FromDbusError(std::string_view name, std::string_view message);

// True when `s` may be one element of a D-Bus error/interface name.
bool IsValidNameElement(std::string_view s);

// Thrown inside handlers to answer with a Status; converted at the adaptor
// boundary (see guard.h).
class StatusError : public std::exception {
 public:
  explicit StatusError(Status status) : status_(std::move(status)) {}
  const Status& status() const { return status_; }
  const char* what() const noexcept override { return status_.message().c_str(); }

 private:
  Status status_;
};

// Throws StatusError unless `s` is a success.
inline void Check(const Status& s) {
  if (!s.ok()) throw StatusError(s);
}

}  // namespace ferry::service
