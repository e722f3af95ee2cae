#include "raw_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>

namespace ferry::transfer::testing {

RawHttpServer::RawHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 16);
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

RawHttpServer::~RawHttpServer() {
  stop_ = true;
  Release();
  thread_.join();
  ::close(listen_fd_);
}

std::string RawHttpServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<std::string> RawHttpServer::Requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void RawHttpServer::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  released_ = true;
  cv_.notify_all();
}

std::string RawHttpServer::Response(const std::string& status, const std::string& headers,
                                    const std::string& body) {
  return "HTTP/1.1 " + status + "\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

std::string RawHttpServer::HeaderValue(const std::string& head, const std::string& name) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::string h = lower(head);
  std::string key = "\r\n" + lower(name) + ":";
  auto pos = h.find(key);
  if (pos == std::string::npos) return "";
  pos += key.size();
  auto end = head.find("\r\n", pos);
  std::string value = head.substr(pos, end - pos);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return value;
}

std::string RawHttpServer::Path(const std::string& head) {
  auto a = head.find(' ');
  auto b = head.find(' ', a + 1);
  return head.substr(a + 1, b - a - 1);
}

bool RawHttpServer::SendAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void RawHttpServer::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Handle(fd);
    ::close(fd);
  }
}

void RawHttpServer::Handle(int fd) {
  std::string head;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (stop_ || std::chrono::steady_clock::now() > deadline) return;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[4096];
    ssize_t r = ::recv(fd, buf, sizeof buf, 0);
    if (r <= 0) return;
    head.append(buf, static_cast<size_t>(r));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(head);
  }
  RawReply reply = handler_(head);
  const std::string& b = reply.bytes;
  if (reply.cut_after != std::string::npos) {
    SendAll(fd, b.data(), std::min(reply.cut_after, b.size()));
    return;
  }
  if (reply.hold_after != std::string::npos) {
    size_t first = std::min(reply.hold_after, b.size());
    if (!SendAll(fd, b.data(), first)) return;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return released_ || stop_.load(); });
    lock.unlock();
    if (stop_) return;
    SendAll(fd, b.data() + first, b.size() - first);
    return;
  }
  SendAll(fd, b.data(), b.size());
  // Let the client read everything before the close.
  ::shutdown(fd, SHUT_WR);
  char sink[256];
  pollfd p{fd, POLLIN, 0};
  while (!stop_ && ::poll(&p, 1, 200) > 0 && ::recv(fd, sink, sizeof sink, 0) > 0) {
  }
}

}  // namespace ferry::transfer::testing
