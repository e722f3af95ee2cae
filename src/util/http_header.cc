#include "util/http_header.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace ferry {
namespace {
constexpr int64_t kMaxRetryAfter = 365ll * 86400;  // a year, in seconds

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}
}  // namespace

std::optional<uint64_t> ParseUint64(std::string_view t) {
  if (t.empty() || t.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::optional<ContentRange> ParseContentRange(std::string_view v) {
  v = Trim(v);
  if (v.size() < 6 || !EqualsIgnoreCase(v.substr(0, 6), "bytes ")) return std::nullopt;
  v.remove_prefix(6);
  v = Trim(v);
  auto dash = v.find('-');
  auto slash = v.find('/');
  if (dash == v.npos || slash == v.npos || dash > slash) return std::nullopt;
  auto first = ParseUint64(v.substr(0, dash));
  auto last = ParseUint64(v.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange r{*first, *last, std::nullopt};
  std::string_view total = v.substr(slash + 1);
  if (total != "*") {
    auto t = ParseUint64(total);
    if (!t || *t <= *last) return std::nullopt;
    r.total = *t;
  }
  return r;
}

std::optional<uint64_t> ParseUnsatisfiedRangeTotal(std::string_view v) {
  v = Trim(v);
  if (v.size() < 8 || !EqualsIgnoreCase(v.substr(0, 6), "bytes ")) return std::nullopt;
  v.remove_prefix(6);
  v = Trim(v);
  if (v.substr(0, 2) != "*/") return std::nullopt;
  return ParseUint64(v.substr(2));
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view v,
                                                    std::chrono::system_clock::time_point now) {
  v = Trim(v);
  if (auto n = ParseUint64(v)) {
    if (*n > static_cast<uint64_t>(kMaxRetryAfter)) return std::chrono::seconds(kMaxRetryAfter);
    return std::chrono::seconds(static_cast<int64_t>(*n));
  }
  std::string s(v);
  struct tm tm {};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end) return std::nullopt;
  // In seconds: a far date (past 2262) as system_clock nanoseconds overflows.
  int64_t when = static_cast<int64_t>(timegm(&tm));
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  int64_t d = std::clamp<int64_t>(when - now_s, 0, kMaxRetryAfter);
  return std::chrono::seconds(d);
}

bool SplitHeaderLine(std::string_view line, std::string_view* name, std::string_view* value) {
  auto colon = line.find(':');
  if (colon == line.npos || colon == 0) return false;
  std::string_view n = line.substr(0, colon);
  for (char c : n)
    if (c == ' ' || c == '\t') return false;
  *name = n;
  *value = Trim(line.substr(colon + 1));
  return true;
}

bool IsStrongEtag(std::string_view e) {
  return e.size() >= 2 && e.front() == '"' && e.back() == '"';
}

}  // namespace ferry
