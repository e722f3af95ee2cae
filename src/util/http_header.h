// Parsers for the HTTP response headers the engine acts on. Pure functions,
// fuzzable; they never throw and reject anything malformed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry {

struct ContentRange {
  uint64_t first = 0;  // inclusive
  uint64_t last = 0;   // inclusive
  std::optional<uint64_t> total;  // nullopt for "*"
};

// "bytes 0-99/1000" or "bytes 0-99/*". Nullopt when malformed or last < first.
std::optional<ContentRange> ParseContentRange(std::string_view value);
// "bytes */1000" (the form of a 416 answer): the total.
std::optional<uint64_t> ParseUnsatisfiedRangeTotal(std::string_view value);

// Retry-After: delta-seconds, or an HTTP-date relative to `now`. Results
// clamp to [0, 365 days] (any date, up to year 9999). Nullopt when malformed.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now);

// A decimal unsigned integer with no sign, spaces or overflow.
std::optional<uint64_t> ParseUint64(std::string_view text);

// Splits "Name: value\r\n" into name and trimmed value. False for status
// lines, blank lines and lines without a colon.
bool SplitHeaderLine(std::string_view line, std::string_view* name, std::string_view* value);

// ASCII case-insensitive equality (header names).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// True for a strong ETag ("abc"), false for weak (W/"abc") or empty.
bool IsStrongEtag(std::string_view etag);

}  // namespace ferry
