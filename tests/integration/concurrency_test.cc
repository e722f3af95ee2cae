// Many jobs at once against a real nginx: 16 background jobs with a cap of
// 16 simultaneous transfers all finish, and every delivered file is right.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "integration/integration_util.h"
#include "support/nginx_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {


constexpr int kJobs = 16;

TEST(ConcurrencyTest, SixteenJobsAllTransferAndDeliverTheRightBytes) {
  if (!NginxFixture::Available()) GTEST_SKIP() << "nginx is not installed";
  TempDir docroot("ferry-conc-docroot");
  TempDir work("ferry-conc");
  ASSERT_TRUE(docroot.ok() && work.ok());
  ::chmod(docroot.path().c_str(), 0755);
  std::vector<std::string> shas(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    uint64_t size = Scaled((4 + i % 5) * kMiB + static_cast<uint64_t>(i) * 4096);
    shas[i] = test::WriteRandomFile(docroot.Path("f" + std::to_string(i) + ".bin"), size, 1000 + i);
    ASSERT_FALSE(shas[i].empty());
  }
  NginxFixture nginx;
  test::NginxOptions no;
  // A per-connection rate keeps the transfers overlapping in time.
  no.limit_rate = 2 * kMiB;
  Status s = nginx.Start(docroot.path(), no);
  ASSERT_TRUE(s.ok()) << s.ToString();

  core::EngineConfig config = TestConfig();
  config.max_background_transfers = kJobs;
  auto host = StartHost(work.Path("state"), config, &s);
  ASSERT_TRUE(host) << s.ToString();

  std::vector<Guid> ids(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    std::string name = "f" + std::to_string(i) + ".bin";
    s = CreateAndResume(*host, nginx.Url(name), work.Path(name), &ids[i]);
    ASSERT_TRUE(s.ok()) << i << ": " << s.ToString();
  }

  // Wait for all, noting how many ran at once (informative only).
  uint32_t max_running = 0;
  auto end = std::chrono::steady_clock::now() + kDeadline;
  for (;;) {
    auto stats = host->Call([](core::Engine& e) { return e.Stats(); });
    max_running = std::max(max_running, stats.running_transfers);
    int done = 0;
    for (int i = 0; i < kJobs; ++i) {
      auto snap = Snapshot(*host, ids[i]);
      ASSERT_TRUE(snap.ok()) << i << ": " << snap.status().ToString();
      ASSERT_NE(snap->job.state, JobState::kError) << i << ": " << Describe(snap);
      done += snap->job.state == JobState::kTransferred;
    }
    if (done == kJobs) break;
    ASSERT_LT(std::chrono::steady_clock::now(), end) << done << " of " << kJobs << " transferred";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("[ concurrency ] at most %u transfers running at once\n", max_running);
  RecordProperty("max_running_transfers", std::to_string(max_running));

  for (int i = 0; i < kJobs; ++i) {
    std::string dest = work.Path("f" + std::to_string(i) + ".bin");
    EXPECT_FALSE(PathExists(dest)) << i;
    s = CompleteSync(*host, ids[i]);
    ASSERT_TRUE(s.ok()) << i << ": " << s.ToString();
    EXPECT_EQ(test::Sha256File(dest), shas[i]) << i;
    auto gone = Snapshot(*host, ids[i]);
    EXPECT_FALSE(gone.ok() && gone->live) << i << ": still live after Complete";
  }
  EXPECT_TRUE(host->Shutdown().ok());
  // Each file exactly once from the origin: no transfer restarted.
  auto log = AccessLogAtLeast(nginx, kJobs);
  EXPECT_EQ(log.size(), static_cast<size_t>(kJobs));
  for (const auto& e : log) EXPECT_EQ(e.status, 200) << e.request;
}

}  // namespace
}  // namespace ferry::test
