// RawHttpServer: a tiny scripted HTTP/1.1 responder for transfer tests. It
// listens on 127.0.0.1 (ephemeral port), accepts connections one at a time on
// its own thread, reads each request's head and answers with the bytes the
// test's handler returns, then closes the connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ferry::transfer::testing {

struct RawReply {
  std::string bytes;        // the whole response, head and body
  size_t hold_after = std::string::npos;  // send this many bytes, then wait for Release()
  size_t cut_after = std::string::npos;   // send this many bytes, then close
};

class RawHttpServer {
 public:
  using Handler = std::function<RawReply(const std::string& request_head)>;
  explicit RawHttpServer(Handler handler);
  ~RawHttpServer();

  int port() const { return port_; }
  std::string Url(const std::string& path) const;
  // Every request head received so far.
  std::vector<std::string> Requests();
  // Lets a held reply continue.
  void Release();

  // "HTTP/1.1 <status>\r\n<headers>Content-Length: n\r\n\r\n<body>".
  static std::string Response(const std::string& status, const std::string& headers, const std::string& body);
  // The value of a request header (case-insensitive name), "" when absent.
  static std::string HeaderValue(const std::string& head, const std::string& name);
  // The request target of a request head ("/a").
  static std::string Path(const std::string& head);

 private:
  void Serve();
  void Handle(int fd);
  bool SendAll(int fd, const char* data, size_t n);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace ferry::transfer::testing
