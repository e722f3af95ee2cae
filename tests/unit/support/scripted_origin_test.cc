#include "support/scripted_origin.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "support/temp_dir.h"

namespace ferry::test {
namespace {

using std::chrono::milliseconds;

// A blocking loopback client with a receive timeout, so no read waits forever.
class RawClient {
 public:
  explicit RawClient(uint16_t port, milliseconds timeout = milliseconds(5000)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Reads until EOF, error or timeout; closed() tells which.
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
      if (r > 0) {
        out.append(buf, static_cast<size_t>(r));
        continue;
      }
      closed_ = r == 0;
      error_ = r < 0 ? errno : 0;
      return out;
    }
  }
  // Reads one response with a Content-Length body.
  std::string ReadResponse() {
    std::string out;
    char c;
    while (out.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) out += c;
    size_t pos = out.find("Content-Length: ");
    if (pos == std::string::npos) return out;
    size_t n = std::strtoull(out.c_str() + pos + 16, nullptr, 10);
    std::string body(n, '\0');
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_, body.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    return out + body.substr(0, got);
  }
  bool closed() const { return closed_; }
  int error() const { return error_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  int error_ = 0;
};

// Sends `request` on a new connection and reads until the server closes it:
// the whole response ("" and a failure when it cannot be sent).
std::string Exchange(uint16_t port, std::string_view request) {
  RawClient c(port);
  if (!c.Send(request)) {
    ADD_FAILURE() << "cannot send to port " << port;
    return "";
  }
  return c.ReadAll();
}

std::string Get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra) + "\r\n";
}

std::string Body(const std::string& response) {
  size_t pos = response.find("\r\n\r\n");
  return pos == std::string::npos ? "" : response.substr(pos + 4);
}

const std::string kContent = RandomBytes(100, 7);

OriginReply Static(const OriginRequest& req) { return ServeBytes(req, kContent, "\"v1\""); }

// Runs the curl tool; returns its exit code, with the body in *body and the
// HTTP status in *status.
int Curl(const std::string& args, std::string* body, std::string* status = nullptr) {
  TempDir dir;
  std::string cmd = "curl -s --max-time 10 -o " + dir.Path("body") + " -w '%{http_code}' " + args +
                    " > " + dir.Path("code");
  int rc = std::system(cmd.c_str());
  if (body) *body = ReadFile(dir.Path("body")).value_or("");
  if (status) *status = ReadFile(dir.Path("code")).value_or("");
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(ScriptedOriginTest, ServesFullBodyWithValidators) {
  ScriptedOrigin origin(Static);
  ASSERT_TRUE(origin.ok());
  RawClient c(origin.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/f", "Connection: close\r\n")));
  std::string r = c.ReadAll();
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(r.substr(0, 17), "HTTP/1.1 200 OK\r\n");
  EXPECT_NE(r.find("Content-Length: 100\r\n"), std::string::npos);
  EXPECT_NE(r.find("ETag: \"v1\"\r\n"), std::string::npos);
  EXPECT_NE(r.find("Accept-Ranges: bytes\r\n"), std::string::npos);
  EXPECT_NE(r.find("Last-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\n"), std::string::npos);
  EXPECT_EQ(Body(r), kContent);

  ASSERT_EQ(origin.request_count(), 1u);
  OriginRequest req = origin.requests()[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/f");
  EXPECT_EQ(req.version, "HTTP/1.1");
  EXPECT_EQ(req.Header("host"), "x");
  EXPECT_EQ(req.Header("CONNECTION"), "close");
  EXPECT_EQ(req.Header("Range"), "");
  EXPECT_FALSE(req.HasHeader("Range"));
}

TEST(ScriptedOriginTest, RangesWithCurl) {
  ScriptedOrigin origin(Static);
  std::string body, status;
  EXPECT_EQ(Curl("-r 10-19 " + origin.Url("/f"), &body, &status), 0);
  EXPECT_EQ(status, "206");
  EXPECT_EQ(body, kContent.substr(10, 10));
  EXPECT_EQ(Curl("-H 'Range: bytes=90-' " + origin.Url("f"), &body, &status), 0);
  EXPECT_EQ(status, "206");
  EXPECT_EQ(body, kContent.substr(90));
  EXPECT_EQ(Curl("-H 'Range: bytes=-5' " + origin.Url("f"), &body, &status), 0);
  EXPECT_EQ(body, kContent.substr(95));
  EXPECT_EQ(Curl("-H 'Range: bytes=95-500' " + origin.Url("f"), &body, &status), 0);
  EXPECT_EQ(body, kContent.substr(95));
  // Multiple ranges are ignored: the whole body.
  EXPECT_EQ(Curl("-H 'Range: bytes=0-1,5-6' " + origin.Url("f"), &body, &status), 0);
  EXPECT_EQ(status, "200");
  EXPECT_EQ(body, kContent);
  auto reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].Header("Range"), "bytes=10-19");
}

// A satisfiable range gets 206 with its Content-Range; one past the end
// gets 416 with the size.
TEST(ScriptedOriginTest, RangeAnswersCarryContentRange) {
  struct Case {
    std::string range, status_line, content_range, length, body;
  };
  const Case cases[] = {
      {"bytes=10-19", "HTTP/1.1 206 Partial Content", "bytes 10-19/100", "10",
       kContent.substr(10, 10)},
      {"bytes=100-", "HTTP/1.1 416 Range Not Satisfiable", "bytes */100", "0", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.range);
    ScriptedOrigin origin(Static);
    const std::string r =
        Exchange(origin.port(), Get("/f", "Range: " + c.range + "\r\nConnection: close\r\n"));
    EXPECT_EQ(r.substr(0, r.find("\r\n")), c.status_line);
    for (const std::string line :
         {"Content-Range: " + c.content_range, "Content-Length: " + c.length}) {
      EXPECT_NE(r.find(line + "\r\n"), std::string::npos) << line << " in\n" << r;
    }
    EXPECT_EQ(Body(r), c.body);
  }
}

TEST(ScriptedOriginTest, IfRangeMismatchServesFullBody) {
  ScriptedOrigin origin(Static);
  std::string body, status;
  EXPECT_EQ(Curl("-r 10-19 -H 'If-Range: \"v0\"' " + origin.Url("/f"), &body, &status), 0);
  EXPECT_EQ(status, "200");
  EXPECT_EQ(body, kContent);
  EXPECT_EQ(Curl("-r 10-19 -H 'If-Range: \"v1\"' " + origin.Url("/f"), &body, &status), 0);
  EXPECT_EQ(status, "206");
  EXPECT_EQ(body, kContent.substr(10, 10));
  // A weak validator never matches.
  EXPECT_EQ(Curl("-r 10-19 -H 'If-Range: W/\"v1\"' " + origin.Url("/f"), &body, &status), 0);
  EXPECT_EQ(status, "200");
  // A date equal to Last-Modified matches.
  EXPECT_EQ(Curl("-r 10-19 -H 'If-Range: Thu, 01 Jan 2026 00:00:00 GMT' " + origin.Url("/f"), &body,
                 &status),
            0);
  EXPECT_EQ(status, "206");
}

TEST(ScriptedOriginTest, HeadAnnouncesLengthWithoutBody) {
  ScriptedOrigin origin(Static);
  std::string r =
      Exchange(origin.port(), "HEAD /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(r.find("Content-Length: 100\r\n"), std::string::npos);
  EXPECT_EQ(Body(r), "");
}

TEST(ScriptedOriginTest, ChunkedBody) {
  const std::string big = RandomBytes(20000, 3);  // several 8 KiB chunks
  ScriptedOrigin origin([&](const OriginRequest&) {
    OriginReply r;
    r.body = big;
    r.chunked = true;
    return r;
  });
  std::string r = Exchange(origin.port(), Get("/c", "Connection: close\r\n"));
  EXPECT_NE(r.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(r.find("Content-Length"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 5), "0\r\n\r\n");
  EXPECT_NE(Body(r).find("2000\r\n"), std::string::npos);
  std::string body;
  EXPECT_EQ(Curl(origin.Url("/c"), &body), 0);
  EXPECT_EQ(body, big);
}

// Serves kContent (ETag "v1") but stops after `n` body bytes, then closes the
// connection, keeps it open without sending more, or resets it.
enum class Then { kClose, kStall, kReset };
OriginHandler CutAfter(size_t n, Then then) {
  return [n, then](const OriginRequest& req) {
    OriginReply r = ServeBytes(req, kContent, "\"v1\"");
    r.cut_after = n;
    r.stall = then == Then::kStall;
    r.reset = then == Then::kReset;
    return r;
  };
}

TEST(ScriptedOriginTest, CutAfterClosesMidBody) {
  ScriptedOrigin origin(CutAfter(30, Then::kClose));
  RawClient c(origin.port());
  ASSERT_TRUE(c.Send(Get("/f")));  // keep-alive request: the server still closes
  std::string r = c.ReadAll();
  EXPECT_TRUE(c.closed());
  EXPECT_NE(r.find("Content-Length: 100\r\n"), std::string::npos);
  EXPECT_EQ(Body(r), kContent.substr(0, 30));
  std::string body;
  EXPECT_EQ(Curl(origin.Url("/f"), &body), 18);  // CURLE_PARTIAL_FILE
  EXPECT_EQ(body, kContent.substr(0, 30));
}

TEST(ScriptedOriginTest, CutAfterWithChunkedCountsBodyBytes) {
  ScriptedOrigin origin([](const OriginRequest&) {
    OriginReply r;
    r.body = kContent;
    r.chunked = true;
    r.cut_after = 40;
    return r;
  });
  RawClient c(origin.port());
  ASSERT_TRUE(c.Send(Get("/f")));
  std::string r = c.ReadAll();
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(Body(r), "64\r\n" + kContent.substr(0, 40));
}

TEST(ScriptedOriginTest, RawBytesAreSentVerbatim) {
  const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 999\r\nX-Odd:: yes\r\n\r\npartial";
  ScriptedOrigin origin([&](const OriginRequest&) {
    OriginReply r;
    r.raw = raw;
    return r;
  });
  RawClient c(origin.port());
  ASSERT_TRUE(c.Send(Get("/")));
  EXPECT_EQ(c.ReadAll(), raw);
  EXPECT_TRUE(c.closed());
}

TEST(ScriptedOriginTest, KeepAliveServesTwoRequestsOnOneConnection) {
  ScriptedOrigin origin(Static);
  RawClient c(origin.port());
  ASSERT_TRUE(c.Send(Get("/a")));
  EXPECT_EQ(Body(c.ReadResponse()), kContent);
  ASSERT_TRUE(c.Send(Get("/b", "Range: bytes=0-3\r\n")));
  std::string second = c.ReadResponse();
  EXPECT_EQ(second.substr(0, 12), "HTTP/1.1 206");
  EXPECT_EQ(Body(second), kContent.substr(0, 4));
  ASSERT_TRUE(origin.WaitForRequests(2, milliseconds(5000)));
  auto reqs = origin.requests();
  EXPECT_EQ(reqs[0].target, "/a");
  EXPECT_EQ(reqs[1].target, "/b");
  EXPECT_EQ(reqs[0].connection, 1u);
  EXPECT_EQ(reqs[1].connection, 1u);
  EXPECT_EQ(origin.connection_count(), 1u);

  // Pipelined requests in one packet are both answered.
  ASSERT_TRUE(c.Send(Get("/c") + Get("/d", "Connection: close\r\n")));
  std::string both = c.ReadAll();
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(origin.request_count(), 4u);
  EXPECT_NE(both.find("Connection: close\r\n"), std::string::npos);
}

TEST(ScriptedOriginTest, CurlReusesTheConnection) {
  ScriptedOrigin origin(Static);
  std::string body;
  EXPECT_EQ(Curl(origin.Url("/1") + " " + origin.Url("/2"), nullptr), 0);
  EXPECT_EQ(origin.request_count(), 2u);
  EXPECT_EQ(origin.connection_count(), 1u);
}

TEST(ScriptedOriginTest, StallKeepsConnectionOpenUntilStop) {
  ScriptedOrigin origin(CutAfter(10, Then::kStall));
  RawClient c(origin.port(), milliseconds(300));
  ASSERT_TRUE(c.Send(Get("/f")));
  std::string r = c.ReadAll();
  EXPECT_FALSE(c.closed());  // timed out, still open
  EXPECT_EQ(c.error(), EAGAIN);
  EXPECT_EQ(Body(r), kContent.substr(0, 10));
  auto start = std::chrono::steady_clock::now();
  origin.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  c.ReadAll();
  EXPECT_TRUE(c.closed());
  origin.Stop();  // idempotent
}

TEST(ScriptedOriginTest, StopWithIdleKeepAliveAndDelayedReplyIsBounded) {
  ScriptedOrigin origin([](const OriginRequest& req) {
    OriginReply r = ServeBytes(req, kContent, "");
    if (req.target == "/slow") r.delay = milliseconds(60000);
    return r;
  });
  RawClient idle(origin.port());
  ASSERT_TRUE(idle.Send(Get("/a")));
  idle.ReadResponse();
  RawClient slow(origin.port());
  ASSERT_TRUE(slow.Send(Get("/slow")));
  ASSERT_TRUE(origin.WaitForRequests(2, milliseconds(5000)));
  auto start = std::chrono::steady_clock::now();
  origin.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(ScriptedOriginTest, RateLimitSlowsTheReply) {
  const std::string body = RandomBytes(4000, 1);
  ScriptedOrigin origin([&](const OriginRequest&) {
    OriginReply r;
    r.body = body;
    r.rate_limit_bps = 10000;
    r.delay = milliseconds(100);
    return r;
  });
  auto start = std::chrono::steady_clock::now();
  std::string got;
  EXPECT_EQ(Curl(origin.Url("/"), &got), 0);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(got, body);
  EXPECT_GE(took, milliseconds(400));  // 100 ms delay + ~0.4 s for 4 KB at 10 KB/s
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(ScriptedOriginTest, ResetSendsRst) {
  ScriptedOrigin origin(CutAfter(5, Then::kReset));
  std::string body;
  int rc = Curl(origin.Url("/"), &body);
  EXPECT_TRUE(rc == 56 || rc == 18) << rc;  // recv failure (RST) or partial file
}

TEST(ScriptedOriginTest, HandlerCanBeReplacedAndStatusesGetReasons) {
  ScriptedOrigin origin(Static);
  origin.SetHandler([](const OriginRequest&) {
    OriginReply r;
    r.status = 503;
    r.headers.emplace_back("Retry-After", "7");
    return r;
  });
  std::string r = Exchange(origin.port(), Get("/", "Connection: close\r\n"));
  EXPECT_EQ(r.substr(0, 34), "HTTP/1.1 503 Service Unavailable\r\n");
  EXPECT_NE(r.find("Retry-After: 7\r\n"), std::string::npos);
}

TEST(ScriptedOriginTest, MalformedRequestClosesConnection) {
  ScriptedOrigin origin(Static);
  RawClient c(origin.port());
  ASSERT_TRUE(c.Send("garbage\r\n\r\n"));
  EXPECT_EQ(c.ReadAll(), "");
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(origin.request_count(), 0u);
}

}  // namespace
}  // namespace ferry::test
