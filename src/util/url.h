// URL and local-path checks shared by the engine and the service (argument
// validation, semantics.md §2) and log redaction.
#pragma once

#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry {

constexpr size_t kMaxUrlLength = 2200;

// The lowercase scheme of a URL ("https"), or "" when there is none.
std::string UrlScheme(std::string_view url);

// E_INVALIDARG unless `url` is at most 2200 characters, has scheme http, https
// or file, a host for http(s), an absolute path without %00 for file, and no
// whitespace or control characters; or is a magnet link ValidateMagnet
// accepts. A torrent's "#file=" fragment must name a path (torrent_source.h).
Status ValidateRemoteUrl(std::string_view url);

// The URL with any user:password@ removed, for logs and error messages.
std::string RedactUrl(std::string_view url);

// For file:// URLs: the percent-decoded absolute path ("file:///a%20b" -> "/a b").
// Empty when the URL is not a local file URL, or its path decodes to a NUL.
std::string FileUrlPath(std::string_view url);

// E_INVALIDARG unless `path` is absolute, has no "." or ".." segment, no NUL,
// does not end in '/', and is at most 4095 bytes.
Status ValidateLocalPath(std::string_view path);
// The same for a directory named with its trailing '/' ("/home/u/dl/"): the
// local name of a torrent whose files go below it (docs/p2p.md).
Status ValidateLocalDirectory(std::string_view path);

}  // namespace ferry
