// Validation of bus arguments before they reach the engine (which validates
// its own rules again: lengths of names and descriptions, URL syntax, paths,
// ranges, flags). Everything here is pure; each function returns S_OK or
// E_INVALIDARG (BG_E_STRING_TOO_LONG for over-long strings) with a message
// that names the argument.
#pragma once

#include <cstdint>
#include <string_view>

#include "ferry/types.h"
#include "util/bus_paths.h"

namespace ferry::service {

// Limits on raw bus strings, in bytes (generous; the engine applies the
// documented character limits).
inline constexpr size_t kMaxUrlBytes = 2200;
inline constexpr size_t kMaxPathBytes = 4096;
inline constexpr size_t kMaxShortStringBytes = 4 * 1024;  // names, file ids, hashes
inline constexpr size_t kMaxLongStringBytes = 64 * 1024;  // headers, proxy lists, notify parameters

// RFC 3629 UTF-8 (no overlong forms, no surrogates).
bool IsStrictUtf8(std::string_view s);
// Valid UTF-8, no NUL, at most `max_bytes`.
Status CheckString(std::string_view arg_name, std::string_view value, size_t max_bytes);
// A job id: a GUID with or without braces, or 32 hex digits.
Status ParseJobId(std::string_view text, Guid* id);
// Remote URL: http, https or file (file only when `allow_file`), <= 2200 bytes.
Status CheckRemoteUrl(std::string_view url, bool allow_file);
// Local name: absolute, UTF-8, no NUL, no "." or ".." segments, <= 4096 bytes.
Status CheckLocalName(std::string_view path, bool directory_allowed = false);
Status CheckEnumFlags(uint32_t flags);    // only kEnumAllUsers
Status CheckJobType(uint32_t type);       // 0..2 (1, 2: E_NOTIMPL from the engine)
Status CheckPriority(uint32_t priority);  // 0..3
Status CheckProxyUsage(uint32_t usage);   // 0..3
Status CheckNotifyFlags(uint32_t flags);  // known bits only
// JobPath/JobIdFromPath: util/bus_paths.h.

}  // namespace ferry::service
