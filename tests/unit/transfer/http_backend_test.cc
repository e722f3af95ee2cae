#include "transfer/http/http_backend.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "recording_sink.h"
#include "support/scripted_origin.h"

namespace ferry::transfer {
namespace {

using namespace std::chrono_literals;
using test::OriginReply;
using test::OriginRequest;
using test::ScriptedOrigin;
using test::RecordingSink;
using test::RunFor;
using test::RunUntil;
using Calls = std::vector<std::string>;

class HttpBackendTest : public ::testing::Test {
 protected:
  std::unique_ptr<core::ByteStream> Start(const core::ByteRequest& request) {
    return backend_.Start(request, &sink_);
  }
  core::ByteRequest Get(const ScriptedOrigin& server, const std::string& path) {
    core::ByteRequest r;
    r.url = server.Url(path);
    r.proxy_usage = ProxyUsage::kNoProxy;  // never let the environment's proxy in
    r.connect_timeout = 5s;
    r.low_speed_time = 10s;
    return r;
  }
  void RunToDone() {
    ASSERT_TRUE(RunUntil(loop_, [&] { return sink_.done(); }));
  }

  sys::EventLoop loop_;
  HttpBackend backend_{loop_};
  RecordingSink sink_;
};

// A generated reply: the status's standard phrase, `headers`, Content-Length.
OriginReply Response(int status, std::vector<std::pair<std::string, std::string>> headers,
                     std::string body) {
  OriginReply r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

TEST_F(HttpBackendTest, Supports) {
  EXPECT_TRUE(backend_.Supports("http"));
  EXPECT_TRUE(backend_.Supports("https"));
  EXPECT_FALSE(backend_.Supports("file"));
}

TEST_F(HttpBackendTest, WholeBody200) {
  ScriptedOrigin server([](const OriginRequest&) {
    return Response(200, {{"ETag", "\"v1\""}, {"Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT"}},
                    "hello world");
  });
  auto t = Start(Get(server, "/f"));
  EXPECT_TRUE(sink_.calls.empty());  // never from inside Start
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"response", "data", "done"}));
  EXPECT_EQ(sink_.response.status, 200);
  EXPECT_FALSE(sink_.response.partial);
  EXPECT_EQ(sink_.response.body_offset, 0u);
  EXPECT_EQ(sink_.response.body_length, 11u);
  EXPECT_EQ(sink_.response.total_size, 11u);
  EXPECT_EQ(sink_.response.etag, "\"v1\"");
  EXPECT_EQ(sink_.response.last_modified, "Tue, 15 Nov 1994 12:45:26 GMT");
  EXPECT_EQ(sink_.response.effective_url, server.Url("/f"));
  EXPECT_EQ(sink_.body, "hello world");
  EXPECT_TRUE(sink_.outcome->status.ok()) << sink_.outcome->status.ToString();
  EXPECT_EQ(sink_.outcome->protocol, "http");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].Header("Range"), "");
  EXPECT_EQ(requests[0].Header("Accept-Encoding"), "");
}

TEST_F(HttpBackendTest, EmptyBody200StillGetsResponse) {
  ScriptedOrigin server([](const OriginRequest&) { return Response(200, {}, ""); });
  auto t = Start(Get(server, "/empty"));
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"response", "done"}));
  EXPECT_EQ(sink_.response.body_length, 0u);
  EXPECT_TRUE(sink_.outcome->status.ok());
}

TEST_F(HttpBackendTest, RangeIfRangeAndCustomHeadersAreSent) {
  ScriptedOrigin server([](const OriginRequest&) {
    return Response(206, {{"Content-Range", "bytes 10-29/100"}, {"ETag", "\"v1\""}},
                    std::string(20, 'r'));
  });
  auto request = Get(server, "/r");
  request.offset = 10;
  request.length = 20;
  request.if_range = "\"v1\"";
  request.headers = {"X-Ferry-Test: yes", "Authorization: Bearer t"};
  auto t = Start(request);
  RunToDone();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].Header("Range"), "bytes=10-29");
  EXPECT_EQ(requests[0].Header("If-Range"), "\"v1\"");
  EXPECT_EQ(requests[0].Header("X-Ferry-Test"), "yes");
  EXPECT_EQ(requests[0].Header("Authorization"), "Bearer t");
  EXPECT_EQ(sink_.calls, (Calls{"response", "data", "done"}));
  EXPECT_EQ(sink_.response.status, 206);
  EXPECT_TRUE(sink_.response.partial);
  EXPECT_EQ(sink_.response.body_offset, 10u);
  EXPECT_EQ(sink_.response.body_length, 20u);
  EXPECT_EQ(sink_.response.total_size, 100u);
  EXPECT_EQ(sink_.body, std::string(20, 'r'));
  EXPECT_TRUE(sink_.outcome->status.ok());
}

TEST_F(HttpBackendTest, OpenEndedRangeAndNoIfRangeWithoutRange) {
  ScriptedOrigin server([](const OriginRequest&) {
    return Response(206, {{"Content-Range", "bytes 5-9/10"}}, "56789");
  });
  auto request = Get(server, "/r");
  request.offset = 5;
  auto t = Start(request);
  RunToDone();
  EXPECT_TRUE(sink_.outcome->status.ok());
  EXPECT_EQ(server.requests()[0].Header("Range"), "bytes=5-");

  RecordingSink second;
  auto whole = Get(server, "/w");
  whole.if_range = "\"v1\"";  // no range asked: no If-Range either
  auto t2 = backend_.Start(whole, &second);
  ASSERT_TRUE(RunUntil(loop_, [&] { return second.done(); }));
  EXPECT_EQ(server.requests()[1].Header("If-Range"), "");
  EXPECT_EQ(server.requests()[1].Header("Range"), "");
}

TEST_F(HttpBackendTest, Ranged200IsReportedAsWholeBody) {
  ScriptedOrigin server([](const OriginRequest&) { return Response(200, {}, "0123456789"); });
  auto request = Get(server, "/r");
  request.offset = 4;
  auto t = Start(request);
  RunToDone();
  EXPECT_EQ(sink_.response.status, 200);
  EXPECT_FALSE(sink_.response.partial);
  EXPECT_EQ(sink_.response.body_offset, 0u);
  EXPECT_EQ(sink_.response.total_size, 10u);
  EXPECT_EQ(sink_.body, "0123456789");
}

TEST_F(HttpBackendTest, PartialWithoutContentRangeIsBlocksizeMismatch) {
  ScriptedOrigin server([](const OriginRequest&) { return Response(206, {}, "abc"); });
  auto request = Get(server, "/r");
  request.offset = 1;
  auto t = Start(request);
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"done"}));
  EXPECT_EQ(sink_.outcome->status.code(), code::kHttpBlocksizeMismatch);
  EXPECT_FALSE(sink_.outcome->transient);
  EXPECT_EQ(sink_.outcome->context, ErrorContext::kRemoteFile);
}

TEST_F(HttpBackendTest, RangeNotSatisfiable) {
  ScriptedOrigin server([](const OriginRequest&) {
    return Response(416, {{"Content-Range", "bytes */100"}}, "<html>no</html>");
  });
  auto request = Get(server, "/r");
  request.offset = 100;
  auto t = Start(request);
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"response", "done"}));
  EXPECT_EQ(sink_.response.status, 416);
  EXPECT_EQ(sink_.response.total_size, 100u);
  EXPECT_TRUE(sink_.outcome->status.ok()) << sink_.outcome->status.ToString();
  EXPECT_TRUE(sink_.body.empty());
}

TEST_F(HttpBackendTest, NotFoundIsFatal) {
  ScriptedOrigin server(
      [](const OriginRequest&) { return Response(404, {}, "<html>not here</html>"); });
  auto t = Start(Get(server, "/missing"));
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"done"}));
  EXPECT_EQ(sink_.outcome->status.code(), code::HttpError(404));
  EXPECT_EQ(sink_.outcome->status.code(), static_cast<int32_t>(0x80190194));
  EXPECT_FALSE(sink_.outcome->transient);
  EXPECT_EQ(sink_.outcome->context, ErrorContext::kRemoteFile);
  EXPECT_EQ(sink_.outcome->protocol, "http");
  EXPECT_FALSE(sink_.outcome->retry_after.has_value());
}

TEST_F(HttpBackendTest, ServiceUnavailableIsTransientWithRetryAfter) {
  ScriptedOrigin server([](const OriginRequest&) {
    return Response(503, {{"Retry-After", "120"}}, "busy");
  });
  auto t = Start(Get(server, "/busy"));
  RunToDone();
  EXPECT_EQ(sink_.outcome->status.code(), code::HttpError(503));
  EXPECT_TRUE(sink_.outcome->transient);
  ASSERT_TRUE(sink_.outcome->retry_after.has_value());
  EXPECT_EQ(*sink_.outcome->retry_after, 120s);
}

TEST_F(HttpBackendTest, TooManyRequestsIsTransient) {
  ScriptedOrigin server([](const OriginRequest&) { return Response(429, {}, ""); });
  auto t = Start(Get(server, "/x"));
  RunToDone();
  EXPECT_EQ(sink_.outcome->status.code(), code::HttpError(429));
  EXPECT_TRUE(sink_.outcome->transient);
}

TEST_F(HttpBackendTest, ConnectionCutMidBodyIsTransient) {
  ScriptedOrigin server([](const OriginRequest&) {
    OriginReply r = Response(200, {}, std::string(1000, 'x'));
    r.cut_after = 500;  // body bytes, then close
    return r;
  });
  auto t = Start(Get(server, "/cut"));
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"response", "data", "done"}));
  EXPECT_EQ(sink_.body.size(), 500u);
  EXPECT_EQ(sink_.outcome->status.code(), code::kConnectionReset);
  EXPECT_TRUE(sink_.outcome->transient);
  EXPECT_EQ(sink_.outcome->context, ErrorContext::kGeneralTransport);
}

TEST_F(HttpBackendTest, ConnectRefusedIsTransient) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(s);  // nothing listens there now
  core::ByteRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  request.proxy_usage = ProxyUsage::kNoProxy;
  auto t = Start(request);
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"done"}));
  EXPECT_EQ(sink_.outcome->status.code(), code::kCannotConnect);
  EXPECT_TRUE(sink_.outcome->transient);
  EXPECT_EQ(sink_.outcome->protocol, "http");
}

TEST_F(HttpBackendTest, RedirectChainIsFollowedAndHeadersDoNotLeak) {
  ScriptedOrigin server([&](const OriginRequest& request) {
    std::string path = request.target;
    if (path == "/a") return Response(302, {{"Location", "/b"}, {"ETag", "\"redirect\""}}, "moved");
    if (path == "/b")
      return Response(301, {{"Location", "/c"}, {"Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT"}},
                      "");
    return Response(200, {{"ETag", "\"c\""}}, "final");
  });
  auto t = Start(Get(server, "/a"));
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"response", "data", "done"}));
  EXPECT_EQ(sink_.body, "final");
  EXPECT_EQ(sink_.response.etag, "\"c\"");
  EXPECT_EQ(sink_.response.last_modified, "");
  EXPECT_EQ(sink_.response.effective_url, server.Url("/c"));
  EXPECT_TRUE(sink_.outcome->status.ok());
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(HttpBackendTest, RedirectLoopFails) {
  ScriptedOrigin server([](const OriginRequest&) {
    return Response(302, {{"Location", "/loop"}}, "");
  });
  auto t = Start(Get(server, "/loop"));
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"done"}));
  EXPECT_EQ(sink_.outcome->status.code(), code::kRedirectFailed);
  EXPECT_FALSE(sink_.outcome->transient);
  EXPECT_EQ(sink_.outcome->context, ErrorContext::kRemoteFile);
  EXPECT_EQ(server.requests().size(), 11u);  // the first request and 10 redirects
}

TEST_F(HttpBackendTest, RedirectToRefusedProtocolFails) {
  ScriptedOrigin server([](const OriginRequest&) {
    return Response(302, {{"Location", "ftp://127.0.0.1/x"}}, "");
  });
  auto t = Start(Get(server, "/a"));
  RunToDone();
  EXPECT_EQ(sink_.outcome->status.code(), code::kRedirectFailed)
      << sink_.outcome->status.ToString();
  EXPECT_FALSE(sink_.outcome->transient);
}

TEST_F(HttpBackendTest, BadHeaderLineFailsFromTheLoop) {
  ScriptedOrigin server([](const OriginRequest&) { return Response(200, {}, "x"); });
  auto request = Get(server, "/x");
  request.headers = {"X-Evil: a\r\nX-Injected: b"};
  auto t = Start(request);
  EXPECT_TRUE(sink_.calls.empty());
  RunToDone();
  EXPECT_EQ(sink_.outcome->status.code(), code::kInvalidArg);
  EXPECT_FALSE(sink_.outcome->transient);
}

TEST_F(HttpBackendTest, SinkAbortOnResponse) {
  ScriptedOrigin server([](const OriginRequest&) { return Response(200, {}, "data"); });
  sink_.on_response = [] { return false; };
  auto t = Start(Get(server, "/x"));
  RunToDone();
  EXPECT_EQ(sink_.calls, (Calls{"response", "done"}));
  EXPECT_FALSE(sink_.outcome->status.ok());
}

TEST_F(HttpBackendTest, SinkAbortOnData) {
  ScriptedOrigin server(
      [](const OriginRequest&) { return Response(200, {}, std::string(1 << 20, 'd')); });
  sink_.on_data = [] { return false; };
  auto t = Start(Get(server, "/x"));
  RunToDone();
  EXPECT_EQ(sink_.data_calls, 1);
  EXPECT_EQ(sink_.outcome->status.code(), code::kUnexpected);
}

TEST_F(HttpBackendTest, PauseStopsDataUntilResumed) {
  std::string body(4 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 + i / 4096);
  ScriptedOrigin server([&](const OriginRequest&) { return Response(200, {}, body); });
  std::unique_ptr<core::ByteStream> t;
  sink_.on_data = [&] {
    if (sink_.data_calls == 1) t->SetPaused(true);
    return true;
  };
  t = Start(Get(server, "/big"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return sink_.data_calls > 0; }));
  RunFor(loop_, 300ms);
  EXPECT_EQ(sink_.data_calls, 1);
  EXPECT_FALSE(sink_.done());
  t->SetPaused(false);
  EXPECT_EQ(sink_.data_calls, 1);  // not from inside SetPaused
  RunToDone();
  EXPECT_TRUE(sink_.outcome->status.ok()) << sink_.outcome->status.ToString();
  EXPECT_EQ(sink_.body.size(), body.size());
  EXPECT_TRUE(sink_.body == body);
}

TEST_F(HttpBackendTest, DestroyMidFlightStopsCallbacks) {
  ScriptedOrigin server([](const OriginRequest&) {
    OriginReply r = Response(200, {}, std::string(10000, 'z'));
    r.cut_after = 1000;  // then silent until the client closes
    r.stall = true;
    return r;
  });
  auto t = Start(Get(server, "/hold"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return sink_.data_calls > 0; }));
  t.reset();
  Calls before = sink_.calls;
  RunFor(loop_, 200ms);
  EXPECT_EQ(sink_.calls, before);
  EXPECT_FALSE(sink_.done());
}

TEST_F(HttpBackendTest, DestroyFromInsideOnData) {
  ScriptedOrigin server(
      [](const OriginRequest&) { return Response(200, {}, std::string(1 << 20, 'z')); });
  std::unique_ptr<core::ByteStream> t;
  sink_.on_data = [&] {
    t.reset();
    return true;
  };
  t = Start(Get(server, "/x"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return sink_.data_calls > 0; }));
  RunFor(loop_, 200ms);
  EXPECT_EQ(sink_.data_calls, 1);
  EXPECT_FALSE(sink_.done());
  // The backend still works afterwards.
  RecordingSink next;
  auto t2 = backend_.Start(Get(server, "/y"), &next);
  ASSERT_TRUE(RunUntil(loop_, [&] { return next.done(); }));
  EXPECT_TRUE(next.outcome->status.ok());
}

TEST_F(HttpBackendTest, DestroyFromInsideOnResponseAndOnDone) {
  ScriptedOrigin server([](const OriginRequest&) { return Response(200, {}, "abc"); });
  std::unique_ptr<core::ByteStream> t;
  sink_.on_response = [&] {
    t.reset();
    return true;
  };
  t = Start(Get(server, "/x"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return sink_.response_seen; }));
  RunFor(loop_, 100ms);
  EXPECT_EQ(sink_.calls, (Calls{"response"}));

  RecordingSink second;
  std::unique_ptr<core::ByteStream> t2;
  second.on_done = [&] { t2.reset(); };
  t2 = backend_.Start(Get(server, "/y"), &second);
  ASSERT_TRUE(RunUntil(loop_, [&] { return second.done(); }));
  EXPECT_EQ(t2, nullptr);
  EXPECT_EQ(second.calls, (Calls{"response", "data", "done"}));
}

TEST_F(HttpBackendTest, DestroyBeforeAnyEvent) {
  ScriptedOrigin server([](const OriginRequest&) { return Response(200, {}, "abc"); });
  auto t = Start(Get(server, "/x"));
  t.reset();
  auto bad = Get(server, "/y");
  bad.headers = {"broken"};
  auto t2 = Start(bad);  // its failure is posted; destroy before it runs
  t2.reset();
  RunFor(loop_, 200ms);
  EXPECT_TRUE(sink_.calls.empty());
}

TEST_F(HttpBackendTest, StalledBodyTimesOut) {
  ScriptedOrigin server([](const OriginRequest&) {
    OriginReply r = Response(200, {}, std::string(1000, 's'));
    r.cut_after = 10;  // then silent until the client closes
    r.stall = true;
    return r;
  });
  auto request = Get(server, "/stall");
  request.low_speed_time = 1s;
  auto t = Start(request);
  RunToDone();
  EXPECT_EQ(sink_.outcome->status.code(), code::kTimeout) << sink_.outcome->status.ToString();
  EXPECT_TRUE(sink_.outcome->transient);
}

TEST_F(HttpBackendTest, ConcurrentTransfers) {
  ScriptedOrigin server(
      [](const OriginRequest& request) { return Response(200, {}, request.target); });
  std::vector<RecordingSink> sinks(5);
  std::vector<std::unique_ptr<core::ByteStream>> transfers;
  for (int i = 0; i < 5; ++i)
    transfers.push_back(backend_.Start(Get(server, "/n" + std::to_string(i)), &sinks[i]));
  ASSERT_TRUE(RunUntil(loop_, [&] {
    for (auto& s : sinks)
      if (!s.done()) return false;
    return true;
  }));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(sinks[i].body, "/n" + std::to_string(i));
}

}  // namespace
}  // namespace ferry::transfer
