// How a core::ByteRequest becomes libcurl options (the mapping is listed
// in http_backend.h).
#pragma once

#include <optional>
#include <string>

#include "core/ports.h"
#include "lib/curl/request.h"

namespace ferry::transfer {

constexpr long kMaxRedirects = 10;
constexpr long kReceiveBufferSize = 256 * 1024;

// The Range header value ("10-" or "10-29") or nullopt when the whole entity
// is wanted. Sets *error for an empty or overflowing range.
std::optional<std::string> RangeSpec(const core::ByteRequest& request, Status* error);

// The no-proxy list in libcurl's form: BITS separators (';', spaces) become
// ',' and "<local>" becomes the loopback names.
std::string CurlNoProxyList(std::string_view bypass);

// The first proxy of a BITS proxy list ("a:8080;b:8080" -> "a:8080").
std::string FirstProxy(std::string_view proxy_list);

// CURLOPT_SSL_VERIFYPEER / CURLOPT_SSL_VERIFYHOST for DO's SecurityFlags:
// ignore-unknown-CA turns off the chain check (VERIFYPEER 0), ignore-CN the
// name check (VERIFYHOST 0). libcurl cannot skip only the date or the key
// usage (both are part of the chain check) nor ask for revocation without a
// stapled OCSP answer, so those bits change nothing (docs/download.md).
struct TlsVerify {
  long verify_peer = 1;
  long verify_host = 2;
};
TlsVerify TlsVerifyFor(uint32_t security_flags);

// Sets every option of the attempt on `curl`. A failing Status (E_INVALIDARG
// for bad input, E_UNEXPECTED when libcurl refuses an option) means the
// request must not be started.
Status ConfigureRequest(curl::Request& curl, const core::ByteRequest& request);

}  // namespace ferry::transfer
