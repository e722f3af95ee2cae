#include "service/arguments.h"

#include <fmt/format.h>

#include "core/validation.h"
#include "util/torrent_source.h"

namespace ferry::service {

namespace {
Status Invalid(std::string message) { return Status(code::kInvalidArg, std::move(message)); }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}
}  // namespace

bool IsStrictUtf8(std::string_view s) {
  // RFC 3629: shortest forms only, no surrogates, at most U+10FFFF (what the
  // D-Bus specification requires of strings).
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

Status CheckString(std::string_view arg_name, std::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes)
    return Status(code::kStringTooLong,
                  fmt::format("{} is longer than {} bytes", arg_name, max_bytes));
  if (value.find('\0') != std::string_view::npos)
    return Invalid(fmt::format("{} contains a NUL character", arg_name));
  if (!IsStrictUtf8(value)) return Invalid(fmt::format("{} is not valid UTF-8", arg_name));
  return Status::OK();
}

Status ParseJobId(std::string_view text, Guid* id) {
  if (text.size() > 64 || !Guid::Parse(text, id))
    return Invalid(
        "the job id is not a GUID ({xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} or 32 hex digits)");
  return Status::OK();
}

Status CheckRemoteUrl(std::string_view url, bool allow_file) {
  if (url.empty()) return Invalid("the remote URL is empty");
  if (Status s = CheckString("the remote URL", url, kMaxUrlBytes); !s.ok()) return s;
  if (StartsWithNoCase(url, "magnet:")) return ValidateMagnet(url);
  if (Status s = ValidateChosenFile(url); !s.ok()) return s;
  if (StartsWithNoCase(url, "http://") || StartsWithNoCase(url, "https://")) return Status::OK();
  if (StartsWithNoCase(url, "file://")) {
    if (allow_file) return Status::OK();
    // The system service would read the file with its own rights, not the caller's.
    return Invalid("file:// URLs are not accepted by the system service");
  }
  return Invalid("the remote URL's scheme is not http, https, file or magnet");
}

Status CheckLocalName(std::string_view path, bool directory_allowed) {
  if (path.empty()) return Invalid("the local name is empty");
  if (Status s = CheckString("the local name", path, kMaxPathBytes); !s.ok()) return s;
  if (path[0] != '/') return Invalid("the local name is not an absolute path");
  if (path.back() == '/' && !directory_allowed)
    return Invalid("the local name names a directory (only a torrent or magnet's may)");
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "." || seg == "..")
      return Invalid("the local name contains a \".\" or \"..\" segment");
    start = end + 1;
  }
  return Status::OK();
}

Status CheckEnumFlags(uint32_t flags) {
  if (flags & ~kEnumAllUsers)
    return Invalid(fmt::format("unknown enumeration flags 0x{:X}", flags));
  return Status::OK();
}

Status CheckJobType(uint32_t type) {
  if (type > static_cast<uint32_t>(JobType::kUploadReply))
    return Invalid(fmt::format("unknown job type {}", type));
  return Status::OK();
}

Status CheckPriority(uint32_t priority) {
  if (priority > static_cast<uint32_t>(JobPriority::kLow))
    return Invalid(fmt::format("unknown priority {}", priority));
  return Status::OK();
}

Status CheckProxyUsage(uint32_t usage) {
  if (usage > static_cast<uint32_t>(ProxyUsage::kAutodetect))
    return Invalid(fmt::format("unknown proxy usage {}", usage));
  return Status::OK();
}

Status CheckNotifyFlags(uint32_t flags) { return core::ValidateNotifyFlags(flags); }

}  // namespace ferry::service
