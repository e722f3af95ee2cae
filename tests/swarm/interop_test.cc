// The BitTorrent interop fixtures proven third party to third party
// (transmission-daemon, qbittorrent-nox, opentracker: Debian packages,
// headless, on ports of their own): what the ferry interop tests will stand
// on once ferry speaks BitTorrent (issue 12 §6). Every byte is checked by
// SHA-256, and the seeder's upload count shows where the bytes came from.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/free_port.h"
#include "support/opentracker_fixture.h"
#include "support/qbittorrent_fixture.h"
#include "support/service_env.h"
#include "support/swarm_fixture.h"
#include "support/temp_dir.h"
#include "support/torrent_tools.h"
#include "support/transmission_fixture.h"

namespace ferry::test {
namespace {

constexpr uint64_t kContentSize = 3 * kMiB + 777;  // not a whole number of pieces
constexpr auto kTransferTimeout = std::chrono::seconds(90);

class InteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OpentrackerFixture::Available()) GTEST_SKIP() << "opentracker is not installed";
    if (!TransmissionFixture::Available() || !TransmissionCreateAvailable())
      GTEST_SKIP() << "transmission-daemon / transmission-cli are not installed";
    if (!QbittorrentFixture::Available()) GTEST_SKIP() << "qbittorrent-nox is not installed";
    sha_ = WriteRandomFile(seed_.Path("content.bin"), kContentSize, 0x62743031);
    ASSERT_FALSE(sha_.empty());
  }

  // The tracker (empty whitelist) with `options`, then `torrent` made by
  // `make` and allowed on it.
  void StartTracker(const OpentrackerOptions& options = {}) {
    Status s = tracker_.Start(options);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Allow(const Torrent& torrent) {
    Status s = tracker_.Allow(torrent.TrackerHashes());
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // A v1 torrent of the content, announcing to the tracker, allowed on it.
  void MakeAllowedV1(Torrent* torrent) {
    Status s = MakeTorrentV1(seed_.Path("content.bin"), tracker_.AnnounceUrl(),
                             work_.Path("v1.torrent"), torrent);
    ASSERT_TRUE(s.ok()) << s.ToString();
    Allow(*torrent);
  }
  // transmission seeding `torrent` and announced to the tracker; its hash.
  void SeedWithTransmission(TransmissionFixture& seeder, const TransmissionOptions& options,
                            const Torrent& torrent, std::string* hash) {
    Status s;
    ASSERT_TRUE((s = seeder.Start(options)).ok()) << s.ToString();
    ASSERT_TRUE((s = seeder.AddTorrent(torrent.path, seed_.path(), hash)).ok()) << s.ToString();
    EXPECT_EQ(*hash, torrent.v1_hash);
    ASSERT_TRUE((s = seeder.WaitForSeeding(*hash)).ok()) << s.ToString() << seeder.Log();
    // The leecher's first announce must find the seeder: its next one is
    // half an hour away.
    ASSERT_TRUE((s = tracker_.WaitForSeeders(*hash, 1)).ok()) << s.ToString();
  }
  // The tracker, a v1 torrent of the content allowed on it, and
  // transmission (on loopback) seeding it: StartTracker, MakeAllowedV1,
  // SeedWithTransmission.
  void SeedV1WithTransmission(TransmissionFixture& seeder, Torrent* torrent, std::string* hash) {
    StartTracker();
    ASSERT_NO_FATAL_FAILURE(MakeAllowedV1(torrent));
    ASSERT_NO_FATAL_FAILURE(SeedWithTransmission(seeder, {}, *torrent, hash));
  }
  // qBittorrent fetches `torrent` (peers from the tracker only); the bytes
  // are the content's and came from transmission.
  void LeechFromTransmission(const QbittorrentOptions& options, TransmissionFixture& seeder,
                             const Torrent& torrent, const std::string& hash) {
    QbittorrentFixture leecher;
    Status s;
    ASSERT_TRUE((s = leecher.Start(options)).ok()) << s.ToString();
    ASSERT_TRUE((s = leecher.AddTorrent(torrent.path)).ok()) << s.ToString();
    // transmission unchokes a new peer at its next rechoke (every 10 s):
    // most of a test's time.
    ASSERT_TRUE((s = leecher.WaitForSeeding(hash, kTransferTimeout)).ok())
        << s.ToString() << "\ntracker: " << tracker_.Log() << "\ntransmission: " << seeder.Log();
    EXPECT_EQ(Sha256File(leecher.download_dir() + "/" + torrent.name), sha_);
    TransmissionTorrent t;
    ASSERT_TRUE(seeder.Get(hash, &t).ok());
    EXPECT_GE(t.uploaded, kContentSize) << "the bytes did not come from transmission";
  }

  // The tracker, and a hybrid torrent of the content allowed on it and
  // seeded by qBittorrent (`seeder`, which checked the content), announced.
  void SeedHybridWithQbittorrent(QbittorrentFixture& seeder, Torrent* torrent) {
    StartTracker();
    Status s = MakeTorrent(TorrentKind::kHybrid, seed_.Path("content.bin"), tracker_.AnnounceUrl(),
                           work_.Path("hybrid.torrent"), torrent);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(torrent->v1_hash.size(), 40u);
    ASSERT_EQ(torrent->v2_hash.size(), 64u);
    Allow(*torrent);
    ASSERT_TRUE((s = seeder.Start()).ok()) << s.ToString();
    ASSERT_TRUE((s = seeder.AddTorrent(torrent->path, seed_.path())).ok()) << s.ToString();
    ASSERT_TRUE((s = seeder.WaitForSeeding(torrent->v1_hash)).ok()) << s.ToString();
    QbittorrentTorrent seeded;
    ASSERT_TRUE(seeder.Get(torrent->v1_hash, &seeded).ok());
    EXPECT_EQ(seeded.infohash_v2, torrent->v2_hash) << "qBittorrent did not load it as hybrid";
    ASSERT_TRUE((s = tracker_.WaitForSeeders(torrent->v1_hash, 1)).ok()) << s.ToString();
  }
  // qBittorrent's upload count of `hash` reaches the content's size: the
  // bytes came from it. It lags (libtorrent's stats): polled, at most 10 s.
  void ExpectQbittorrentUploadedIt(QbittorrentFixture& seeder, const std::string& hash) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    QbittorrentTorrent t;
    for (;;) {
      Status s = seeder.Get(hash, &t);
      ASSERT_TRUE(s.ok()) << s.ToString();
      if (t.uploaded >= kContentSize || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_GE(t.uploaded, kContentSize) << "the bytes did not come from qBittorrent";
  }

  // A ferryd of its own (private bus and state), its peers on 127.0.0.1 as
  // the clients', fetches `remote`: the bytes are the content's and every one
  // came from peers on the LAN. (On 127.0.0.3 neither ferry nor a plain
  // libtorrent client got a byte from transmission on 127.0.0.1 in 90 s,
  // though both connected; docs/testing.md.)
  void FerryFetches(const std::string& remote) {
    if (!ServiceEnv::Available()) GTEST_SKIP() << "dbus-daemon or ferryd missing";
    ServiceEnv env;
    FerrydOptions o;
    o.config_json = nlohmann::json{{"peer_listen_port", PickFreePort()},
                                   {"peer_listen_addresses", {"127.0.0.1"}},
                                   {"peer_local_discovery", false},
                                   {"torrent_module", FERRY_TORRENT_MODULE_BUILT}}
                        .dump();
    Status s = env.Start(o);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::unique_ptr<Manager> m;
    ASSERT_TRUE((s = env.Connect(&m)).ok()) << s.ToString();
    Guid id;
    std::unique_ptr<Job> job;
    ASSERT_TRUE((s = m->CreateJob("interop", JobType::kDownload, &id, &job)).ok()) << s.ToString();
    const std::string dest = work_.Path("by-ferry.bin");
    ASSERT_TRUE((s = job->AddFile(remote, dest)).ok()) << s.ToString();
    ASSERT_TRUE((s = job->Resume()).ok()) << s.ToString();
    ASSERT_TRUE(WaitForState(*job, JobState::kTransferred, kTransferTimeout))
        << Describe(*job) << "\ntracker: " << tracker_.Log() << "\nferryd: " << env.ferryd().Log();
    std::vector<std::unique_ptr<File>> files;
    ASSERT_TRUE(job->EnumFiles(&files).ok());
    ASSERT_EQ(files.size(), 1u);
    FileStats st;
    ASSERT_TRUE(files[0]->GetStats(&st).ok());
    EXPECT_EQ(st.bytes_from_lan_peers, kContentSize);
    EXPECT_EQ(st.bytes_from_http, 0u);
    ASSERT_TRUE((s = job->Complete()).ok()) << s.ToString();
    EXPECT_EQ(Sha256File(dest), sha_);
  }

  TempDir seed_{"ferry-interop-seed"};
  TempDir work_{"ferry-interop"};
  std::string sha_;
  OpentrackerFixture tracker_;
};

TEST_F(InteropTest, OpentrackerServesOnlyWhitelistedInfoHashes) {
  const std::string allowed(40, 'a'), other(40, 'b');
  OpentrackerOptions o;
  o.whitelist = {allowed};
  StartTracker(o);
  EXPECT_TRUE(tracker_.Serves(allowed));
  EXPECT_FALSE(tracker_.Serves(other));
  ASSERT_TRUE(tracker_.Allow({other}).ok());
  EXPECT_TRUE(tracker_.Serves(other));
  EXPECT_EQ(tracker_.Allow({"not-a-hash"}).code(), code::kInvalidArg);
}

TEST_F(InteropTest, TransmissionSeedsAV1TorrentThatQbittorrentDownloads) {
  Torrent torrent;
  TransmissionFixture seeder;
  std::string hash;
  ASSERT_NO_FATAL_FAILURE(SeedV1WithTransmission(seeder, &torrent, &hash));
  LeechFromTransmission({}, seeder, torrent, hash);
}

// p2p.md §5: ferry downloads a v1 torrent that transmission seeds, finding it
// through opentracker (whitelist mode) as any client of the torrent would.
TEST_F(InteropTest, FerryDownloadsAV1TorrentThatTransmissionSeeds) {
  Torrent torrent;
  TransmissionFixture seeder;
  std::string hash;
  ASSERT_NO_FATAL_FAILURE(SeedV1WithTransmission(seeder, &torrent, &hash));
  FerryFetches("file://" + torrent.path);
  TransmissionTorrent t;
  ASSERT_TRUE(seeder.Get(hash, &t).ok());
  EXPECT_GE(t.uploaded, kContentSize) << "the bytes did not come from transmission";
}

// The hybrid torrent is fetched by a plain libtorrent 2.0.8 client (the engine
// ferry embeds). qBittorrent must allow several connections per address
// (support/qbittorrent_fixture.h): without it, it sent nothing here.
TEST_F(InteropTest, QbittorrentSeedsAHybridTorrentThatLibtorrentDownloads) {
  if (!PythonLibtorrentAvailable()) GTEST_SKIP() << "python3-libtorrent is not installed";
  Torrent torrent;
  QbittorrentFixture seeder;
  ASSERT_NO_FATAL_FAILURE(SeedHybridWithQbittorrent(seeder, &torrent));

  // The seeder given as a peer: lt_fetch.py's session keeps one peer per
  // address, and the tracker also lists lt_fetch.py itself on 127.0.0.1.
  const std::string out = work_.Path("fetched");
  std::string report;
  Status s = FetchWithLibtorrent("", "127.0.0.1", torrent, out,
                          {seeder.address() + ":" + std::to_string(seeder.peer_port())},
                          kTransferTimeout, &report);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\ntracker: " << tracker_.Log();
  EXPECT_EQ(Sha256File(out + "/" + torrent.name), sha_) << report;
  EXPECT_NE(report.find(":" + std::to_string(seeder.peer_port())), std::string::npos)
      << "the seeder was not a peer: " << report;
  ExpectQbittorrentUploadedIt(seeder, torrent.v1_hash);
}

// p2p.md §5: ferry downloads a hybrid torrent that qBittorrent seeds, finding
// it through opentracker.
TEST_F(InteropTest, FerryDownloadsAHybridTorrentThatQbittorrentSeeds) {
  if (!PythonLibtorrentAvailable()) GTEST_SKIP() << "python3-libtorrent is not installed";
  Torrent torrent;
  QbittorrentFixture seeder;
  ASSERT_NO_FATAL_FAILURE(SeedHybridWithQbittorrent(seeder, &torrent));
  ASSERT_NO_FATAL_FAILURE(FerryFetches("file://" + torrent.path));
  if (IsSkipped()) return;
  ExpectQbittorrentUploadedIt(seeder, torrent.v1_hash);
}

// p2p.md §1: transmission 3.00 rejects hybrid (and v2) torrents, which is
// why ferry's transmission interop uses v1 torrents.
TEST_F(InteropTest, TransmissionRejectsAHybridTorrent) {
  if (!PythonLibtorrentAvailable()) GTEST_SKIP() << "python3-libtorrent is not installed";
  Torrent torrent;
  Status s = MakeTorrent(TorrentKind::kHybrid, seed_.Path("content.bin"), "",
                         work_.Path("hybrid.torrent"), &torrent);
  ASSERT_TRUE(s.ok()) << s.ToString();
  TransmissionFixture transmission;
  ASSERT_TRUE((s = transmission.Start()).ok()) << s.ToString();
  EXPECT_FALSE(transmission.AddTorrent(torrent.path, seed_.path()).ok());
}

// The same fixtures inside the swarm's namespaces (as ferry's swarm interop
// tests will run them): the tracker on the origin's address, transmission
// seeding on host 0, qBittorrent downloading on host 1, over the bridge.
TEST_F(InteropTest, TheClientsRunInsideSwarmNamespaces) {
  std::string why;
  if (!SwarmFixture::Supported(&why)) GTEST_SKIP() << "no swarm: " << why;
  SwarmFixture swarm;
  SwarmOptions so;
  so.hosts = 2;
  so.start_ferryd = false;  // no docroot: no nginx either
  Status s = swarm.Start(so);
  ASSERT_TRUE(s.ok()) << s.ToString();
  OpentrackerOptions to;
  to.netns = swarm.origin_netns();
  to.address = swarm.origin_address();
  StartTracker(to);
  Torrent torrent;
  ASSERT_NO_FATAL_FAILURE(MakeAllowedV1(&torrent));
  TransmissionFixture seeder;
  TransmissionOptions tro;
  tro.netns = swarm.host(0).netns;
  tro.address = swarm.host(0).address;
  std::string hash;
  ASSERT_NO_FATAL_FAILURE(SeedWithTransmission(seeder, tro, torrent, &hash));
  QbittorrentOptions qo;
  qo.netns = swarm.host(1).netns;
  qo.address = swarm.host(1).address;
  LeechFromTransmission(qo, seeder, torrent, hash);
}

}  // namespace
}  // namespace ferry::test
