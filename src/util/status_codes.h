// The table of ferry's status codes: name, Windows value and a sentence a
// person can act on (semantics.md §1). The one place where codes get names.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry {

struct StatusCodeInfo {
  std::string_view name;     // "DO_E_INVALID_STATE"
  int32_t value;             // 0x80D02013
  std::string_view message;  // "The operation is not allowed in the job's current state."
};

// Every named code, in table order.
std::span<const StatusCodeInfo> AllStatusCodes();

// Name of a code: a table entry, "BG_E_HTTP_ERROR_nnn" for HTTP codes,
// "HRESULT_FROM_WIN32(n)" for other Win32 codes, else "0x%08X".
std::string StatusCodeName(int32_t code);
// The standard sentence for a code (empty-safe; never throws).
std::string StatusCodeMessage(int32_t code);

// Maps a POSIX errno to ferry's code (HRESULT_FROM_WIN32 of the closest Win32
// error; docs/status-codes.md lists the mapping). ENOSPC -> 0x80070070.
int32_t CodeFromErrno(int err);
// A Status for a failed system call: code from errno, message "op: strerror".
Status ErrnoStatus(int err, std::string_view operation);

}  // namespace ferry
