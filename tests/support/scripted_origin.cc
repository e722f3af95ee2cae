#include "support/scripted_origin.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "util/http_header.h"

namespace ferry::test {
namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kChunkSize = 8192;

std::string_view StandardReason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

bool HasHeader(const std::vector<std::pair<std::string, std::string>>& headers,
               std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
}

// Parses the head (request line + headers, without the blank line).
bool ParseHead(std::string_view head, OriginRequest* req) {
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return false;
  req->method = std::string(line.substr(0, sp1));
  req->target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  req->version = std::string(line.substr(sp2 + 1));
  if (req->method.empty() || req->target.empty() || req->version.rfind("HTTP/", 0) != 0) {
    return false;
  }
  while (eol != std::string_view::npos) {
    size_t start = eol + 2;
    eol = head.find("\r\n", start);
    std::string_view h = head.substr(start, eol == std::string_view::npos ? head.npos : eol - start);
    if (h.empty()) continue;
    std::string_view name, value;
    if (!SplitHeaderLine(h, &name, &value)) return false;
    req->headers.emplace_back(std::string(name), std::string(value));
  }
  return true;
}

// Appends the body bytes [0, limit) of `body`, chunk-encoded; the terminating
// chunk only when the whole body is sent.
void AppendChunked(std::string* out, std::string_view body, size_t limit) {
  size_t pos = 0;
  while (pos < body.size()) {
    size_t n = std::min(kChunkSize, body.size() - pos);
    char size_line[32];
    int len = snprintf(size_line, sizeof size_line, "%zx\r\n", n);
    out->append(size_line, static_cast<size_t>(len));
    if (pos + n > limit) {
      out->append(body.substr(pos, limit - pos));
      return;
    }
    out->append(body.substr(pos, n));
    out->append("\r\n");
    pos += n;
  }
  if (limit >= body.size()) out->append("0\r\n\r\n");
}

// The bytes of `reply` to `req`: `raw` (cut), or a generated head and body
// (cut, chunked). *head_size: the generated head's size (0 for raw).
// `say_close`: add "Connection: close" unless the handler set Connection.
std::string Render(const OriginRequest& req, const OriginReply& reply, bool say_close,
                   size_t* head_size) {
  if (reply.raw) {
    std::string out = *reply.raw;
    if (reply.cut_after) out.resize(std::min(out.size(), *reply.cut_after));
    return out;
  }
  bool no_body = req.method == "HEAD" || reply.status / 100 == 1 || reply.status == 204 ||
                 reply.status == 304;
  std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                    (reply.reason.empty() ? std::string(StandardReason(reply.status)) : reply.reason) +
                    "\r\n";
  for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
  if (reply.chunked && !HasHeader(reply.headers, "Transfer-Encoding")) {
    out += "Transfer-Encoding: chunked\r\n";
  } else if (!reply.chunked && reply.auto_content_length &&
             !HasHeader(reply.headers, "Content-Length") && reply.status / 100 != 1 &&
             reply.status != 204 && reply.status != 304) {
    out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
  }
  if (say_close && !HasHeader(reply.headers, "Connection")) out += "Connection: close\r\n";
  out += "\r\n";
  *head_size = out.size();
  if (!no_body) {
    size_t limit = std::min(reply.body.size(), reply.cut_after.value_or(reply.body.size()));
    if (reply.chunked) {
      AppendChunked(&out, reply.body, limit);
    } else {
      out.append(reply.body, 0, limit);
    }
  }
  return out;
}

}  // namespace

std::string OriginRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

bool OriginRequest::HasHeader(std::string_view name) const {
  return ferry::test::HasHeader(headers, name);
}

ScriptedOrigin::ScriptedOrigin(OriginHandler handler) : handler_(std::move(handler)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (wake_fd_ < 0 || listen_fd_ < 0) return;
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

ScriptedOrigin::~ScriptedOrigin() {
  Stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::string ScriptedOrigin::Url(std::string_view path) const {
  std::string url = "http://127.0.0.1:" + std::to_string(port_);
  if (path.empty() || path.front() != '/') url += '/';
  url += path;
  return url;
}

void ScriptedOrigin::SetHandler(OriginHandler handler) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

OriginHandler ScriptedOrigin::handler() const {
  std::lock_guard lock(mu_);
  return handler_;
}

std::vector<OriginRequest> ScriptedOrigin::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t ScriptedOrigin::request_count() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

size_t ScriptedOrigin::connection_count() const {
  std::lock_guard lock(mu_);
  return connections_;
}

bool ScriptedOrigin::WaitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void ScriptedOrigin::Record(const OriginRequest& request) {
  {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
  }
  cv_.notify_all();
}

void ScriptedOrigin::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    std::lock_guard lock(mu_);
    for (Conn& c : conns_) {
      if (c.fd >= 0) ::shutdown(c.fd, SHUT_RDWR);
    }
  }
  // No new Conn is added once the accept thread is joined.
  for (Conn& c : conns_) {
    if (c.thread.joinable()) c.thread.join();
  }
  std::lock_guard lock(mu_);
  conns_.clear();
}

bool ScriptedOrigin::WaitFd(int fd, short events, int timeout_ms) const {
  for (;;) {
    if (stopping_) return false;
    pollfd fds[2] = {{fd, events, 0}, {wake_fd_, POLLIN, 0}};
    int r = ::poll(fds, 2, timeout_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) return false;
    if (fds[1].revents != 0) return false;
    return true;  // ready, or an error/hangup the next call reports
  }
}

bool ScriptedOrigin::Sleep(std::chrono::milliseconds ms) const {
  auto end = std::chrono::steady_clock::now() + ms;
  for (;;) {
    if (stopping_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd fd{wake_fd_, POLLIN, 0};
    int r = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (r > 0) return false;
  }
}

bool ScriptedOrigin::SendAll(int fd, std::string_view data, size_t rate_limit_bps) const {
  auto start = std::chrono::steady_clock::now();
  size_t sent = 0;
  size_t slice = data.size();
  if (rate_limit_bps > 0) slice = std::clamp<size_t>(rate_limit_bps / 10, 1, 65536);
  while (sent < data.size()) {
    if (rate_limit_bps > 0) {
      // Wait until `sent` bytes are within budget for the elapsed time.
      auto due = start + std::chrono::microseconds(sent * 1000000ull / rate_limit_bps);
      auto now = std::chrono::steady_clock::now();
      if (due > now &&
          !Sleep(std::chrono::duration_cast<std::chrono::milliseconds>(due - now) +
                 std::chrono::milliseconds(1))) {
        return false;
      }
    }
    size_t n = std::min(slice, data.size() - sent);
    ssize_t w = ::send(fd, data.data() + sent, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!WaitFd(fd, POLLOUT, -1)) return false;
        continue;
      }
      return false;
    }
    sent += static_cast<size_t>(w);
  }
  return true;
}

void ScriptedOrigin::AcceptLoop() {
  while (WaitFd(listen_fd_, POLLIN, -1)) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mu_);
    // Reap finished connections so long tests do not accumulate threads.
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (it->finished) {
        it->thread.join();
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
    Conn& conn = conns_.emplace_back();
    conn.fd = fd;
    size_t index = ++connections_;
    conn.thread = std::thread([this, c = &conn, index] { Serve(c, index); });
  }
}

void ScriptedOrigin::CloseConn(Conn* conn, bool reset) {
  std::lock_guard lock(mu_);
  if (conn->fd < 0) return;
  if (reset) {
    linger lg{1, 0};
    ::setsockopt(conn->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  } else {
    ::shutdown(conn->fd, SHUT_RDWR);
  }
  ::close(conn->fd);
  conn->fd = -1;
}

void ScriptedOrigin::Serve(Conn* conn, size_t index) {
  int fd;
  {
    std::lock_guard lock(mu_);
    fd = conn->fd;
  }
  std::string in;
  char buf[16384];
  bool reset = false;
  // Reads until `in` holds at least `want` bytes or the peer closes.
  auto read_more = [&]() -> bool {
    for (;;) {
      ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      if (r > 0) {
        in.append(buf, static_cast<size_t>(r));
        return true;
      }
      if (r == 0) return false;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      if (!WaitFd(fd, POLLIN, -1)) return false;
    }
  };
  for (;;) {
    size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      if (in.size() > kMaxHead || !read_more()) goto done;
    }
    OriginRequest req;
    req.connection = index;
    if (!ParseHead(std::string_view(in).substr(0, end), &req)) goto done;
    in.erase(0, end + 4);
    if (std::string cl = req.Header("Content-Length"); !cl.empty()) {
      auto n = ParseUint64(cl);
      if (!n) goto done;
      while (in.size() < *n) {
        if (!read_more()) goto done;
      }
      in.erase(0, *n);
    } else if (req.HasHeader("Transfer-Encoding")) {
      goto done;  // request bodies in chunks are not supported
    }
    Record(req);

    OriginReply reply = handler()(req);
    if (reply.delay.count() > 0 && !Sleep(reply.delay)) goto done;

    bool close_after = reply.raw || reply.cut_after || reply.stall || reply.reset;
    bool client_close = EqualsIgnoreCase(req.Header("Connection"), "close") ||
                        req.version == "HTTP/1.0";
    size_t head_size = 0;  // of a generated reply: the part body_rate_limit_bps spares
    std::string out = Render(req, reply, client_close && !close_after, &head_size);
    if (reply.body_rate_limit_bps > 0 && head_size > 0) {
      if (!SendAll(fd, std::string_view(out).substr(0, head_size), reply.rate_limit_bps) ||
          !SendAll(fd, std::string_view(out).substr(head_size), reply.body_rate_limit_bps))
        goto done;
    } else if (!SendAll(fd, out, reply.rate_limit_bps)) {
      goto done;
    }
    if (reply.stall) {
      // Silent until the client gives up or Stop().
      while (read_more()) in.clear();
      goto done;
    }
    reset = reply.reset;
    if (close_after || client_close) goto done;
  }
done:
  CloseConn(conn, reset);
  conn->finished = true;
}

OriginReply ServeBytes(const OriginRequest& request, const std::string& content,
                       std::string etag, std::string last_modified) {
  OriginReply reply;
  reply.headers.emplace_back("Accept-Ranges", "bytes");
  reply.headers.emplace_back("Content-Type", "application/octet-stream");
  if (!etag.empty()) reply.headers.emplace_back("ETag", etag);
  if (!last_modified.empty()) reply.headers.emplace_back("Last-Modified", last_modified);
  reply.body = content;

  std::string range = request.Header("Range");
  if (range.empty()) return reply;
  if (request.HasHeader("If-Range")) {
    std::string if_range = request.Header("If-Range");
    bool honour;
    if (if_range.starts_with('"') || if_range.starts_with("W/")) {
      honour = IsStrongEtag(if_range) && IsStrongEtag(etag) && if_range == etag;
    } else {
      honour = !last_modified.empty() && if_range == last_modified;
    }
    if (!honour) return reply;
  }
  constexpr std::string_view kPrefix = "bytes=";
  if (range.size() < kPrefix.size() || !EqualsIgnoreCase(range.substr(0, kPrefix.size()), kPrefix)) {
    return reply;
  }
  std::string_view spec = std::string_view(range).substr(kPrefix.size());
  while (!spec.empty() && spec.front() == ' ') spec.remove_prefix(1);
  while (!spec.empty() && spec.back() == ' ') spec.remove_suffix(1);
  size_t dash = spec.find('-');
  if (spec.find(',') != spec.npos || dash == spec.npos) return reply;
  const uint64_t size = content.size();
  uint64_t first, last;
  if (dash == 0) {
    auto n = ParseUint64(spec.substr(1));
    if (!n) return reply;
    if (*n == 0 || size == 0) {
      first = size;  // unsatisfiable
      last = size;
    } else {
      first = size - std::min(*n, size);
      last = size - 1;
    }
  } else {
    auto a = ParseUint64(spec.substr(0, dash));
    if (!a) return reply;
    first = *a;
    if (dash + 1 == spec.size()) {
      last = size == 0 ? 0 : size - 1;
    } else {
      auto b = ParseUint64(spec.substr(dash + 1));
      if (!b || *b < first) return reply;
      last = std::min(*b, size == 0 ? 0 : size - 1);
    }
  }
  if (first >= size) {
    reply.status = 416;
    reply.body.clear();
    reply.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return reply;
  }
  reply.status = 206;
  reply.body = content.substr(first, last - first + 1);
  reply.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                  std::to_string(last) + "/" +
                                                  std::to_string(size));
  return reply;
}

}  // namespace ferry::test
