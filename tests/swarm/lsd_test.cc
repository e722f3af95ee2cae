// Peers found by local service discovery alone (issue 12 §6, p2p.md §5): in
// the swarm bed, host 0 fetches a torrent from a libtorrent seeder, which
// then goes away; host 0 keeps seeding it from its cache; hosts 1-3 fetch
// the magnet at once with no tracker, DHT or peer given, and every byte they
// get comes from peers on the LAN (host 0 and each other).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/service_env.h"
#include "support/swarm_fixture.h"
#include "support/temp_dir.h"
#include "support/torrent_tools.h"

namespace ferry::test {
namespace {

constexpr uint64_t kSize = 3 * kMiB + 4321;

class LsdSwarmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!SwarmFixture::Supported(&why)) GTEST_SKIP() << "no swarm: " << why;
    if (!PythonLibtorrentAvailable()) GTEST_SKIP() << "python3-libtorrent is not installed";
    sha_ = WriteRandomFile(content_.Path("content.bin"), kSize, 0x6c736421);
    ASSERT_FALSE(sha_.empty());
    Status s = MakeTorrent(TorrentKind::kV1, content_.Path("content.bin"), "",
                           content_.Path("content.torrent"), &torrent_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    SwarmOptions o;
    o.hosts = 4;
    o.ferryd_config_json = nlohmann::json{{"min_retry_delay_floor_seconds", 1},
                                          {"peer_local_discovery", true},
                                          {"checkpoint_interval_ms", 500},
                                          {"torrent_module", FERRY_TORRENT_MODULE_BUILT}}
                               .dump();
    ASSERT_TRUE((s = swarm_.Start(o)).ok()) << s.ToString();
  }
  void TearDown() override {
    if (seeder_.running()) seeder_.Kill();
    if (!HasFailure()) return;
    ADD_FAILURE() << swarm_.FerrydLogTails();
  }

  // A job on host `i` fetching the magnet into out_/h<i>/ (a directory: the
  // file lands as content.bin below it), resumed.
  std::unique_ptr<Job> Fetch(int i, std::unique_ptr<Manager>* m) {
    EXPECT_TRUE(swarm_.host(i).Connect(m).ok());
    if (!*m) return nullptr;
    const std::string dir = out_.Path("h" + std::to_string(i)) + "/";
    EXPECT_EQ(::mkdir(dir.c_str(), 0755), 0);
    Guid id;
    std::unique_ptr<Job> job;
    Status s = (*m)->CreateJob("lsd", JobType::kDownload, &id, &job);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!job) return nullptr;
    EXPECT_TRUE((s = job->AddFile(torrent_.Magnet(), dir)).ok()) << s.ToString();
    EXPECT_TRUE((s = job->Resume()).ok()) << s.ToString();
    return job;
  }
  // Waits for the job, checks the bytes came from LAN peers only, completes
  // it and checks the delivered file.
  void FinishAndCheck(int i, Job& job) {
    ASSERT_TRUE(WaitForState(job, JobState::kTransferred, std::chrono::seconds(120)))
        << "host " << i << ": " << Describe(job);
    std::vector<std::unique_ptr<File>> files;
    ASSERT_TRUE(job.EnumFiles(&files).ok());
    ASSERT_EQ(files.size(), 1u);
    FileStats st;
    ASSERT_TRUE(files[0]->GetStats(&st).ok());
    EXPECT_GE(st.bytes_from_lan_peers, kSize) << "host " << i;
    EXPECT_EQ(st.bytes_from_http + st.bytes_from_internet_peers, 0u) << "host " << i;
    ASSERT_TRUE(job.Complete().ok());
    EXPECT_EQ(Sha256File(out_.Path("h" + std::to_string(i)) + "/content.bin"), sha_)
        << "host " << i;
  }

  TempDir content_{"ferry-lsd-content"};
  TempDir out_{"ferry-lsd-out"};
  std::string sha_;
  Torrent torrent_;
  SwarmFixture swarm_;
  ChildProcess seeder_;
};

TEST_F(LsdSwarmTest, ThreeHostsFetchAMagnetFromACachedCopyFoundByLocalDiscovery) {
  // Host 0 gets the file from a seeder in the origin's namespace, dialled to
  // host 0 (the seeder itself does no discovery).
  SpawnOptions so;
  so.netns = swarm_.origin_netns();
  Status s = seeder_.Spawn({"/usr/bin/python3",
                            std::string(FERRY_SOURCE_DIR) + "/tests/support/lt_seed.py",
                            torrent_.path, content_.path(), swarm_.origin_address(),
                            content_.Path("seeder.json"), "0", swarm_.host(0).address + ":7680"},
                           so);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<Manager> m0;
  std::unique_ptr<Job> first = Fetch(0, &m0);
  ASSERT_TRUE(first);
  ASSERT_NO_FATAL_FAILURE(FinishAndCheck(0, *first));
  seeder_.Kill();  // from now on only host 0's cache has the file

  std::vector<std::unique_ptr<Manager>> managers(4);
  std::vector<std::unique_ptr<Job>> jobs(4);
  for (int i = 1; i < 4; ++i) {
    jobs[i] = Fetch(i, &managers[i]);
    ASSERT_TRUE(jobs[i]);
  }
  for (int i = 1; i < 4; ++i) FinishAndCheck(i, *jobs[i]);
  // Host 0 served from its cache (uploads are counted every 5 s).
  ASSERT_TRUE(Eventually(
      [&] {
        std::vector<CacheEntry> entries;
        return m0->ListCache(&entries).ok() && entries.size() == 1 &&
               entries[0].bytes_uploaded > 0;
      },
      std::chrono::seconds(30)))
      << "host 0's cache uploaded nothing";
}

}  // namespace
}  // namespace ferry::test
