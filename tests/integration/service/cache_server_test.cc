// Cache servers (policy.md §4, docs/cache-server.md) through the real ferryd
// on a private bus: a real nginx as a caching proxy (proxy_cache, the
// NginxFixture's cache_proxy mode) in front of the nginx origin. The first
// download fills the cache and the second is served from it (the origin's
// access log has one transfer); a dead cache host (a closed loopback port)
// falls back to the origin with no job error; a cache holding another
// version than the one a file resumes (If-Range mismatch) restarts the file
// as an origin would; FileStats and the totals count bytes_from_cache_server.
// No timing assertions: every wait is bounded.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/free_port.h"
#include "support/nginx_fixture.h"
#include "support/service_test.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

constexpr uint64_t kSize = 3 * kMiB + 5;

class CacheServerServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
  }
  void TearDown() override {
    if (HasFailure()) {
      std::printf("--- cache access log ---\n");
      for (const auto& l : cache_.AccessLogLines()) std::printf("%s\n", l.c_str());
      std::printf("--- cache error log ---\n%s\n", cache_.ErrorLog().c_str());
    }
    ServiceTest::TearDown();
    cache_.Stop();
  }
  // The origin (nginx_) with file.bin, the cache proxy (unless
  // `cache_host` names another host), and ferryd configured with them.
  void StartAll(const std::string& cache_host = "") {
    v1_ = AddDocFile("file.bin", kSize, 1);
    StartNginx();
    if (Stopped()) return;
    std::string host = cache_host;
    if (host.empty()) {
      NginxOptions co;
      co.cache_proxy = true;
      Status s = cache_.Start(docroot_.path(), co);
      ASSERT_TRUE(s.ok()) << s.ToString();
      host = "127.0.0.1:" + std::to_string(cache_.port());
    }
    config_ = R"({"cache_hosts": [")" + host + R"("], "cache_host_connect_timeout": 2})";
    FerrydOptions fo;
    fo.config_json = config_;
    StartService(fo);
  }
  // Creates, resumes and waits for a job of file.bin into `name`, then
  // completes it; its file's stats just before the completion.
  FileStats Fetch(const std::string& name) {
    auto job = NewJob(nginx_.Url("/file.bin"), env_.work().Path(name), name);
    if (!job) return FileStats{};
    EXPECT_TRUE(job->Resume().ok());
    EXPECT_TRUE(
        WaitFor(*job, [](JobState s, const JobProgress&) { return s == JobState::kTransferred; }));
    uint32_t errors = 1;
    EXPECT_TRUE(job->GetErrorCount(&errors).ok());
    EXPECT_EQ(errors, 0u);
    Guid id;
    EXPECT_TRUE(job->GetId(&id).ok());
    FileStats st = StatsOf(id);
    EXPECT_TRUE(job->Complete().ok());
    return st;
  }
  ServiceStatistics Totals() {
    ServiceStatistics st;
    EXPECT_TRUE(manager_->GetStatistics(&st).ok());
    return st;
  }
  // GETs of /file.bin in the origin's log.
  size_t OriginTransfers() {
    size_t n = 0;
    for (const auto& e : nginx_.AccessLog())
      if (e.request.rfind("GET /file.bin", 0) == 0) ++n;
    return n;
  }

  NginxFixture cache_;
  std::string v1_;
  std::string config_;
};

TEST_F(CacheServerServiceTest, TheFirstDownloadFillsTheCacheAndTheSecondIsServedFromIt) {
  StartAll();
  ServiceStatistics before = Totals();
  FileStats first = Fetch("first.bin");
  EXPECT_EQ(Sha256File(env_.work().Path("first.bin")), v1_);
  ASSERT_TRUE(Eventually([&] { return OriginTransfers() == 1; }));
  FileStats second = Fetch("second.bin");
  EXPECT_EQ(Sha256File(env_.work().Path("second.bin")), v1_);

  std::vector<NginxLogEntry> log;
  ASSERT_TRUE(Eventually([&] { return (log = cache_.AccessLog()).size() >= 2; }));
  EXPECT_EQ(log[0].cache_status, "MISS");
  EXPECT_EQ(log.back().cache_status, "HIT");
  EXPECT_NE(log[0].request.find("cacheHostOrigin=127.0.0.1:" + std::to_string(nginx_.port())),
            std::string::npos)
      << log[0].request;
  EXPECT_EQ(OriginTransfers(), 1u) << "the second download never reached the origin";

  for (const FileStats& st : {first, second}) {
    EXPECT_EQ(st.bytes_from_cache_server, kSize);
    EXPECT_EQ(st.bytes_from_http, 0u);
    EXPECT_EQ(st.total_bytes_downloaded, kSize);
    EXPECT_EQ(st.http_connections, 0u);
  }
  // (curl may reuse the first download's connection for the second.)
  EXPECT_GE(first.cache_server_connections, 1u);
  ServiceStatistics after = Totals();
  EXPECT_EQ(after.all_time.bytes_from_cache_server - before.all_time.bytes_from_cache_server,
            2 * kSize);
  EXPECT_EQ(after.all_time.bytes_from_http, before.all_time.bytes_from_http);
  EXPECT_EQ(after.this_month.bytes_from_cache_server - before.this_month.bytes_from_cache_server,
            2 * kSize);
}

TEST_F(CacheServerServiceTest, ADeadCacheHostFallsBackToTheOrigin) {
  uint16_t closed = PickFreePort();  // nothing listens there
  ASSERT_NE(closed, 0);
  StartAll("127.0.0.1:" + std::to_string(closed));
  auto job = NewJob(nginx_.Url("/file.bin"), env_.work().Path("dead.bin"), "dead");
  ASSERT_NE(job, nullptr);
  ASSERT_TRUE(job->Resume().ok());
  // Within the connect timeout (2 s) and the transfer; generously bounded.
  EXPECT_TRUE(WaitFor(
      *job, [](JobState s, const JobProgress&) { return s == JobState::kTransferred; }, false,
      std::chrono::seconds(30)));
  uint32_t errors = 1;
  ASSERT_TRUE(job->GetErrorCount(&errors).ok());
  EXPECT_EQ(errors, 0u) << "the fallback is not a job error";
  Guid id;
  ASSERT_TRUE(job->GetId(&id).ok());
  FileStats st = StatsOf(id);
  EXPECT_TRUE(job->Complete().ok());
  EXPECT_EQ(Sha256File(env_.work().Path("dead.bin")), v1_);
  EXPECT_EQ(st.bytes_from_http, kSize);
  EXPECT_EQ(st.bytes_from_cache_server, 0u);
  EXPECT_EQ(OriginTransfers(), 1u);
  EXPECT_NE(env_.ferryd().Log().find("cache host 127.0.0.1:" + std::to_string(closed) + " failed"),
            std::string::npos);
}

// A file started from the origin on version 2 resumes through a cache that
// still holds version 1: the cache answers the If-Range with the whole of
// version 1, and the file restarts from 0 on it (never a splice of both).
TEST_F(CacheServerServiceTest, ACacheWithAnotherVersionRestartsTheFileAsAnOriginWould) {
  StartAll();
  Fetch("warm.bin");  // the cache now holds version 1
  ASSERT_TRUE(Eventually([&] { return OriginTransfers() == 1; }));
  std::string v2 = AddDocFile("file.bin", kSize + 1, 2);  // another size: another ETag

  // Without the cache, the file starts on version 2 from the origin, slowly.
  manager_.reset();
  ASSERT_TRUE(env_.ferryd().Terminate().ok());
  std::string no_cache = "{}";
  ASSERT_TRUE(env_.RestartFerryd(&no_cache).ok());
  Connect();
  auto job = NewJob(nginx_.Url("/file.bin"), env_.work().Path("b.bin"), "b");
  ASSERT_NE(job, nullptr);
  ASSERT_TRUE(job->SetMaximumRate(256 * 1024).ok());
  ASSERT_TRUE(job->Resume().ok());
  ASSERT_TRUE(WaitFor(
      *job, [](JobState, const JobProgress& p) { return p.bytes_transferred >= 300 * 1024; }));
  ASSERT_TRUE(job->Suspend().ok());
  Guid id;
  ASSERT_TRUE(job->GetId(&id).ok());
  job.reset();

  // With the cache again: the resume carries version 2's ETag in If-Range.
  manager_.reset();
  ASSERT_TRUE(env_.ferryd().Terminate().ok());
  ASSERT_TRUE(env_.RestartFerryd(&config_).ok());
  Connect();
  ASSERT_TRUE(manager_->GetJob(id, &job).ok());
  ASSERT_TRUE(job->SetMaximumRate(0).ok());
  ASSERT_TRUE(job->Resume().ok());
  EXPECT_TRUE(
      WaitFor(*job, [](JobState s, const JobProgress&) { return s == JobState::kTransferred; }));
  ASSERT_TRUE(job->Complete().ok());
  EXPECT_EQ(Sha256File(env_.work().Path("b.bin")), v1_)
      << "the cache's whole version 1, not version 2's head spliced onto it";
  EXPECT_NE(Sha256File(env_.work().Path("b.bin")), v2);

  std::vector<NginxLogEntry> log;
  ASSERT_TRUE(Eventually([&] { return (log = cache_.AccessLog()).size() >= 2; }));
  const NginxLogEntry& resume = log.back();
  EXPECT_FALSE(resume.range.empty()) << resume.request;
  EXPECT_FALSE(resume.if_range.empty()) << resume.request;
  EXPECT_EQ(resume.status, 200) << "If-Range did not match the cached version";
  EXPECT_EQ(resume.cache_status, "HIT");
}

}  // namespace
}  // namespace ferry::test
