// HttpBackend: core::ByteSource for http:// and https:// on libcurl's
// multi-socket interface, driven by the engine's EventLoop.
//
// One Start() is one attempt: one GET (following up to 10 redirects) whose
// events reach the sink on the loop thread, in this order:
//
//   OnResponse  once, for the final 2xx (at the end of its headers) or 416
//               (status 416, total_size from "Content-Range: bytes */N");
//   OnData*     body bytes in order (none for 416);
//   OnDone      exactly once, last.
//
// Other statuses (3xx that is not followed, 4xx, 5xx) give no OnResponse and
// no body: OnDone carries BG_E_HTTP_ERROR_nnn (context REMOTE_FILE), transient
// for 408, 429 and 5xx, with Retry-After when the server sent one. Transport
// failures are mapped in curl_outcome.h. A sink returning false, or a 206
// without a valid Content-Range (DO_E_HTTP_BLOCKSIZE_MISMATCH, fatal), ends the
// attempt with a failing OnDone; the aborted case uses E_UNEXPECTED "aborted".
//
// Request mapping: Range "offset-" / "offset-last" when offset > 0 or a length
// is set, with If-Range only then; custom headers verbatim; redirects limited
// to https when the URL is https and https->http is not allowed (a refused
// redirect, a loop or more than 10 hops: 0x80072F9C, fatal); TLS verification
// on unless security_flags relax it (TlsVerifyFor), ca_file as CURLOPT_CAINFO
// (the distribution's CA directory stays in
// effect); proxies: kPreconfig/kAutodetect use libcurl's environment variables,
// kNoProxy none, kOverride the first entry of proxy_list with proxy_bypass as
// the no-proxy list; HTTP/2 over TLS when offered; no content decoding (the
// bytes are stored and hashed as the server sent them).
//
// libcurl's global state and the multi handle are set up by the first Start(),
// so an idle daemon has not initialised libcurl or OpenSSL.
//
// Threading: everything on the loop thread. The backend must outlive its
// ByteStreams; the loop must outlive the backend. Destroying a ByteStream stops it
// at once; its sink gets no call afterwards.
#pragma once

#include <memory>
#include <string_view>

#include "core/ports.h"
#include "sys/event_loop.h"

namespace ferry::curl {
class Global;
}

namespace ferry::transfer {

class HttpBackend final : public core::ByteSource {
 public:
  explicit HttpBackend(sys::EventLoop& loop);
  ~HttpBackend() override;
  HttpBackend(const HttpBackend&) = delete;
  HttpBackend& operator=(const HttpBackend&) = delete;

  // "http" and "https".
  bool Supports(std::string_view scheme) const override;
  // Never calls the sink from inside Start(); a request that cannot even be
  // set up (bad header line, empty range) gets its failing OnDone from the
  // loop. `sink` must stay valid until OnDone or until the ByteStream is gone.
  std::unique_ptr<core::ByteStream> Start(const core::ByteRequest& request,
                                          core::ByteSink* sink) override;

 private:
  sys::EventLoop& loop_;
  std::unique_ptr<curl::Global> global_;  // created by the first Start()
};

}  // namespace ferry::transfer
