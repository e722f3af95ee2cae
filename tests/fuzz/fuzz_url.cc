// URL validation and redaction (src/util/url), and the service's first-line
// checks of URLs and local names (src/service/arguments).
//
// Invariants: a URL the engine accepts has a supported scheme and a host (or
// an absolute file path); redaction is idempotent and leaves no user
// information but "***" in the authority; the engine's and the service's
// local-name rules agree on every UTF-8 name both size limits allow.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "service/arguments.h"
#include "util/url.h"

namespace {

using namespace ferry;

// The authority of a URL as RFC 3986 cuts it: after "://", up to /, ? or #.
std::string_view Authority(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return {};
  std::string_view rest = url.substr(p + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

void CheckRedaction(std::string_view url) {
  std::string redacted = RedactUrl(url);
  FUZZ_CHECK(RedactUrl(redacted) == redacted);
  std::string_view authority = Authority(redacted);
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) FUZZ_CHECK(authority.substr(0, at) == "***");
  // Only the user information changes: what follows the authority is kept.
  std::string_view original_authority = Authority(url);
  if (original_authority.find('@') == std::string_view::npos) FUZZ_CHECK(redacted == url);
  FUZZ_CHECK(redacted.size() <= url.size() + 4);
}

void CheckValidation(std::string_view url) {
  if (!ValidateRemoteUrl(url).ok()) return;
  std::string scheme = UrlScheme(url);
  FUZZ_CHECK(scheme == "http" || scheme == "https" || scheme == "file");
  FUZZ_CHECK(url.size() <= kMaxUrlLength);
  for (char c : url) FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7F);
  if (scheme == "file") {
    std::string path = FileUrlPath(url);
    FUZZ_CHECK(!path.empty() && path[0] == '/');
    // The path is a C string for open(): a NUL would name another file.
    FUZZ_CHECK(path.find('\0') == std::string::npos);
  } else {
    // The service's prefix check lets every URL through that the engine accepts.
    FUZZ_CHECK(!service::IsStrictUtf8(url) || service::CheckRemoteUrl(url, false).ok());
  }
}

void CheckLocalNames(std::string_view path) {
  bool engine = ValidateLocalPath(path).ok();
  bool bus = service::CheckLocalName(path).ok();
  if (bus && path.size() <= 4095) FUZZ_CHECK(engine);
  if (engine && service::IsStrictUtf8(path)) FUZZ_CHECK(bus);
  if (engine) {
    FUZZ_CHECK(path[0] == '/' && path.back() != '/');
    FUZZ_CHECK(path.find("/../") == std::string_view::npos &&
               path.find("/./") == std::string_view::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckRedaction(input);
  CheckValidation(input);
  FileUrlPath(input);
  CheckLocalNames(input);
  return 0;
}
