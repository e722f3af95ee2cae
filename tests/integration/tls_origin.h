// TlsOrigin: the NginxFixture plus an HTTPS listener, for HTTPS integration
// tests. A self-signed certificate for 127.0.0.1 (subjectAltName IP) is made
// with the openssl command line into a private TempDir; nginx gets a second
// "listen 127.0.0.1:<port> ssl;" in the same server block, so one nginx
// serves the docroot over http://127.0.0.1:<port()> and
// https://127.0.0.1:<https_port()>. `extra` goes into the server block too
// (e.g. a location that redirects). The nginx process is the fixture's:
// started and stopped by PID.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ferry/status.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {

class TlsOrigin {
 public:
  static bool OpensslAvailable();

  // Makes the certificate and starts nginx; retries with other ports when
  // a port was taken meanwhile. `extra` may contain "{HTTPS_PORT}" and
  // "{HTTP_PORT}"; the latter becomes an extra plain-HTTP listener's port
  // (same docroot).
  Status Start(const std::string& docroot, std::string extra = "");

  std::string HttpsUrl(std::string_view path) const;
  std::string HttpUrl(std::string_view path) const { return nginx_.Url(path); }
  // The certificate (PEM), usable as a CA file: it is self-signed.
  std::string cert_file() const { return dir_.Path("cert.pem"); }
  test::NginxFixture& nginx() { return nginx_; }
  uint16_t https_port() const { return https_port_; }
  // The "{HTTP_PORT}" listener's port; 0 when `extra` did not name one.
  uint16_t extra_http_port() const { return extra_http_port_; }

 private:
  test::TempDir dir_{"ferry-tls"};
  test::NginxFixture nginx_;
  uint16_t https_port_ = 0;
  uint16_t extra_http_port_ = 0;
};

}  // namespace ferry::test
