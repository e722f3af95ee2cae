// DO's statistics through the real ferryd on a private bus (do-download.md
// §3): after a download from nginx, File::GetStats and `ferry stats JOB
// --json` show the file's bytes as come from HTTP, a duration and a
// connection; the service totals (Manager::GetStatistics, `ferry stats
// --json`) grew by the file's size; both survive a clean restart and a
// kill -9, and never count more than nginx really sent. The per-job rate
// limit round-trips through the SDK and the CLI and survives a restart.
// No timing assertions: figures are compared with sizes and nginx's log.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/service_test.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

using nlohmann::json;

constexpr uint64_t kSeed = 0x737461;  // "sta"

class StatisticsServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
  }
  void StartAll(uint64_t file_size, const NginxOptions& no = {}) {
    AddDocFile("file.bin", file_size, kSeed);
    StartNginx(no);
    StartService();
  }
  void Restart(bool kill9) { RestartService(kill9); }
  ServiceStatistics Totals() {
    ServiceStatistics st;
    Status s = manager_->GetStatistics(&st);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return st;
  }
  // `ferry --bus-address ADDR --json ARGS…`, parsed (null when not JSON).
  json Cli(const std::vector<std::string>& args) {
    std::vector<std::string> a = {"--json"};
    a.insert(a.end(), args.begin(), args.end());
    auto r = RunCli(env_.address(), a, {});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "stdout is not one JSON document: " << r.Describe();
    return j;
  }
  // Every byte nginx has sent, headers included (an upper bound of what
  // ferryd can have received), once the log has `requests` lines.
  uint64_t NginxBytesSent(size_t requests) {
    std::vector<test::NginxLogEntry> log;
    Eventually([&] { return (log = nginx_.AccessLog()).size() >= requests; }, std::chrono::seconds(10));
    uint64_t sum = 0;
    for (const auto& e : log) sum += e.bytes_sent;
    return sum;
  }
  Guid Download(const std::string& name) {
    Guid id;
    std::unique_ptr<Job> job;
    EXPECT_TRUE(manager_->CreateJob(name, JobType::kDownload, &id, &job).ok());
    EXPECT_TRUE(job->AddFile(nginx_.Url("/file.bin"), env_.work().Path(name + ".bin")).ok());
    EXPECT_TRUE(job->Resume().ok());
    return id;
  }

};

TEST_F(StatisticsServiceTest, ADownloadsFiguresAndTheTotalsSurviveRestartsAndKill9) {
  const uint64_t size = 4 * kMiB + 17;
  StartAll(size);
  ServiceStatistics before = Totals();
  Guid id = Download("stats");
  std::unique_ptr<Job> job;
  ASSERT_TRUE(manager_->GetJob(id, &job).ok());
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred));

  FileStats st = StatsOf(id);
  EXPECT_EQ(st.file_size, size);
  EXPECT_EQ(st.bytes_from_http, size);
  EXPECT_EQ(st.total_bytes_downloaded, size);
  EXPECT_GT(st.duration.count(), 0);
  EXPECT_GE(st.http_connections, 1u);
  EXPECT_EQ(st.status, FileStatsStatus::kComplete);
  EXPECT_EQ(st.download_mode, DownloadMode::kHttpOnly);
  EXPECT_TRUE(st.background);
  EXPECT_EQ(st.bytes_from_lan_peers + st.bytes_from_group_peers + st.bytes_from_internet_peers, 0u);
  EXPECT_LE(st.bytes_from_http, NginxBytesSent(1)) << "more than nginx sent";

  ServiceStatistics after = Totals();
  EXPECT_EQ(after.all_time.bytes_from_http - before.all_time.bytes_from_http, size);
  EXPECT_EQ(after.all_time.total_bytes_downloaded - before.all_time.total_bytes_downloaded, size);
  EXPECT_EQ(after.all_time.downloads - before.all_time.downloads, 1u);
  EXPECT_EQ(after.this_month.bytes_from_http - before.this_month.bytes_from_http, size);
  EXPECT_NE(after.month, 0u);
  EXPECT_EQ(after.all_time.uploads, 0u);
  EXPECT_EQ(after.cache_entries, 0u);

  if (CliAvailable()) {
    json j = Cli({"stats", id.ToString()});
    ASSERT_TRUE(j.contains("files") && j["files"].size() == 1) << j.dump();
    const json& f = j["files"][0];
    EXPECT_EQ(f.value("bytes_from_http", uint64_t{0}), size) << f.dump();
    EXPECT_EQ(f.value("file_size", uint64_t{0}), size) << f.dump();
    EXPECT_GT(f.value("duration_ns", uint64_t{0}), 0u) << f.dump();
    EXPECT_GE(f.value("http_connections", 0u), 1u) << f.dump();
    EXPECT_EQ(f.value("status", ""), "complete") << f.dump();
    json t = Cli({"stats"});
    EXPECT_EQ(t["all_time"].value("bytes_from_http", uint64_t{0}), after.all_time.bytes_from_http)
        << t.dump();
    EXPECT_EQ(t["all_time"].value("downloads", uint64_t{0}), after.all_time.downloads) << t.dump();
  }

  job.reset();
  Restart(/*kill9=*/false);
  EXPECT_EQ(Totals(), after) << "a clean restart keeps the totals";
  EXPECT_EQ(StatsOf(id).bytes_from_http, size);
  Restart(/*kill9=*/true);
  EXPECT_EQ(Totals(), after) << "kill -9 keeps the committed totals";
  FileStats again = StatsOf(id);
  EXPECT_EQ(again.bytes_from_http, size);
  EXPECT_EQ(again.http_connections, st.http_connections);
  EXPECT_EQ(again.duration, st.duration);
  ASSERT_TRUE(manager_->GetJob(id, &job).ok());
  EXPECT_TRUE(job->Complete().ok());
}

// A kill -9 in the middle: what ferryd counts is at least the file and at
// most what nginx sent over both runs (bytes lost in the crash were sent
// twice, and may count twice; nothing counts that was not sent).
TEST_F(StatisticsServiceTest, Kill9MidDownloadNeverCountsMoreThanWasSent) {
  const uint64_t size = 16 * kMiB;
  NginxOptions no;
  no.limit_rate = 4 * kMiB;
  StartAll(size, no);
  ServiceStatistics before = Totals();
  Guid id = Download("kill");
  {
    std::unique_ptr<Job> job;
    ASSERT_TRUE(manager_->GetJob(id, &job).ok());
    ASSERT_TRUE(WaitFor(*job, [&](JobState s, const JobProgress& p) {
      return p.bytes_transferred >= size / 2 || s == JobState::kTransferred;
    }));
  }
  Restart(/*kill9=*/true);
  std::unique_ptr<Job> job;
  ASSERT_TRUE(manager_->GetJob(id, &job).ok());
  ASSERT_TRUE(job->Resume().ok());
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred));
  FileStats st = StatsOf(id);
  ServiceStatistics after = Totals();
  uint64_t sent = NginxBytesSent(2);
  EXPECT_GE(st.bytes_from_http, size);
  EXPECT_LE(st.bytes_from_http, sent);
  uint64_t grew = after.all_time.bytes_from_http - before.all_time.bytes_from_http;
  EXPECT_GE(grew, size);
  EXPECT_LE(grew, sent);
  EXPECT_EQ(after.all_time.downloads - before.all_time.downloads, 1u);
  EXPECT_GE(st.http_connections, 1u);
  EXPECT_TRUE(job->Complete().ok());
}

TEST_F(StatisticsServiceTest, TheJobsRateLimitRoundTripsAndSurvivesARestart) {
  StartAll(1024);
  Guid id;
  std::unique_ptr<Job> job;
  ASSERT_TRUE(manager_->CreateJob("rate", JobType::kDownload, &id, &job).ok());
  uint64_t rate = 1;
  ASSERT_TRUE(job->GetMaximumRate(&rate).ok());
  EXPECT_EQ(rate, 0u) << "none by default";
  ASSERT_TRUE(job->SetMaximumRate(250'000).ok());
  ASSERT_TRUE(job->GetMaximumRate(&rate).ok());
  EXPECT_EQ(rate, 250'000u);
  if (CliAvailable()) {
    auto r = RunCli(env_.address(), {"set", id.ToString(), "rate-limit", "512k"}, {});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    ASSERT_TRUE(job->GetMaximumRate(&rate).ok());
    EXPECT_EQ(rate, 512u * 1024);
    r = RunCli(env_.address(), {"set", id.ToString(), "rate-limit", "fast"}, {});
    EXPECT_EQ(r.exit_code, 2) << "not a rate: " << r.Describe();
    ASSERT_TRUE(job->GetMaximumRate(&rate).ok());
    EXPECT_EQ(rate, 512u * 1024) << "bad input changes nothing";
  } else {
    ASSERT_TRUE(job->SetMaximumRate(512u * 1024).ok());
  }
  job.reset();
  Restart(/*kill9=*/true);
  ASSERT_TRUE(manager_->GetJob(id, &job).ok());
  ASSERT_TRUE(job->GetMaximumRate(&rate).ok());
  EXPECT_EQ(rate, 512u * 1024) << "kept across a kill -9";
  // A limited job still completes (the limit paces it, it does not stop it).
  ASSERT_TRUE(job->AddFile(nginx_.Url("/file.bin"), env_.work().Path("rate.bin")).ok());
  ASSERT_TRUE(job->Resume().ok());
  ASSERT_TRUE(WaitForState(*job, JobState::kTransferred));
  ASSERT_TRUE(job->SetMaximumRate(0).ok());
  ASSERT_TRUE(job->GetMaximumRate(&rate).ok());
  EXPECT_EQ(rate, 0u);
}

}  // namespace
}  // namespace ferry::test
