// ferry::Status — the one error type of ferry, below and above the bus.
//
// A Status is an HRESULT-style 32-bit code plus an optional human message,
// in the manner of leveldb::Status. Codes keep their Windows values (BITS and
// Delivery Optimization) so that people porting code, reading logs or
// searching the web find the same numbers; the full table with names and
// messages is in semantics.md §1 and in src/util/status_codes.cc.
//
// Success codes have the high bit clear (S_OK, S_FALSE, BG_S_*); ok() is true
// for all of them. Copying a Status is cheap. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace ferry {

namespace code {
constexpr int32_t kOk = 0x00000000;                      // S_OK
constexpr int32_t kFalse = 0x00000001;                   // S_FALSE
constexpr int32_t kPartialComplete = 0x00200017;         // BG_S_PARTIAL_COMPLETE
constexpr int32_t kUnableToDeleteFiles = 0x0020001A;     // BG_S_UNABLE_TO_DELETE_FILES
constexpr int32_t kNotImpl = static_cast<int32_t>(0x80004001);
constexpr int32_t kAccessDenied = static_cast<int32_t>(0x80070005);
constexpr int32_t kInvalidArg = static_cast<int32_t>(0x80070057);
constexpr int32_t kNotSet = static_cast<int32_t>(0x80070490);
constexpr int32_t kJobNotFound = static_cast<int32_t>(0x80D02003);
constexpr int32_t kJobEmpty = static_cast<int32_t>(0x80D02004);
constexpr int32_t kJobTooOld = static_cast<int32_t>(0x80D0200C);
constexpr int32_t kUnknownPropertyId = static_cast<int32_t>(0x80D02011);
constexpr int32_t kReadOnlyProperty = static_cast<int32_t>(0x80D02012);
constexpr int32_t kInvalidState = static_cast<int32_t>(0x80D02013);
constexpr int32_t kErrorInformationUnavailable = static_cast<int32_t>(0x80D02014);
constexpr int32_t kWriteOnlyProperty = static_cast<int32_t>(0x80D02015);
constexpr int32_t kFileNotAvailable = static_cast<int32_t>(0x80D02010);
constexpr int32_t kDownloadSinkUnspecified = static_cast<int32_t>(0x80D02018);
constexpr int32_t kDownloadNoUri = static_cast<int32_t>(0x80D02200);
constexpr int32_t kDownloadNoProgress = static_cast<int32_t>(0x80D02002);
constexpr int32_t kBlockedByCostPolicy = static_cast<int32_t>(0x80D03801);
constexpr int32_t kBlockedByCellularPolicy = static_cast<int32_t>(0x80D03803);
constexpr int32_t kBlockedByPowerState = static_cast<int32_t>(0x80D03804);
constexpr int32_t kBlockedByNoNetwork = static_cast<int32_t>(0x80D03805);
constexpr int32_t kHttpBlocksizeMismatch = static_cast<int32_t>(0x80D05001);
constexpr int32_t kHttpCertValidation = static_cast<int32_t>(0x80D05002);
constexpr int32_t kInvalidRange = static_cast<int32_t>(0x80D05010);
constexpr int32_t kInsufficientRangeSupport = static_cast<int32_t>(0x80D05011);
constexpr int32_t kOverlappingRanges = static_cast<int32_t>(0x80D05012);
constexpr int32_t kStringTooLong = static_cast<int32_t>(0x80200021);
constexpr int32_t kTooManyJobsPerUser = static_cast<int32_t>(0x80200049);
constexpr int32_t kTooManyFilesInJob = static_cast<int32_t>(0x80200051);
constexpr int32_t kTooManyRangesInFile = static_cast<int32_t>(0x80200052);
constexpr int32_t kValidationFailed = static_cast<int32_t>(0x80200053);
// WinHTTP's ERROR_WINHTTP_REDIRECT_FAILED as an HRESULT: a redirect loop, too
// many redirects, or a refused HTTPS->HTTP redirect.
constexpr int32_t kRedirectFailed = static_cast<int32_t>(0x80072F9C);
// Generic transport failure (connection reset, DNS, connect): Win32
// ERROR_INTERNET_CONNECTION_RESET as an HRESULT. Transient.
constexpr int32_t kConnectionReset = static_cast<int32_t>(0x80072EFF);
constexpr int32_t kTimeout = static_cast<int32_t>(0x80072EE2);          // ERROR_INTERNET_TIMEOUT
constexpr int32_t kNameNotResolved = static_cast<int32_t>(0x80072EE7);  // ERROR_INTERNET_NAME_NOT_RESOLVED
constexpr int32_t kCannotConnect = static_cast<int32_t>(0x80072EFD);    // ERROR_INTERNET_CANNOT_CONNECT
constexpr int32_t kUnexpected = static_cast<int32_t>(0x8000FFFF);       // E_UNEXPECTED

// BG_E_HTTP_ERROR_nnn.
constexpr int32_t HttpError(int http_status) {
  return static_cast<int32_t>(0x80190000u + static_cast<uint32_t>(http_status));
}
// HRESULT_FROM_WIN32.
constexpr int32_t FromWin32(uint32_t win32) {
  return static_cast<int32_t>(0x80070000u | (win32 & 0xFFFFu));
}
// DO's rule: codes whose low 16 bits satisfy (code & 0xF800) == 0x3800 are
// transient conditions.
constexpr bool IsTransientCode(int32_t c) { return (static_cast<uint32_t>(c) & 0xF800u) == 0x3800u; }
}  // namespace code

class Status {
 public:
  Status() = default;  // S_OK
  Status(int32_t code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status False() { return Status(code::kFalse, {}); }

  // True for every success code (high bit clear): S_OK, S_FALSE, BG_S_*.
  bool ok() const { return code_ >= 0; }
  int32_t code() const { return code_; }
  const std::string& message() const { return message_; }

  // The code's symbolic name ("DO_E_INVALID_STATE"), or "0x…" when unknown.
  std::string Name() const;
  // "0x80D02013 DO_E_INVALID_STATE: <message or the code's standard text>".
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) { return a.code_ == b.code_; }

 private:
  int32_t code_ = 0;
  std::string message_;
};

}  // namespace ferry
