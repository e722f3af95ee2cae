// NginxFixture: a private nginx (/usr/sbin/nginx) serving a directory on a
// free loopback port, for integration tests against a real origin.
//
// Start() writes a config into a fresh temp dir (its own pid file, error log,
// access log and temp paths; "daemon off; master_process on;
// worker_processes 1; sendfile on;"), picks a free port on 127.0.0.1 (or
// listens where NginxOptions says, inside a network namespace), runs
// nginx as a child process in its own process group and waits (at most 10 s)
// until the port accepts connections; if nginx exits early (the port was taken
// meanwhile) it retries with another port, up to 5 times. Stop() sends SIGTERM
// to that child, waits up to 5 s, then SIGKILLs its process group, reaps it
// and removes the temp dir. Nothing but the one child (and its workers) is
// ever signalled.
//
// As root, the config says "user root root;" so that workers can read any
// docroot; as another user nginx runs as that user.
//
// The access log has one line per request, tab-separated:
//   $request \t $status \t $bytes_sent \t $http_range \t $http_if_range
//   \t $upstream_cache_status
// ("-" for an absent header or status); AccessLog() parses it.
//
// With NginxOptions::cache_proxy nginx is a cache server (policy.md §4):
// it proxies each request to the origin its cacheHostOrigin= argument names
// (an IP address and port) through proxy_cache in the private dir, keyed by
// that origin and the path, keeping responses 200 for a day.
//
// Not thread-safe; use from the test's thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/status.h"
#include "support/child_process.h"

namespace ferry::test {

class TempDir;

struct NginxOptions {
  // Per-connection limit_rate in bytes/s; 0: unlimited. nginx sends the
  // first second's worth at once, then paces.
  uint64_t limit_rate = 0;
  // Extra directives placed inside the server block, verbatim.
  std::string extra_server_config;
  // Where nginx runs and listens: a named network namespace ("" = ours; then
  // the address must be reachable from here), an IPv4 address in it, and a
  // port (0: a free loopback port, with retries; give one for a namespace of
  // the test's own, e.g. 80).
  std::string netns;
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  // A caching proxy instead of a file server (the docroot is then unused).
  bool cache_proxy = false;
  // A forward HTTP proxy instead of a file server: a request for an absolute
  // URL (http://IP:PORT/path) goes to that IP and port; the access log's
  // $request keeps the absolute URL.
  bool forward_proxy = false;
};

struct NginxLogEntry {
  std::string request;  // "GET /f HTTP/1.1"
  int status = 0;
  uint64_t bytes_sent = 0;   // head + body
  std::string range;         // the Range header, "" when absent
  std::string if_range;      // the If-Range header, "" when absent
  std::string cache_status;  // cache_proxy: HIT, MISS, ...; "" otherwise
};

class NginxFixture {
 public:
  static constexpr std::string_view kNginxPath = "/usr/sbin/nginx";

  NginxFixture();
  ~NginxFixture();  // Stop()
  NginxFixture(const NginxFixture&) = delete;
  NginxFixture& operator=(const NginxFixture&) = delete;

  // True when the nginx binary exists and is executable.
  static bool Available();

  // Serves `docroot` (an absolute directory path). Fails with
  // E_INVALIDARG when already started, ERROR_FILE_NOT_FOUND-style errno codes
  // when nginx is missing, E_UNEXPECTED (message: the error log's tail) when
  // nginx does not come up.
  Status Start(const std::string& docroot, const NginxOptions& options = {});
  // Stops nginx and removes the private dir. Idempotent; bounded.
  void Stop();

  bool running() const { return child_.running(); }
  uint16_t port() const { return port_; }
  pid_t pid() const { return child_.pid(); }
  // "http://<address>:<port>" + path ('/' prepended if missing).
  std::string Url(std::string_view path) const;
  // The private prefix dir (config, logs); "" when not started.
  std::string prefix() const;

  // Lines of the access log so far (nginx writes each line when the request
  // ends).
  std::vector<std::string> AccessLogLines() const;
  std::vector<NginxLogEntry> AccessLog() const;
  // The error log's contents (diagnostics).
  std::string ErrorLog() const;

 private:
  Status StartOnce(const std::string& docroot, const NginxOptions& options, bool* retry);

  std::unique_ptr<TempDir> dir_;
  ChildProcess child_;
  std::string address_;
  uint16_t port_ = 0;
};

}  // namespace ferry::test
