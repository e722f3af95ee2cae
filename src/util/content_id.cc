#include "util/content_id.h"

#include <fmt/format.h>

#include <array>
#include <limits>

namespace ferry {
namespace {

constexpr std::string_view kPrefix = "cid1-";
constexpr size_t kRootDigits = 64;
constexpr size_t kCheckDigits = 8;
constexpr std::string_view kZeroRoot =
    "0000000000000000000000000000000000000000000000000000000000000000";

Status Bad(std::string_view why) {
  return Status(code::kInvalidArg, fmt::format("malformed content id: {}", why));
}

bool LowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Decimal without sign or leading zeros, below UINT64_MAX (ferry's "size
// unknown").
bool ParseSize(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  if (v == std::numeric_limits<uint64_t>::max()) return false;
  *out = v;
  return true;
}

}  // namespace

uint32_t Crc32(std::string_view text) {
  uint32_t crc = 0xffffffffu;
  for (char c : text) {
    crc ^= static_cast<uint8_t>(c);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string FormatContentId(const ContentId& id) {
  std::string body = fmt::format("{}{}-{}", kPrefix, id.size, id.root);
  return fmt::format("{}-{:08x}", body, Crc32(body));
}

Result<ContentId> ParseContentId(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix)
    return Bad("it does not start with \"cid1-\" (ferry hash FILE prints one)");
  size_t size_end = text.find('-', kPrefix.size());
  if (size_end == std::string_view::npos) return Bad("no root after the size");
  ContentId id;
  if (!ParseSize(text.substr(kPrefix.size(), size_end - kPrefix.size()), &id.size))
    return Bad("the size is not a decimal number of bytes");
  std::string_view rest = text.substr(size_end + 1);
  if (rest.size() != kRootDigits + 1 + kCheckDigits || rest[kRootDigits] != '-')
    return Bad("the root is not 64 hex digits followed by an 8-digit check");
  std::string_view root = rest.substr(0, kRootDigits);
  std::string_view check = rest.substr(kRootDigits + 1);
  if (!LowerHex(root) || !LowerHex(check)) return Bad("not lowercase hex digits");
  if ((id.size == 0) != (root == kZeroRoot))
    return Bad("the root is zero exactly when the size is 0");
  if (fmt::format("{:08x}", Crc32(text.substr(0, text.size() - kCheckDigits - 1))) != check)
    return Bad("the check digits do not match (a mistyped id?)");
  id.root = std::string(root);
  return id;
}

uint32_t ContentPieceLength(uint64_t size) {
  constexpr uint64_t kMin = 64u << 10, kMax = 4u << 20;
  uint64_t want = size / 1024 + (size % 1024 != 0);
  uint64_t length = kMin;
  while (length < want && length < kMax) length *= 2;
  return static_cast<uint32_t>(length);
}

std::string ContentTorrentName(std::string_view root) { return "ferry-" + std::string(root); }

}  // namespace ferry
