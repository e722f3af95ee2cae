#include "cli/parsers.h"

#include <cctype>
#include <cstdlib>
#include <string_view>

namespace ferry::cli {

namespace {

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Length of the leading run of decimal digits.
size_t Digits(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsDigit(s[n])) ++n;
  return n;
}

// The multiplier of a rate's unit; 0 for an unknown unit.
double UnitMultiplier(std::string_view unit) {
  if (unit.empty() || unit == "B" || unit == "b") return 1;
  if (unit == "k" || unit == "K" || unit == "KiB" || unit == "kB") return 1024;
  if (unit == "M" || unit == "MiB" || unit == "MB") return 1024.0 * 1024;
  if (unit == "G" || unit == "GiB" || unit == "GB") return 1024.0 * 1024 * 1024;
  return 0;
}

}  // namespace

bool ParseRate(const std::string& text, uint64_t* out) {
  if (text == "unlimited") {
    *out = 0;
    return true;
  }
  // strtod alone would take " 5", "+5", "1e3", "0x10", "inf" and "nan": the
  // number is checked to be digits[.digits] first.
  std::string_view s(text);
  size_t n = Digits(s);
  if (n == 0) return false;
  if (n < s.size() && s[n] == '.') {
    size_t frac = Digits(s.substr(n + 1));
    if (frac == 0) return false;
    n += 1 + frac;
  }
  double mul = UnitMultiplier(s.substr(n));
  if (mul == 0) return false;
  double v = std::strtod(std::string(s.substr(0, n)).c_str(), nullptr);
  // Rates of 2^64 bytes/s or more have no uint64_t value.
  if (!(v * mul < 18446744073709551616.0)) return false;
  *out = static_cast<uint64_t>(v * mul);
  return true;
}

bool ParseCount(const std::string& text, uint64_t* out) {
  if (text.empty() || Digits(text) != text.size()) return false;
  uint64_t v = 0;
  for (char c : text) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool ParseUint32(const std::string& text, bool allow_hex, uint32_t* out) {
  uint64_t v = 0;
  bool hex = allow_hex && text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (hex) {
    std::string digits = text.substr(2);
    if (digits.size() > 8 ||
        digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      return false;
    v = std::strtoull(digits.c_str(), nullptr, 16);
  } else if (!ParseCount(text, &v)) {
    return false;
  }
  if (v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool ParseRange(const std::string& text, FileRange* out) {
  size_t colon = text.find(':');
  if (colon == std::string::npos) return false;
  FileRange r;
  std::string length = text.substr(colon + 1);
  if (!ParseCount(text.substr(0, colon), &r.initial_offset)) return false;
  if (length == "eof" || length == "EOF")
    r.length = kLengthToEof;
  else if (!ParseCount(length, &r.length))
    return false;
  *out = r;
  return true;
}

bool ParseDownloadMode(const std::string& text, std::optional<DownloadMode>* out) {
  if (text == "default") {
    out->reset();
    return true;
  }
  for (DownloadMode m : {DownloadMode::kHttpOnly, DownloadMode::kLan, DownloadMode::kGroup,
                         DownloadMode::kInternet, DownloadMode::kSimple, DownloadMode::kBypass}) {
    if (text == DownloadModeName(m)) {
      *out = m;
      return true;
    }
  }
  uint32_t n = 0;
  if (!ParseUint32(text, false, &n) || !IsDownloadMode(n)) return false;
  *out = static_cast<DownloadMode>(n);
  return true;
}

}  // namespace ferry::cli
