#include "integration/tls_origin.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "integration/integration_util.h"
#include "support/free_port.h"
#include "util/status_codes.h"

namespace ferry::test {
namespace {

constexpr int kAttempts = 5;

void ReplaceAll(std::string* s, std::string_view from, const std::string& to) {
  for (size_t pos = 0; (pos = s->find(from, pos)) != std::string::npos; pos += to.size())
    s->replace(pos, from.size(), to);
}

}  // namespace

bool TlsOrigin::OpensslAvailable() {
  return std::system("openssl version >/dev/null 2>&1") == 0;
}

Status TlsOrigin::Start(const std::string& docroot, std::string extra) {
  if (!dir_.ok()) return Status(code::kUnexpected, "no temp dir");
  ::chmod(dir_.path().c_str(), 0755);  // nginx workers read the key and cert
  const std::string cert = dir_.Path("cert.pem");
  const std::string key = dir_.Path("key.pem");
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
                          "-addext subjectAltName=IP:127.0.0.1 -days 1 -keyout " + key + " -out " + cert +
                          " >" + dir_.Path("openssl.log") + " 2>&1";
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    return Status(code::kUnexpected,
                  "openssl req failed: " + test::ReadFile(dir_.Path("openssl.log")).value_or(""));
  }
  Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    https_port_ = test::PickFreePort();
    if (https_port_ == 0) return Status(code::kUnexpected, "no free port");
    std::string config = "listen 127.0.0.1:" + std::to_string(https_port_) + " ssl;\n" +
                         "    ssl_certificate " + cert + ";\n" + "    ssl_certificate_key " + key + ";\n";
    std::string more = extra;
    ReplaceAll(&more, "{HTTPS_PORT}", std::to_string(https_port_));
    // The fixture's own HTTP port is only known after Start, so a config
    // that names an HTTP port gets a second plain listener of its own.
    if (more.find("{HTTP_PORT}") != std::string::npos) {
      extra_http_port_ = test::PickFreePort();
      config += "    listen 127.0.0.1:" + std::to_string(extra_http_port_) + ";\n";
      ReplaceAll(&more, "{HTTP_PORT}", std::to_string(extra_http_port_));
    }
    test::NginxOptions o;
    o.extra_server_config = config + "    " + more;
    last = nginx_.Start(docroot, o);
    if (last.ok()) return last;
    // A port taken meanwhile, or two of the three picks the same port
    // (each probe frees its port before the next): pick again.
    if (last.message().find("Address already in use") == std::string::npos &&
        last.message().find("duplicate listen") == std::string::npos)
      return last;
  }
  return last;
}

std::string TlsOrigin::HttpsUrl(std::string_view path) const {
  std::string url = "https://127.0.0.1:" + std::to_string(https_port_);
  if (path.empty() || path.front() != '/') url += '/';
  url += path;
  return url;
}

}  // namespace ferry::test
