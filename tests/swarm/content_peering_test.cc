// Peering for HTTP downloads by content id (issue 13; docs/peering.md), in
// the swarm bed: host 0 fetches a file from the origin with its content id
// (no peer has it: after the peers-first delay its origin sends it) and keeps
// it in its seeding cache; then hosts 1-3 fetch the same URL with the same id
// at once, find host 0 (and each other) by local service discovery, and get
// every byte from LAN peers: the origin sends the file about once in all.
// And when the only peer goes away mid-file, the origin sends the rest; and
// hosts starting together let one of them ask the origin.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ferry/content_id.h"
#include "support/dbusmock_fixture.h"
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
  // Four hosts, their origin's link shaped to `origin_rate` bytes/s (0: not);
  // with `host0_conditions`, host 0 reads the machine's conditions from its
  // own bus (a UPower mock there); `host0_extra` are more settings of host
  // 0's ferryd.json; `network` is SwarmOptions::network.
  void StartSwarm(uint64_t origin_rate = 0, bool host0_conditions = false,
                  nlohmann::json host0_extra = nlohmann::json::object(),
                  const std::string& network = "10.77") {
    SwarmOptions o;
    o.hosts = 4;
    o.network = network;
    o.docroot = docroot_.path();
    o.origin_link_rate = origin_rate;
    // Foreground jobs go to the origin after 3 s without peers, background
    // ones wait up to 20 s for them.
    o.ferryd_config_json =
        nlohmann::json{
            {"min_retry_delay_floor_seconds", 1}, {"peer_local_discovery", true},
            {"checkpoint_interval_ms", 500},      {"download_mode", static_cast<int>(mode_)},
            {"min_file_size_to_peer", kMiB},      {"delay_foreground_http", 3},
            {"delay_background_http", 20},        {"torrent_module", FERRY_TORRENT_MODULE_BUILT}}
            .dump();
    if (host0_conditions) host0_extra["conditions_bus"] = "service";
    o.ferryd_config_for = [config = o.ferryd_config_json, host0_extra](int i) {
      if (i != 0) return config;
      auto j = nlohmann::json::parse(config);
      j.update(host0_extra);
      return j.dump();
    };
    Status s = swarm_.Start(o);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void TearDown() override {
    if (!HasFailure()) return;
    ADD_FAILURE() << swarm_.FerrydLogTails();
  }

  std::string Out(int i) const { return out_.Path("h" + std::to_string(i) + ".bin"); }

  // A job on host `i` fetching the origin's file by URL and content id,
  // resumed; in download mode `own_mode` instead of its ferryd's when given
  // (an administrator's per-job mode: the tests run as root).
  std::unique_ptr<Job> Fetch(int i, JobPriority priority, std::unique_ptr<Manager>* m,
                             std::optional<DownloadMode> own_mode = std::nullopt) {
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
    if (files.size() == 1) {
      EXPECT_TRUE((s = files[0]->SetContentId(cid_)).ok()) << s.ToString();
    }
    if (own_mode) {
      EXPECT_TRUE((s = job->SetDownloadMode(*own_mode)).ok()) << s.ToString();
    }
    EXPECT_TRUE((s = job->Resume()).ok()) << s.ToString();
    return job;
  }
  // Waits for the job, completes it, checks the file and returns its stats;
  // the file's mode must be `mode` (default: every host's mode_).
  FileStats Finish(int i, Job& job, std::optional<DownloadMode> mode = std::nullopt) {
    FileStats st;
    EXPECT_TRUE(WaitForState(job, JobState::kTransferred, std::chrono::seconds(120)))
        << "host " << i << ": " << Describe(job);
    std::vector<std::unique_ptr<File>> files;
    EXPECT_TRUE(job.EnumFiles(&files).ok() && files.size() == 1);
    if (files.size() == 1) {
      EXPECT_TRUE(files[0]->GetStats(&st).ok());
    }
    EXPECT_TRUE(job.Complete().ok());
    EXPECT_EQ(Sha256File(Out(i)), sha_) << "host " << i;
    EXPECT_EQ(st.download_mode, mode.value_or(mode_)) << "host " << i;
    return st;
  }

  // Host 0 fetches the file from the origin (no peer has it) and keeps it in
  // its seeding cache (copied on a worker, then checked): true once the
  // cache lists it.
  bool CachedOnHost0(std::unique_ptr<Manager>* m0) {
    std::unique_ptr<Job> job = Fetch(0, JobPriority::kForeground, m0);
    if (!job) return false;
    Finish(0, *job);
    std::vector<CacheEntry> entries;
    return Eventually([&] { return (*m0)->ListCache(&entries).ok() && entries.size() == 1; },
                      std::chrono::seconds(30));
  }

  DownloadMode mode_ = DownloadMode::kLan;  // every host's download_mode
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
  uint64_t received = 0, files_sent = 0;
  for (int i = 1; i < 4; ++i) {
    FileStats st = Finish(i, *jobs[i]);
    EXPECT_GE(st.bytes_from_lan_peers, kSize) << "host " << i;
    EXPECT_EQ(st.bytes_from_http, 0u) << "host " << i;
    EXPECT_EQ(st.bytes_to_peers, st.bytes_to_lan_peers) << "host " << i;
    EXPECT_EQ(st.bytes_to_internet_peers + st.bytes_to_group_peers, 0u) << "host " << i;
    received += st.bytes_from_lan_peers;
    files_sent += st.bytes_to_lan_peers;
  }
  // The origin sent the file once, to host 0 (headers aside).
  EXPECT_EQ(swarm_.OriginBytesSent(), origin_after_first);
  EXPECT_LT(origin_after_first, kSize + kSize / 20);
  // Every block a host received, a host sent (host 0 from its cache, which
  // no file's stats count): the services' totals add up to at least what
  // was received, within a second or so of the last block.
  managers[0] = std::move(m0);
  auto sent_by_services = [&] {
    uint64_t sum = 0;
    for (int i = 0; i < 4; ++i) {
      ServiceStatistics t;
      if (!managers[i]->GetStatistics(&t).ok()) return uint64_t{0};
      EXPECT_EQ(t.this_month.bytes_to_internet_peers + t.this_month.bytes_to_group_peers, 0u);
      sum += t.this_month.bytes_to_lan_peers;
    }
    return sum;
  };
  EXPECT_TRUE(Eventually([&] { return sent_by_services() >= received; }, std::chrono::seconds(10)))
      << "sent " << sent_by_services() << ", received " << received;
  EXPECT_LE(sent_by_services(), received + kSize / 2) << "blocks sent but never received";
  EXPECT_LE(files_sent, sent_by_services());
}

TEST_F(ContentPeeringTest, WhenTheOnlyPeerGoesAwayMidFileTheOriginSendsTheRest) {
  StartSwarm();
  std::unique_ptr<Manager> m0;
  ASSERT_TRUE(CachedOnHost0(&m0));
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
  // From its one peer host 1 took pieces in order (AddParams::
  // in_order_while_alone): what it had verified, at least 1 MiB, is a prefix
  // HTTP continued after (rarest first would scatter it).
  EXPECT_LE(st.bytes_from_http, kSize - kMiB / 2) << "the verified prefix was kept";
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

// policy.md §3: uploads to peers stop on battery (min_battery_percent_to_upload
// is 0 by default: never on battery) and come back on mains power. Host 0
// caches the file, then goes on battery (UPower mock on its bus): host 1 gets
// nothing from it and fetches from the origin after the delay. Back on mains
// power, with host 1 gone, host 2 gets the file from host 0.
TEST_F(ContentPeeringTest, AHostOnBatteryUploadsNothingUntilItIsOnMainsPower) {
  if (!DbusMockService::Available()) GTEST_SKIP() << "python3-dbusmock or busctl missing";
  StartSwarm(0, /*host0_conditions=*/true);
  DbusMockService upower{"upower", "org.freedesktop.UPower"};
  ASSERT_TRUE(upower.Start(swarm_.host(0).env->address()).ok());
  auto battery = [&](bool on) {
    const char* kDevice = "/org/freedesktop/UPower/devices/DisplayDevice";
    EXPECT_TRUE(
        upower.SetProperty(kDevice, "org.freedesktop.UPower.Device", "IsPresent", "b", {"true"})
            .ok());
    EXPECT_TRUE(
        upower.SetProperty(kDevice, "org.freedesktop.UPower.Device", "Percentage", "d", {"80.0"})
            .ok());
    EXPECT_TRUE(upower
                    .SetProperty("/org/freedesktop/UPower", "org.freedesktop.UPower", "OnBattery",
                                 "b", {on ? "true" : "false"})
                    .ok());
  };
  auto log_has = [&](const std::string& text) {
    return Eventually(
        [&] { return swarm_.host(0).env->ferryd().Log().find(text) != std::string::npos; },
        std::chrono::seconds(20));
  };
  std::unique_ptr<Manager> m0;
  ASSERT_TRUE(CachedOnHost0(&m0));
  std::vector<CacheEntry> entries;
  battery(true);
  ASSERT_TRUE(log_has("uploads stopped")) << "host 0 did not see the battery";

  std::unique_ptr<Manager> m1;
  std::unique_ptr<Job> second = Fetch(1, JobPriority::kForeground, &m1);
  ASSERT_TRUE(second);
  FileStats st1 = Finish(1, *second);
  EXPECT_EQ(st1.bytes_from_lan_peers, 0u) << "host 0 uploaded on battery";
  EXPECT_EQ(st1.bytes_from_http, kSize);
  ASSERT_TRUE(m0->ListCache(&entries).ok() && entries.size() == 1);
  EXPECT_EQ(entries[0].bytes_uploaded, 0u);

  battery(false);
  ASSERT_TRUE(log_has("uploads allowed"));
  m1.reset();
  ASSERT_TRUE(swarm_.host(1).env->ferryd().Kill9().ok());  // host 0 is the only peer
  std::unique_ptr<Manager> m2;
  std::unique_ptr<Job> third = Fetch(2, JobPriority::kForeground, &m2);
  ASSERT_TRUE(third);
  FileStats st2 = Finish(2, *third);
  EXPECT_GE(st2.bytes_from_lan_peers, kSize) << "host 0 did not upload again on mains power";
}

// policy.md §3 and docs/peering.md "Uploads and the monthly cap": on a
// network of public-looking addresses (198.18/15: internet peers to each
// other, by libtorrent's peer classes and ferry's statistics alike), in
// Internet mode (download_mode 3, which an administrator enables in
// ferryd.json), host 0 seeds the file from its cache with a monthly_upload_cap of 4 MiB and 1 MiB/s
// of upload: host 1 gets about the cap from it, then host 0 stops uploading
// to internet peers and host 1's origin sends the rest. Without the cap host
// 1 would get the whole file from host 0. The cap is applied within about a
// second of crossing it (PeerBackend's tick), and blocks libtorrent has read
// for the peer by then still go: up to 4 MiB past it are allowed here
// (2026-12-06: 2.2 s worth of uploads at 2 MiB/s were seen).
TEST_F(ContentPeeringTest, UploadsToInternetPeersStopAtTheMonthlyCap) {
  constexpr uint64_t kCap = 4 * kMiB;
  constexpr uint64_t kBig = 16 * kMiB + 99;
  ASSERT_TRUE(UseFile("capped.bin", kBig));
  mode_ = DownloadMode::kInternet;
  StartSwarm(0, false, {{"monthly_upload_cap", kCap}, {"max_upload_rate", kMiB}}, "198.18");
  std::unique_ptr<Manager> m0;
  ASSERT_TRUE(CachedOnHost0(&m0));
  std::unique_ptr<Manager> m1;
  std::unique_ptr<Job> second = Fetch(1, JobPriority::kForeground, &m1);
  ASSERT_TRUE(second);
  FileStats st1 = Finish(1, *second);
  EXPECT_EQ(st1.bytes_from_lan_peers, 0u) << "198.18/15 is not a private network";
  EXPECT_GE(st1.bytes_from_internet_peers, kCap / 2) << "host 0 uploaded too little";
  EXPECT_LE(st1.bytes_from_internet_peers, kCap + 4 * kMiB) << "host 0 went past its cap";
  EXPECT_GT(st1.bytes_from_http, 0u) << "the origin sent the rest";
  ServiceStatistics t;
  ASSERT_TRUE(Eventually(
      [&] { return m0->GetStatistics(&t).ok() && t.this_month.bytes_to_internet_peers >= kCap; },
      std::chrono::seconds(10)))
      << "host 0 counted " << t.this_month.bytes_to_internet_peers << " bytes to internet peers";
  EXPECT_LE(t.this_month.bytes_to_internet_peers, kCap + 4 * kMiB);
  EXPECT_EQ(t.this_month.bytes_to_lan_peers, 0u);
  EXPECT_NE(swarm_.host(0).env->ferryd().Log().find("uploads to internet peers stopped"),
            std::string::npos);
}

// DO's LAN mode takes peers on the local network only: on 198.18/15 (no
// private address) host 1 disconnects host 0 at its handshake, gets nothing
// from it and fetches the file from the origin after the peers-first delay.
// (In Internet mode it gets the file from host 0: the test above.)
TEST_F(ContentPeeringTest, LanModeTakesNothingFromPeersOnPublicAddresses) {
  StartSwarm(0, false, nlohmann::json::object(), "198.18");
  std::unique_ptr<Manager> m0;
  ASSERT_TRUE(CachedOnHost0(&m0));
  std::unique_ptr<Manager> m1;
  std::unique_ptr<Job> job = Fetch(1, JobPriority::kForeground, &m1);
  ASSERT_TRUE(job);
  FileStats st = Finish(1, *job);
  EXPECT_EQ(st.bytes_from_internet_peers + st.bytes_from_lan_peers, 0u);
  EXPECT_EQ(st.bytes_from_http, kSize);
}

// And the other way: host 0's ferryd is in LAN mode, so its seeding cache
// serves a content id's file to peers on private addresses only. Host 1's
// job is in Internet mode (its administrator's per-job mode), which would
// take the file from host 0 (the monthly-cap test above); on 198.18/15 host 0
// disconnects it at its handshake, uploads nothing, and host 1's origin sends
// the file. (docs/peering.md "LAN mode": the fence is on the cache's seeds of
// content torrents too.)
TEST_F(ContentPeeringTest, LanModeCacheSeedsNothingToPeersOnPublicAddresses) {
  StartSwarm(0, false, nlohmann::json::object(), "198.18");
  std::unique_ptr<Manager> m0;
  ASSERT_TRUE(CachedOnHost0(&m0));
  std::unique_ptr<Manager> m1;
  std::unique_ptr<Job> job = Fetch(1, JobPriority::kForeground, &m1, DownloadMode::kInternet);
  ASSERT_TRUE(job);
  FileStats st = Finish(1, *job, DownloadMode::kInternet);
  EXPECT_EQ(st.bytes_from_internet_peers + st.bytes_from_lan_peers, 0u);
  EXPECT_EQ(st.bytes_from_http, kSize);
  ServiceStatistics t;
  ASSERT_TRUE(m0->GetStatistics(&t).ok());
  EXPECT_EQ(t.this_month.bytes_to_internet_peers + t.this_month.bytes_to_lan_peers, 0u);
}

}  // namespace
}  // namespace ferry::test
