// Cache servers (policy.md §4, docs/cache-server.md) in the engine, on the
// fake clock: the rewritten URL, moving on after a failure, the 15 minutes
// a failing host is avoided, resuming across sources with the origin's
// validators, credentials, the fallback window and bytes_from_cache_server.
#include "core/statistics.h"
#include "unit/core/engine_fixture.h"

namespace ferry::test {
namespace {

std::string CacheA(const std::string& name = "f0") {
  return "http://cache-a:8080/" + name + "?cacheHostOrigin=origin.test";
}
std::string CacheB(const std::string& name = "f0") {
  return "http://cache-b/" + name + "?cacheHostOrigin=origin.test";
}

class CacheServerTest : public EngineTest {
 protected:
  void SetUp() override {
    cfg_.cache.hosts = {"cache-a:8080", "cache-b"};
    cfg_.cache.connect_timeout = std::chrono::seconds(3);
  }
  Guid Started(const std::string& name = "f0", const std::string& headers = "") {
    Guid id = MakeJobWithFile(name);
    if (!headers.empty()) {
      EXPECT_TRUE(engine_->SetCustomHeaders(id, headers).ok());
    }
    EXPECT_TRUE(engine_->Resume(id).ok());
    Pump();
    return id;
  }
  // The newest live transfer (whatever its URL: a cache's or the origin's).
  std::shared_ptr<TransferHandle> Live() {
    auto alive = backend_.Alive();
    return alive.empty() ? nullptr : alive.back();
  }
  // The live transfer's URL (empty when none).
  std::string RequestedUrl() {
    auto t = Live();
    return t ? t->request.url : std::string();
  }
  // The figures that tell a cache's bytes from the origin's, on one line.
  static std::string SourceSplit(const FileStats& s) {
    return "total " + std::to_string(s.total_bytes_downloaded) + ": http " +
           std::to_string(s.bytes_from_http) + " cache " +
           std::to_string(s.bytes_from_cache_server) + "; connections: http " +
           std::to_string(s.http_connections) + " cache " +
           std::to_string(s.cache_server_connections);
  }
};

TEST_F(CacheServerTest, TheFirstCacheServesTheFileAndItsBytesCountAsCacheBytes) {
  Open();
  Guid id = Started();
  auto t = Live();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->request.url, CacheA());
  EXPECT_EQ(t->request.connect_timeout, std::chrono::seconds(3));
  t->Respond(Ok200(100));
  t->Data(Body(100));
  t->Done(OkWithConnections(1));
  Pump();
  ASSERT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(SourceSplit(StatsOf(id)), "total 100: http 0 cache 100; connections: http 0 cache 1");
  ServiceStatistics totals = engine_->Statistics();
  EXPECT_EQ(totals.all_time.bytes_from_cache_server, 100u);
  EXPECT_EQ(totals.all_time.bytes_from_http, 0u);
  EXPECT_EQ(totals.all_time.total_bytes_downloaded, 100u);
  EXPECT_EQ(totals.this_month.bytes_from_cache_server, 100u);
}

TEST_F(CacheServerTest, FailuresMoveOnToTheNextHostThenTheOriginWithoutAJobError) {
  Open();
  Guid id = Started();
  ASSERT_EQ(RequestedUrl(), CacheA());
  Live()->Fail(code::kConnectionReset, /*transient=*/true);  // no connection
  Pump();
  ASSERT_EQ(RequestedUrl(), CacheB());
  Live()->Fail(code::HttpError(503), /*transient=*/true);
  Pump();
  ASSERT_EQ(RequestedUrl(), Url("f0"));
  EXPECT_EQ(Live()->request.connect_timeout, cfg_.connect_timeout);
  EXPECT_EQ(Snap(id).job.error_count, 0u);
  Live()->Serve(Body(100));
  Pump();
  ASSERT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(StatsOf(id).bytes_from_http, 100u);
  EXPECT_EQ(StatsOf(id).bytes_from_cache_server, 0u);

  // Both hosts are avoided for 15 minutes (the engine's clock): the next
  // file goes to the origin at once.
  RunFor(std::chrono::minutes(15) - std::chrono::seconds(1));
  Started("f1");
  EXPECT_EQ(RequestedUrl(), Url("f1"));
  Live()->Serve(Body(100));
  Pump();
  RunFor(std::chrono::seconds(1));
  Started("f2");
  EXPECT_EQ(RequestedUrl(), CacheA("f2"));
}

TEST_F(CacheServerTest, ANotFoundFromACacheIsNotAvoidedAndTheOriginDecides) {
  Open();
  Guid id = Started();
  Live()->Fail(code::HttpError(404), /*transient=*/false);
  Pump();
  ASSERT_EQ(RequestedUrl(), CacheB());
  Live()->Fail(code::HttpError(404), /*transient=*/false);
  Pump();
  ASSERT_EQ(RequestedUrl(), Url("f0"));
  Live()->Fail(code::HttpError(404), /*transient=*/false);
  Pump();
  EXPECT_EQ(State(id), S::kError);
  EXPECT_CODE(code::HttpError(404), Status(Snap(id).job.error->code, ""));
  Started("f1");
  EXPECT_EQ(RequestedUrl(), CacheA("f1")) << "a 4xx does not make a host avoided";
}

TEST_F(CacheServerTest, AFileResumesOnTheNextSourceWithTheValidatorsItHas) {
  Open();
  Guid id = Started();
  auto t = Live();
  t->Respond(Ok200(100, "\"v1\""));
  t->Data(Body(100).substr(0, 40));
  t->Fail(code::kConnectionReset, /*transient=*/true);  // the cache went away mid-body
  Pump();
  auto next = Live();
  ASSERT_NE(next, nullptr);
  ASSERT_NE(next, t);
  EXPECT_EQ(next->request.url, CacheB());
  EXPECT_EQ(next->request.offset, 40u);
  EXPECT_EQ(next->request.if_range, "\"v1\"");
  // The second cache holds another version: the same rules as for an
  // origin — the whole new body, from 0.
  next->Respond(Ok200(100, "\"v2\""));
  next->Data(Body(100, 'x'));
  next->Done();
  Pump();
  ASSERT_EQ(State(id), S::kTransferred);
  EXPECT_EQ(Snap(id).job.files[0].etag, "\"v2\"");
  EXPECT_EQ(StatsOf(id).bytes_from_cache_server, 140u);
}

TEST_F(CacheServerTest, CredentialsBypassTheCachesUnlessAllowed) {
  Open();
  Started("f0", "Authorization: Bearer secret");
  EXPECT_EQ(RequestedUrl(), Url("f0"));
  Crash();
  cfg_.cache.allow_authorization = true;
  Open();
  Live()->Serve(Body(100));  // the recovered job
  Pump();
  Started("f1", "Authorization: Bearer secret");
  EXPECT_EQ(RequestedUrl(), CacheA("f1"));
}

TEST_F(CacheServerTest, TheFallbackWindowRetriesTheCachesBeforeTheOrigin) {
  cfg_.cache.hosts = {"cache-a:8080"};
  cfg_.cache.fallback = std::chrono::seconds(3);
  Open();
  Guid id = Started();
  Live()->Fail(code::kConnectionReset, true);
  Pump();
  EXPECT_EQ(Live(), nullptr) << "waits a round's pause";
  EXPECT_EQ(State(id), S::kConnecting);
  RunFor(core::kCacheRoundPause);
  ASSERT_EQ(RequestedUrl(), CacheA());
  Live()->Fail(code::kConnectionReset, true);
  Pump();
  RunFor(core::kCacheRoundPause);
  ASSERT_EQ(RequestedUrl(), CacheA());
  Live()->Fail(code::kConnectionReset, true);
  Pump();
  RunFor(core::kCacheRoundPause);
  EXPECT_EQ(RequestedUrl(), Url("f0")) << "the window (3 s) is over";
}

TEST_F(CacheServerTest, SuspendWhileWaitingForTheNextRoundStartsNothing) {
  cfg_.cache.hosts = {"cache-a:8080"};
  cfg_.cache.fallback = std::chrono::seconds(30);
  Open();
  Guid id = Started();
  Live()->Fail(code::kConnectionReset, true);
  Pump();
  ASSERT_TRUE(engine_->Suspend(id).ok());
  Pump();
  size_t starts = backend_.started.size();
  RunFor(std::chrono::seconds(5));
  EXPECT_EQ(backend_.started.size(), starts);
  EXPECT_EQ(State(id), S::kSuspended);
}

}  // namespace
}  // namespace ferry::test
