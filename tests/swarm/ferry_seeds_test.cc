// Interop (issue 12 §6, p2p.md §5): transmission-daemon 3.00 downloads a v1
// torrent that ferry seeds from its seeding cache (docs/p2p.md "Seeding
// cache"). ferryd first fetches the torrent from a libtorrent seeder
// (support/lt_seed.py), which is then stopped; ferryd and transmission find
// each other through opentracker (whitelist mode) only: DHT, LPD, PEX off.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/opentracker_fixture.h"
#include "support/torrent_service_test.h"
#include "support/transmission_fixture.h"

namespace ferry::test {
namespace {

class FerrySeedsTest : public TorrentServiceTest {
 protected:
  void SetUp() override {
    if (!OpentrackerFixture::Available()) GTEST_SKIP() << "opentracker is not installed";
    if (!TransmissionFixture::Available() || !TransmissionCreateAvailable())
      GTEST_SKIP() << "transmission-daemon / transmission-cli are not installed";
    TorrentServiceTest::SetUp();
    if (Stopped()) return;
    // The same content as a v1 torrent announcing to the tracker.
    Status s = tracker_.Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = MakeTorrentV1(docroot_.Path("content.bin"), tracker_.AnnounceUrl(), torrent_path_, &torrent_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE((s = tracker_.Allow(torrent_.TrackerHashes())).ok()) << s.ToString();
  }

  // True once transmission's announce of `hash` succeeded.
  static bool Announced(TransmissionFixture& t, const std::string& hash) {
    nlohmann::json r;
    if (!t.Rpc("torrent-get", {{"ids", {hash}}, {"fields", {"trackerStats"}}}, &r).ok()) return false;
    for (const auto& torrent : r.value("torrents", nlohmann::json::array()))
      for (const auto& tracker : torrent.value("trackerStats", nlohmann::json::array()))
        if (tracker.value("lastAnnounceSucceeded", false)) return true;
    return false;
  }

  OpentrackerFixture tracker_;
};

// transmission never connects to a peer on 127/8 (its isMartianAddr), so
// ferryd must connect to it: transmission announces first, then ferryd is
// restarted, seeds its cache again and its first announce names transmission.
TEST_F(FerrySeedsTest, TransmissionDownloadsAV1TorrentFerrySeedsFromItsCache) {
  StartSeeder();
  DownloadAndCheck("file://" + torrent_path_);
  seeder_.Kill();
  ASSERT_TRUE(Eventually([&] {
    std::vector<CacheEntry> entries;
    return manager_->ListCache(&entries).ok() && entries.size() == 1;
  }, std::chrono::seconds(30)));

  TransmissionFixture leecher;
  TransmissionOptions to;
  to.address = "127.0.0.3";
  Status s;
  ASSERT_TRUE((s = leecher.Start(to)).ok()) << s.ToString();
  std::string hash;
  ASSERT_TRUE((s = leecher.AddTorrent(torrent_.path, "", &hash)).ok()) << s.ToString();
  ASSERT_TRUE(Eventually([&] { return Announced(leecher, hash); }, std::chrono::seconds(30)))
      << leecher.Log();
  RestartService(/*kill9=*/false);
  ASSERT_TRUE((s = leecher.WaitForSeeding(hash, std::chrono::seconds(120))).ok())
      << s.ToString() << "\ntracker: " << tracker_.Log() << "\ntransmission: " << leecher.Log();
  EXPECT_EQ(Sha256File(leecher.download_dir() + "/" + torrent_.name), sha_);
  // Every byte came from ferryd: the only other seeder is gone (and on 127/8).
  EXPECT_TRUE(Eventually([&] {
    std::vector<CacheEntry> entries;
    return manager_->ListCache(&entries).ok() && entries.size() == 1 &&
           entries[0].bytes_uploaded >= kSize;
  }, std::chrono::seconds(30))) << "ferryd's cache did not upload the file";
}

}  // namespace
}  // namespace ferry::test
