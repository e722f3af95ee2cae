#include "core/validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "util/content_id.h"
#include "util/torrent_source.h"

namespace ferry::core {

size_t Utf8Length(std::string_view s) {
  // RFC 3629, as the bus requires of strings: shortest forms only, no
  // surrogates, nothing past U+10FFFF.
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 4;
    if (extra == 4 || i + extra >= s.size()) return SIZE_MAX;
    uint32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return SIZE_MAX;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return SIZE_MAX;
    i += extra + 1;
  }
  return n;
}

Status ValidateDisplayName(std::string_view name) {
  if (name.empty()) return Status(code::kInvalidArg, "the display name is empty");
  size_t n = Utf8Length(name);
  if (n == SIZE_MAX) return Status(code::kInvalidArg, "the display name is not valid UTF-8");
  if (n > kMaxDisplayName)
    return Status(code::kStringTooLong,
                  fmt::format("the display name has {} characters; at most {} are allowed", n,
                              kMaxDisplayName));
  return Status::OK();
}

Status ValidateDescription(std::string_view text) {
  size_t n = Utf8Length(text);
  if (n == SIZE_MAX) return Status(code::kInvalidArg, "the description is not valid UTF-8");
  if (n > kMaxDescription)
    return Status(code::kStringTooLong,
                  fmt::format("the description has {} characters; at most {} are allowed", n,
                              kMaxDescription));
  return Status::OK();
}

Status ValidateNotifyFlags(uint32_t flags) {
  if (flags & ~notify::kAll)
    return Status(code::kInvalidArg,
                  fmt::format("unknown notify flag bits 0x{:X}; known bits are 0x1F", flags & ~notify::kAll));
  return Status::OK();
}

Status ValidatePriority(JobPriority p) {
  if (static_cast<uint32_t>(p) > static_cast<uint32_t>(JobPriority::kLow))
    return Status(code::kInvalidArg, fmt::format("unknown priority {}", static_cast<uint32_t>(p)));
  return Status::OK();
}

Status ValidateCostPolicy(uint32_t p) {
  switch (p) {
    case cost::kAlways:
    case cost::kNotRoaming:
    case cost::kNoSurcharge:
    case cost::kStandard:
    case cost::kUnrestricted:
      return Status::OK();
  }
  return Status(code::kInvalidArg, fmt::format("unknown cost policy 0x{:08X}", p));
}

Status ValidateDownloadMode(std::optional<DownloadMode> mode) {
  if (!mode || IsDownloadMode(static_cast<uint32_t>(*mode))) return Status::OK();
  return Status(code::kInvalidArg,
                fmt::format("unknown download mode {} (0 HTTP only, 1 LAN, 2 Group, 3 Internet, "
                            "99 Simple, 100 Bypass)",
                            static_cast<uint32_t>(*mode)));
}

static bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

Status ValidateProxy(ProxyUsage usage, std::string_view list, std::string_view bypass) {
  if (static_cast<uint32_t>(usage) > static_cast<uint32_t>(ProxyUsage::kAutodetect))
    return Status(code::kInvalidArg, "unknown proxy usage");
  if (usage == ProxyUsage::kAutodetect)
    return Status(code::kNotImpl, "proxy autodetection (WPAD) is not supported");
  if (usage == ProxyUsage::kOverride && list.empty())
    return Status(code::kInvalidArg, "an explicit proxy setting needs a proxy list");
  if (usage != ProxyUsage::kOverride && (!list.empty() || !bypass.empty()))
    return Status(code::kInvalidArg, "proxy and bypass lists are only allowed with an explicit proxy");
  if (list.size() > 4096 || bypass.size() > 4096 || HasControl(list) || HasControl(bypass))
    return Status(code::kInvalidArg, "the proxy list is malformed");
  return Status::OK();
}

Status ValidateCustomHeaders(std::string_view headers) {
  if (headers.size() > kMaxCustomHeaders)
    return Status(code::kInvalidArg, "the custom headers are longer than 16 KiB");
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find('\n', pos);
    std::string_view line = headers.substr(pos, end == std::string_view::npos ? headers.npos : end - pos);
    pos = end == std::string_view::npos ? headers.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos || HasControl(line) ||
        line.substr(0, colon).find_first_of(" \t") != std::string_view::npos)
      return Status(code::kInvalidArg, fmt::format("malformed custom header line '{}'", line));
  }
  return Status::OK();
}

Status ValidateSha256Hex(std::string_view hex) {
  if (hex.empty()) return Status::OK();
  if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      }))
    return Status(code::kInvalidArg, "a SHA-256 must be 64 hexadecimal digits");
  return Status::OK();
}

Status ValidateRanges(std::span<const FileRange> ranges, uint64_t file_size, uint32_t max_ranges) {
  if (ranges.size() > max_ranges)
    return Status(code::kTooManyRangesInFile,
                  fmt::format("{} ranges; at most {} are allowed per file", ranges.size(), max_ranges));
  std::vector<FileRange> sorted(ranges.begin(), ranges.end());
  for (const auto& r : sorted) {
    if (r.length == 0) return Status(code::kInvalidRange, "a range has length 0");
    if (r.initial_offset == kLengthToEof)
      return Status(code::kInvalidRange, "a range starts at the to-end-of-file sentinel");
    if (r.length != kLengthToEof && r.initial_offset + r.length < r.initial_offset)
      return Status(code::kInvalidRange, "a range overflows 64 bits");
    if (file_size != kSizeUnknown) {
      uint64_t end = r.length == kLengthToEof ? file_size : r.initial_offset + r.length;
      if (r.initial_offset >= file_size || end > file_size)
        return Status(code::kInvalidRange,
                      fmt::format("range {}+{} lies outside the file of {} bytes", r.initial_offset,
                                  r.length, file_size));
    }
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const FileRange& a, const FileRange& b) { return a.initial_offset < b.initial_offset; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    const auto& p = sorted[i - 1];
    uint64_t p_end = p.length == kLengthToEof ? UINT64_MAX : p.initial_offset + p.length;
    if (sorted[i].initial_offset < p_end)
      return Status(code::kOverlappingRanges,
                    fmt::format("ranges at {} and {} overlap", p.initial_offset, sorted[i].initial_offset));
  }
  return Status::OK();
}

Status ValidateFileContentId(std::string_view id, std::string_view remote_url,
                             std::span<const FileRange> ranges, uint64_t file_size) {
  if (id.empty()) return Status::OK();
  auto parsed = ParseContentId(id);
  if (!parsed.ok()) return parsed.status();
  if (!ranges.empty())
    return Status(code::kInvalidArg, "a content id names a whole file: not with ranges");
  if (file_size != kSizeUnknown && file_size != parsed->size)
    return Status(code::kInvalidArg,
                  fmt::format("the content id names {} bytes, the file's size was given as {}",
                              parsed->size, file_size));
  if (ParseTorrentSource(remote_url).kind != TorrentSourceKind::kNone)
    return Status(code::kInvalidArg,
                  "a torrent or magnet is verified by its info-hash: it takes no content id");
  return Status::OK();
}

}  // namespace ferry::core
