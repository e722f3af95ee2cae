#include "util/url.h"

#include <fmt/format.h>

#include <cctype>

#include "util/torrent_source.h"

namespace ferry {

std::string UrlScheme(std::string_view url) {
  auto colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  std::string s;
  for (char c : url.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
    s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return {};
  return s;
}

Status ValidateRemoteUrl(std::string_view url) {
  if (url.empty()) return Status(code::kInvalidArg, "the remote URL is empty");
  if (url.size() > kMaxUrlLength)
    return Status(code::kInvalidArg,
                  fmt::format("the remote URL is {} characters; at most {} are allowed", url.size(),
                              kMaxUrlLength));
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F)
      return Status(code::kInvalidArg, "the remote URL contains whitespace or a control character");
  }
  std::string scheme = UrlScheme(url);
  if (scheme == "magnet") return ValidateMagnet(url);
  if (Status s = ValidateChosenFile(url); !s.ok()) return s;
  if (scheme != "http" && scheme != "https" && scheme != "file")
    return Status(code::kInvalidArg,
                  fmt::format("unsupported URL scheme '{}': use http, https, file or magnet",
                              scheme.empty() ? std::string("(none)") : scheme));
  std::string_view rest = url.substr(scheme.size() + 1);
  if (rest.substr(0, 2) != "//") return Status(code::kInvalidArg, "the URL must start with scheme://");
  rest.remove_prefix(2);
  if (scheme == "file") {
    if (rest.empty() || rest[0] != '/')
      return Status(code::kInvalidArg, "a file URL must name an absolute path (file:///path)");
    if (FileUrlPath(url).empty()) return Status(code::kInvalidArg, "the file URL's path contains %00");
    return Status::OK();
  }
  auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  auto at = authority.rfind('@');
  std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (host.empty() || host[0] == ':') return Status(code::kInvalidArg, "the URL has no host");
  return Status::OK();
}

std::string RedactUrl(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return std::string(url);
  auto start = p + 3;
  auto end = url.find_first_of("/?#", start);
  std::string_view authority = url.substr(start, end == std::string_view::npos ? url.npos : end - start);
  auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, start));
  out += "***@";
  out += url.substr(start + at + 1);
  return out;
}

std::string FileUrlPath(std::string_view url) {
  if (UrlScheme(url) != "file") return {};
  std::string_view rest = url.substr(5);
  if (rest.substr(0, 2) != "//") return {};
  rest.remove_prefix(2);
  if (rest.empty() || rest[0] != '/') return {};  // only empty host ("file:///...") is local
  std::string out;
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '?' || c == '#') break;
    if (c == '%' && i + 2 < rest.size() && std::isxdigit(static_cast<unsigned char>(rest[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(rest[i + 2]))) {
      char decoded = static_cast<char>(std::stoi(std::string(rest.substr(i + 1, 2)), nullptr, 16));
      if (decoded == '\0') return {};  // open() would stop there: another file
      out.push_back(decoded);
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Status ValidateLocalDirectory(std::string_view path) {
  if (path.size() < 2 || path.back() != '/')
    return Status(code::kInvalidArg, fmt::format("'{}' does not name a directory", path));
  return ValidateLocalPath(path.substr(0, path.size() - 1));
}

Status ValidateLocalPath(std::string_view path) {
  if (path.empty()) return Status(code::kInvalidArg, "the local name is empty");
  if (path.size() > 4095) return Status(code::kInvalidArg, "the local name is too long");
  if (path[0] != '/')
    return Status(code::kInvalidArg,
                  fmt::format("the local name '{}' is not an absolute path", path));
  if (path.back() == '/')
    return Status(code::kInvalidArg, fmt::format("the local name '{}' names a directory", path));
  if (path.find('\0') != std::string_view::npos)
    return Status(code::kInvalidArg, "the local name contains a NUL byte");
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i + 1);
    std::string_view seg = path.substr(i + 1, (j == std::string_view::npos ? path.size() : j) - i - 1);
    if (seg == "." || seg == "..")
      return Status(code::kInvalidArg,
                    fmt::format("the local name '{}' contains a '{}' segment", path, seg));
    if (j == std::string_view::npos) break;
    i = j;
  }
  return Status::OK();
}

}  // namespace ferry
