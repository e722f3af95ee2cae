// Peering for HTTP downloads by content id (issue 13; docs/peering.md), in
// the swarm bed: host 0 fetches a file from the origin with its content id
// (no peer has it: after the peers-first delay its origin sends it) and keeps
// it in its seeding cache; then hosts 1-3 fetch the same URL with the same id
// at once, find host 0 (and each other) by local service discovery, and get
// every byte from LAN peers: the origin sends the file about once in all.
// And when the only peer goes away mid-file, the origin sends the rest; and
// hosts starting together let one of them ask the origin.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "ferry/content_id.h"
#include "support/service_env.h"
#include "support/swarm_fixture.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

constexpr uint64_t kSize = 3 * kMiB + 4321;

class ContentPeeringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!SwarmFixture::Supported(&why)) GTEST_SKIP() << "no swarm: " << why;
    ASSERT_TRUE(UseFile("content.bin", kSize));
  }
  // The origin's file for this test: random bytes, its digest and content id.
  bool UseFile(const std::string& name, uint64_t size) {
    name_ = name;
    size_ = size;
    sha_ = WriteRandomFile(docroot_.Path(name), size, 0x63706565 + static_cast<uint32_t>(size));
    return !sha_.empty() && ContentIdOfFile(docroot_.Path(name), &cid_).ok();
  }
  // Four hosts, their origin's link shaped to `origin_rate` bytes/s (0: not).
  void StartSwarm(uint64_t origin_rate = 0) {
    SwarmOptions o;
    o.hosts = 4;
    o.docroot = docroot_.path();
    o.origin_link_rate = origin_rate;
    // Foreground jobs go to the origin after 3 s without peers, background
    // ones wait up to 20 s for them.
    o.ferryd_config_json = nlohmann::json{{"min_retry_delay_floor_seconds", 1},
                                          {"peer_local_discovery", true},
                                          {"checkpoint_interval_ms", 500},
                                          {"download_mode", 1},
                                          {"min_file_size_to_peer", kMiB},
                                          {"delay_foreground_http", 3},
                                          {"delay_background_http", 20},
                                          {"torrent_module", FERRY_TORRENT_MODULE_BUILT}}
                               .dump();
    Status s = swarm_.Start(o);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void TearDown() override {
    if (!HasFailure()) return;
    for (int i = 0; i < swarm_.host_count(); ++i) {
      ServiceEnv* env = swarm_.host(i).env.get();
      std::string log = env ? env->ferryd().Log() : "";
      if (log.size() > 4000) log = log.substr(log.size() - 4000);
      ADD_FAILURE() << "ferryd on host " << i << ", log tail:\n" << log;
    }
  }

  std::string Out(int i) const { return out_.Path("h" + std::to_string(i) + ".bin"); }

  // A job on host `i` fetching the origin's file by URL and content id,
  // resumed.
  std::unique_ptr<Job> Fetch(int i, JobPriority priority, std::unique_ptr<Manager>* m) {
    EXPECT_TRUE(swarm_.host(i).Connect(m).ok());
    if (!*m) return nullptr;
    Guid id;
    std::unique_ptr<Job> job;
    Status s = (*m)->CreateJob("cid", JobType::kDownload, &id, &job);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!job) return nullptr;
    EXPECT_TRUE((s = job->SetPriority(priority)).ok()) << s.ToString();
    EXPECT_TRUE((s = job->AddFile(swarm_.OriginUrl(name_), Out(i))).ok()) << s.ToString();
    std::vector<std::unique_ptr<File>> files;
    EXPECT_TRUE(job->EnumFiles(&files).ok() && files.size() == 1);
    if (files.size() == 1) EXPECT_TRUE((s = files[0]->SetContentId(cid_)).ok()) << s.ToString();
    EXPECT_TRUE((s = job->Resume()).ok()) << s.ToString();
    return job;
  }
  // Waits for the job, completes it, checks the file and returns its stats.
  FileStats Finish(int i, Job& job) {
    FileStats st;
    EXPECT_TRUE(WaitForState(job, JobState::kTransferred, std::chrono::seconds(120)))
        << "host " << i << ": " << Describe(job);
    std::vector<std::unique_ptr<File>> files;
    EXPECT_TRUE(job.EnumFiles(&files).ok() && files.size() == 1);
    if (files.size() == 1) EXPECT_TRUE(files[0]->GetStats(&st).ok());
    EXPECT_TRUE(job.Complete().ok());
    EXPECT_EQ(Sha256File(Out(i)), sha_) << "host " << i;
    EXPECT_EQ(st.download_mode, DownloadMode::kLan) << "host " << i;
    return st;
  }

  TempDir docroot_{"ferry-cid-docroot"};
  TempDir out_{"ferry-cid-out"};
  std::string name_, sha_, cid_;
  uint64_t size_ = 0;
  SwarmFixture swarm_;
};

TEST_F(ContentPeeringTest, HostsShareAnHttpDownloadByContentIdOverTheLan) {
  StartSwarm();
  std::unique_ptr<Manager> m0;
  std::unique_ptr<Job> first = Fetch(0, JobPriority::kForeground, &m0);
  ASSERT_TRUE(first);
  FileStats st0 = Finish(0, *first);
  EXPECT_EQ(st0.bytes_from_http, kSize) << "no peer had it: the origin sent it";
  EXPECT_EQ(st0.bytes_from_lan_peers, 0u);
  const uint64_t origin_after_first = swarm_.OriginBytesSent();
  // Host 0's cache keeps and seeds it (copied on a worker, then checked).
  ASSERT_TRUE(Eventually(
      [&] {
        std::vector<CacheEntry> entries;
        return m0->ListCache(&entries).ok() && entries.size() == 1;
      },
      std::chrono::seconds(30)))
      << "host 0 did not cache the file";

  std::vector<std::unique_ptr<Manager>> managers(4);
  std::vector<std::unique_ptr<Job>> jobs(4);
  for (int i = 1; i < 4; ++i) {
    jobs[i] = Fetch(i, JobPriority::kNormal, &managers[i]);
    ASSERT_TRUE(jobs[i]);
  }
  for (int i = 1; i < 4; ++i) {
    FileStats st = Finish(i, *jobs[i]);
    EXPECT_GE(st.bytes_from_lan_peers, kSize) << "host " << i;
    EXPECT_EQ(st.bytes_from_http, 0u) << "host " << i;
  }
  // The origin sent the file once, to host 0 (headers aside).
  EXPECT_EQ(swarm_.OriginBytesSent(), origin_after_first);
  EXPECT_LT(origin_after_first, kSize + kSize / 20);
}

TEST_F(ContentPeeringTest, WhenTheOnlyPeerGoesAwayMidFileTheOriginSendsTheRest) {
  StartSwarm();
  std::unique_ptr<Manager> m0;
  std::unique_ptr<Job> first = Fetch(0, JobPriority::kForeground, &m0);
  ASSERT_TRUE(first);
  Finish(0, *first);
  ASSERT_TRUE(Eventually(
      [&] {
        std::vector<CacheEntry> entries;
        return m0->ListCache(&entries).ok() && entries.size() == 1;
      },
      std::chrono::seconds(30)));
  const uint64_t origin_before = swarm_.OriginBytesSent();
  // Host 0 sends slowly (512 KiB/s): host 1 is mid-file when it goes.
  ASSERT_TRUE(swarm_.ShapeHost(0, 512 * 1024).ok());
  std::unique_ptr<Manager> m1;
  std::unique_ptr<Job> job = Fetch(1, JobPriority::kForeground, &m1);
  ASSERT_TRUE(job);
  ASSERT_TRUE(Eventually(
      [&] {
        JobProgress p;
        return job->GetProgress(&p).ok() && p.bytes_transferred >= kMiB;
      },
      std::chrono::seconds(60)))
      << Describe(*job);
  m0.reset();
  ASSERT_TRUE(swarm_.host(0).env->ferryd().Kill9().ok());
  FileStats st = Finish(1, *job);
  EXPECT_GE(st.bytes_from_lan_peers, kMiB);
  EXPECT_GT(st.bytes_from_http, 0u);
  EXPECT_LT(st.bytes_from_http, kSize) << "the verified prefix was kept";
  EXPECT_LT(swarm_.OriginBytesSent() - origin_before, kSize);
}

// Four hosts start the same file at once, none has it: one of them asks the
// origin (the first in rank, after the delay), the others see it fetching
// (docs/peering.md "Who asks the origin") and wait for it, then get the file
// from it and each other. Without the turns every host would read the whole
// file from the origin (4x).
TEST_F(ContentPeeringTest, HostsStartingTogetherLetOneAskTheOrigin) {
  constexpr uint64_t kBig = 8 * kMiB + 777;
  ASSERT_TRUE(UseFile("together.bin", kBig));
  StartSwarm(/*origin_rate=*/2 * kMiB);  // ~4 s for the file
  std::vector<std::unique_ptr<Manager>> managers(4);
  std::vector<std::unique_ptr<Job>> jobs(4);
  for (int i = 0; i < 4; ++i) {
    jobs[i] = Fetch(i, JobPriority::kForeground, &managers[i]);
    ASSERT_TRUE(jobs[i]);
  }
  uint64_t from_http = 0;
  int from_peers = 0;
  for (int i = 0; i < 4; ++i) {
    FileStats st = Finish(i, *jobs[i]);
    from_http += st.bytes_from_http;
    if (st.bytes_from_lan_peers >= kBig) ++from_peers;
  }
  EXPECT_LT(swarm_.OriginBytesSent(), kBig + kBig / 2) << "more than one host asked the origin";
  EXPECT_LT(from_http, kBig + kBig / 2);
  EXPECT_GE(from_peers, 2) << "the others got the file from peers";
}

}  // namespace
}  // namespace ferry::test
