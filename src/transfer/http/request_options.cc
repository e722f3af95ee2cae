#include "transfer/http/request_options.h"

#include <fmt/format.h>

#include "util/url.h"

namespace ferry::transfer {

namespace {
// Below this many body bytes a second for the whole low-speed window a
// connection counts as stalled (docs/engine.md): a trickle of a byte or two
// a second (a slowloris origin) is cut for sure, where a limit of 1 left it
// to how libcurl rounds its average.
constexpr long kLowSpeedLimitBytesPerSecond = 64;

bool IsSeparator(char c) { return c == ';' || c == ',' || c == ' ' || c == '\t'; }

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != s.npos; }
}  // namespace

std::optional<std::string> RangeSpec(const core::ByteRequest& request, Status* error) {
  if (request.offset == 0 && !request.length) return std::nullopt;
  if (!request.length) return fmt::format("{}-", request.offset);
  uint64_t length = *request.length;
  if (length == 0 || request.offset > UINT64_MAX - length) {
    *error = Status(code::kInvalidRange, "empty or overflowing range");
    return std::nullopt;
  }
  return fmt::format("{}-{}", request.offset, request.offset + length - 1);
}

std::string CurlNoProxyList(std::string_view bypass) {
  std::string out;
  size_t i = 0;
  while (i < bypass.size()) {
    while (i < bypass.size() && IsSeparator(bypass[i])) ++i;
    size_t start = i;
    while (i < bypass.size() && !IsSeparator(bypass[i])) ++i;
    if (start == i) break;
    std::string_view item = bypass.substr(start, i - start);
    if (!out.empty()) out += ',';
    if (item == "<local>") {
      out += "localhost,127.0.0.1,::1";
    } else {
      out += item;
    }
  }
  return out;
}

std::string FirstProxy(std::string_view proxy_list) {
  size_t i = 0;
  while (i < proxy_list.size() && IsSeparator(proxy_list[i])) ++i;
  size_t start = i;
  while (i < proxy_list.size() && !IsSeparator(proxy_list[i])) ++i;
  return std::string(proxy_list.substr(start, i - start));
}

TlsVerify TlsVerifyFor(uint32_t security_flags) {
  TlsVerify v;
  if (security_flags & core::security_flag::kIgnoreUnknownCa) v.verify_peer = 0;
  if (security_flags & core::security_flag::kIgnoreCertCnInvalid) v.verify_host = 0;
  return v;
}

Status ConfigureRequest(curl::Request& curl, const core::ByteRequest& request) {
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl.SetOption(option, value);
  };
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  bool https_only = UrlScheme(request.url) == "https" && !request.allow_https_to_http;
  set(CURLOPT_REDIR_PROTOCOLS_STR, https_only ? "https" : "http,https");
  if (rc == CURLE_OK) rc = curl.SetFollowRedirects(kMaxRedirects);
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  set(CURLOPT_BUFFERSIZE, kReceiveBufferSize);
  set(CURLOPT_CONNECTTIMEOUT, static_cast<long>(request.connect_timeout.count()));
  // Less than kLowSpeedLimitBytesPerSecond for low_speed_time ->
  // CURLE_OPERATION_TIMEDOUT. libcurl does not count paused time.
  set(CURLOPT_LOW_SPEED_LIMIT, kLowSpeedLimitBytesPerSecond);
  set(CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.low_speed_time.count()));
  // The raw entity: no Accept-Encoding is sent and nothing is decoded.
  set(CURLOPT_HTTP_CONTENT_DECODING, 0L);
  TlsVerify tls = TlsVerifyFor(request.security_flags);
  set(CURLOPT_SSL_VERIFYPEER, tls.verify_peer);
  set(CURLOPT_SSL_VERIFYHOST, tls.verify_host);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_USERAGENT, "ferry/0.1");
  // Replaces the CA bundle file; the CA directory (CURLOPT_CAPATH default)
  // still applies, so public roots keep working on distributions that ship one.
  if (!request.ca_file.empty()) set(CURLOPT_CAINFO, request.ca_file.c_str());

  switch (request.proxy_usage) {
    case ProxyUsage::kPreconfig:
    case ProxyUsage::kAutodetect:
      break;  // libcurl reads http_proxy / https_proxy / no_proxy
    case ProxyUsage::kNoProxy:
      set(CURLOPT_PROXY, "");
      break;
    case ProxyUsage::kOverride: {
      std::string proxy = FirstProxy(request.proxy_list);
      set(CURLOPT_PROXY, proxy.c_str());
      std::string bypass = CurlNoProxyList(request.proxy_bypass);
      set(CURLOPT_NOPROXY, bypass.c_str());
      break;
    }
  }

  Status range_error;
  std::optional<std::string> range = RangeSpec(request, &range_error);
  if (!range_error.ok()) return range_error;
  if (range) set(CURLOPT_RANGE, range->c_str());

  curl::StringList headers;
  for (const std::string& line : request.headers) {
    if (HasLineBreak(line) || line.find(':') == std::string::npos)
      return Status(code::kInvalidArg, "malformed custom header line");
    if (!headers.Append(line)) return Status(code::kUnexpected, "out of memory");
  }
  if (range && !request.if_range.empty()) {
    if (HasLineBreak(request.if_range)) return Status(code::kInvalidArg, "malformed If-Range validator");
    if (!headers.Append("If-Range: " + request.if_range)) return Status(code::kUnexpected, "out of memory");
  }
  if (!headers.empty() && rc == CURLE_OK) rc = curl.SetHeaders(std::move(headers));

  if (rc != CURLE_OK) return Status(code::kUnexpected, fmt::format("libcurl option refused: {}", static_cast<int>(rc)));
  return Status::OK();
}

}  // namespace ferry::transfer
