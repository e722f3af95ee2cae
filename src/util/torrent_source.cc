#include "util/torrent_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "util/url.h"

namespace ferry {
namespace {

constexpr std::string_view kFileFragment = "#file=";

Status Invalid(std::string message) { return Status(code::kInvalidArg, std::move(message)); }

std::string PercentDecode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

bool EndsWithTorrent(std::string_view url) {
  std::string_view path = url.substr(0, url.find_first_of("?#"));
  constexpr std::string_view kSuffix = ".torrent";
  if (path.size() <= kSuffix.size() || path[path.size() - kSuffix.size() - 1] == '/') return false;
  std::string_view tail = path.substr(path.size() - kSuffix.size());
  return std::equal(tail.begin(), tail.end(), kSuffix.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  });
}

bool AllOf(std::string_view s, int (*pred)(int)) {
  return std::all_of(s.begin(), s.end(),
                     [pred](char c) { return pred(static_cast<unsigned char>(c)); });
}

int IsBase32(int c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

bool IsInfoHashTopic(std::string_view xt) {
  constexpr std::string_view kV1 = "urn:btih:", kV2 = "urn:btmh:1220";
  if (xt.substr(0, kV1.size()) == kV1) {
    std::string_view h = xt.substr(kV1.size());
    return (h.size() == 40 && AllOf(h, isxdigit)) || (h.size() == 32 && AllOf(h, IsBase32));
  }
  if (xt.substr(0, kV2.size()) == kV2) {
    std::string_view h = xt.substr(kV2.size());
    return h.size() == 64 && AllOf(h, isxdigit);
  }
  return false;
}

Status CheckChosenPath(const std::string& path) {
  if (path.empty()) return Invalid("the #file= fragment names no file");
  if (path.find('\0') != std::string::npos) return Invalid("the #file= path contains a NUL");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view seg = std::string_view(path).substr(start, end - start);
    if (seg == "." || seg == "..")
      return Invalid("the #file= path contains a \".\" or \"..\" segment");
    start = end + 1;
  }
  return Status::OK();
}

}  // namespace

TorrentSource ParseTorrentSource(std::string_view remote_name) {
  TorrentSource out;
  std::string_view base = remote_name;
  size_t frag = remote_name.rfind(kFileFragment);
  if (frag != std::string_view::npos) {
    base = remote_name.substr(0, frag);
    out.file = PercentDecode(remote_name.substr(frag + kFileFragment.size()));
  }
  std::string scheme = UrlScheme(base);
  if (scheme == "magnet") {
    out.kind = TorrentSourceKind::kMagnet;
    out.location = std::string(base);
  } else if ((scheme == "http" || scheme == "https") && EndsWithTorrent(base)) {
    out.kind = TorrentSourceKind::kTorrentUrl;
    out.location = std::string(base);
  } else if (scheme == "file" && EndsWithTorrent(base)) {
    out.kind = TorrentSourceKind::kTorrentFile;
    out.location = FileUrlPath(base);
  } else {
    return TorrentSource{};
  }
  return out;
}

Status ValidateChosenFile(std::string_view remote_name) {
  TorrentSource src = ParseTorrentSource(remote_name);
  if (!src.file) return Status::OK();
  return CheckChosenPath(*src.file);
}

Status ValidateMagnet(std::string_view magnet) {
  if (UrlScheme(magnet) != "magnet") return Invalid("not a magnet link");
  if (magnet.size() > kMaxUrlLength)
    return Invalid(fmt::format("the magnet link is longer than {} characters", kMaxUrlLength));
  for (char c : magnet) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F)
      return Invalid("the magnet link contains whitespace or a control character");
  }
  std::string_view rest = magnet.substr(7);  // "magnet:"
  if (rest.empty() || rest[0] != '?') return Invalid("a magnet link starts with magnet:?");
  rest.remove_prefix(1);
  rest = rest.substr(0, rest.rfind(kFileFragment));
  int topics = 0;
  while (!rest.empty()) {
    size_t amp = std::min(rest.find('&'), rest.size());
    std::string_view param = rest.substr(0, amp);
    rest.remove_prefix(std::min(amp + 1, rest.size()));
    if (param.substr(0, 3) != "xt=" && param.substr(0, 3) != "xt.") continue;
    size_t eq = param.find('=');
    if (eq == std::string_view::npos || !IsInfoHashTopic(param.substr(eq + 1)))
      return Invalid("the magnet link's exact topic is not a BitTorrent info-hash");
    ++topics;
  }
  if (topics == 0) return Invalid("the magnet link has no info-hash (xt=urn:btih: or urn:btmh:)");
  return ValidateChosenFile(magnet);
}

bool IsTorrentSource(std::string_view remote_name) {
  return ParseTorrentSource(remote_name).kind != TorrentSourceKind::kNone;
}

TorrentSource ParseTorrentSourceFor(std::string_view remote_name, std::string_view local_name) {
  TorrentSource src = ParseTorrentSource(remote_name);
  const bool torrent_file =
      src.kind == TorrentSourceKind::kTorrentUrl || src.kind == TorrentSourceKind::kTorrentFile;
  if (torrent_file && !src.file && EndsWithTorrent(local_name)) return TorrentSource{};
  return src;
}

std::string WithChosenFile(std::string_view remote_name, std::string_view path) {
  std::string out(remote_name.substr(0, remote_name.rfind(kFileFragment)));
  out += kFileFragment;
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/')
      out.push_back(c);
    else
      out += fmt::format("%{:02X}", u);
  }
  return out;
}

std::string TorrentSaveDirectory(std::string_view remote_name, std::string_view local_name) {
  TorrentSource src = ParseTorrentSource(remote_name);
  if (src.kind == TorrentSourceKind::kNone || !src.file || src.file->empty()) return "";
  const std::string& path = *src.file;
  if (local_name.size() <= path.size() + 1 ||
      local_name.substr(local_name.size() - path.size()) != path ||
      local_name[local_name.size() - path.size() - 1] != '/')
    return "";
  return std::string(local_name.substr(0, local_name.size() - path.size()));
}

}  // namespace ferry
