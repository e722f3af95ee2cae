// ScriptedOrigin: an in-process HTTP/1.1 server on 127.0.0.1 that answers
// each request with whatever a test's handler returns, including replies that
// misbehave (cut short, stalled, raw bytes, slow, chunked). It serves the
// tests/cases scenarios and any test that needs an origin it can script.
//
// Threads: one thread accepts; each connection is served on its own thread.
// Every blocking wait (read, write, delay, rate limit, stall) also watches a
// stop event, so Stop() returns promptly even with clients connected.
//
// Connections are persistent (HTTP/1.1 keep-alive): after a complete reply
// the next request is read from the same socket, unless the request said
// "Connection: close" or was HTTP/1.0. After a reply that uses `raw`,
// `cut_after`, `stall` or `reset` the connection is closed. Requests are parsed
// up to the blank line (64 KiB at most); a Content-Length request body is read
// and discarded; anything unparseable closes the connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace ferry::test {

struct OriginRequest {
  std::string method;   // "GET", "HEAD", ...
  std::string target;   // "/path?query" as sent
  std::string version;  // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  size_t connection = 0;  // 1-based index of the connection it came on

  // The first header with this name (ASCII case-insensitive); "" if absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

struct OriginReply {
  int status = 200;
  std::string reason;  // empty: the standard phrase for `status`
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;    // never sent for HEAD, 1xx, 204 and 304
  // Adds "Content-Length: body.size()" unless chunked or the handler gave one.
  // The full size is announced even with cut_after and for HEAD.
  bool auto_content_length = true;
  // Sends the body in chunked encoding ("Transfer-Encoding: chunked").
  bool chunked = false;
  // Closes the connection after this many body bytes (or, with `raw`, after
  // this many raw bytes). With chunked, counts body bytes, not encoded ones.
  std::optional<size_t> cut_after;
  // After sending (all, or up to cut_after), keeps the connection open and
  // silent until the client closes it or Stop().
  bool stall = false;
  // Closes with a TCP RST (SO_LINGER 0) instead of a FIN.
  bool reset = false;
  // Sends exactly these bytes instead of a generated head and body.
  std::optional<std::string> raw;
  // Waits this long before sending anything.
  std::chrono::milliseconds delay{0};
  // Bytes per second for everything sent (head included); 0: unlimited.
  size_t rate_limit_bps = 0;
  // Bytes per second for the body of a generated reply only, after its head
  // (sent at rate_limit_bps); 0: as rate_limit_bps. A slowloris origin.
  size_t body_rate_limit_bps = 0;
};

// Called on connection threads, possibly concurrently: must be thread-safe.
using OriginHandler = std::function<OriginReply(const OriginRequest&)>;

class ScriptedOrigin {
 public:
  // Binds 127.0.0.1 on a free port and starts serving. On failure ok() is
  // false and port() is 0.
  explicit ScriptedOrigin(OriginHandler handler);
  // Stop().
  ~ScriptedOrigin();
  ScriptedOrigin(const ScriptedOrigin&) = delete;
  ScriptedOrigin& operator=(const ScriptedOrigin&) = delete;

  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port>" + path ('/' prepended if missing).
  std::string Url(std::string_view path) const;

  // Replaces the handler for requests that arrive from now on. Thread-safe.
  void SetHandler(OriginHandler handler);

  // Thread-safe copies: every request seen so far, in arrival order.
  std::vector<OriginRequest> requests() const;
  size_t request_count() const;
  // Connections accepted so far.
  size_t connection_count() const;
  // Blocks until at least n requests were seen or `timeout` passed; returns
  // whether n were seen.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) const;

  // Closes the listening socket and every connection and joins all threads.
  // Idempotent; bounded (no wait depends on the peer).
  void Stop();

 private:
  struct Conn {
    int fd = -1;  // guarded by mu_; closed and set to -1 by the connection thread
    std::thread thread;
    std::atomic<bool> finished{false};
  };

  void AcceptLoop();
  void Serve(Conn* conn, size_t index);
  void CloseConn(Conn* conn, bool reset);
  void Record(const OriginRequest& request);
  OriginHandler handler() const;
  // Waits until fd is ready for `events` or the stop event fires; false on
  // stop, timeout or error. timeout_ms < 0: no timeout.
  bool WaitFd(int fd, short events, int timeout_ms) const;
  // Waits `ms` unless stopped first; false when stopped.
  bool Sleep(std::chrono::milliseconds ms) const;
  bool SendAll(int fd, std::string_view data, size_t rate_limit_bps) const;

  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd; readable once Stop() starts
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  OriginHandler handler_;
  std::vector<OriginRequest> requests_;
  std::list<Conn> conns_;
  size_t connections_ = 0;
  bool stopped_ = false;
};

// The Last-Modified ServeBytes uses by default.
inline constexpr std::string_view kOriginLastModified = "Thu, 01 Jan 2026 00:00:00 GMT";

// A correct static-file reply for `content`, as a well-behaved server gives:
// Accept-Ranges: bytes, ETag (when not empty), Last-Modified (when not empty).
// A single "Range: bytes=a-b", "bytes=a-" or "bytes=-n" gets 206 with
// Content-Range; an unsatisfiable one gets 416 with "Content-Range: bytes */N".
// Multiple or malformed ranges are ignored (200, full body). If-Range is
// honoured: a strong ETag equal to `etag`, or a date equal to
// `last_modified`, lets the range apply; anything else gets 200 and the full
// body.
OriginReply ServeBytes(const OriginRequest& request, const std::string& content,
                       std::string etag,
                       std::string last_modified = std::string(kOriginLastModified));

}  // namespace ferry::test
