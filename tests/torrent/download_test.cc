// Two sessions of the torrent module on loopback: one seeds a file, the other
// downloads it (from a .torrent or a magnet link), and every byte is counted
// for the peer that sent it.
#include <gtest/gtest.h>

#include <filesystem>

#include "lib/torrent/module.h"
#include "torrent/torrent_maker.h"
#include "torrent/torrent_node.h"

namespace ferry::test {
namespace {

using torrent::TorrentId;

constexpr uint64_t kSize = 3 * kMiB + 12345;  // the last block and piece are short

class TorrentDownloadTest : public TorrentTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    std::filesystem::create_directories(dir_.Path("seed"));
    std::filesystem::create_directories(dir_.Path("get"));
    sha_ = WriteRandomFile(dir_.Path("seed/file.bin"), kSize, 0x70327031);
    ASSERT_FALSE(sha_.empty());
  }

  // Adds `params` running on `node`, saving into `save_dir`, connects it to
  // `peer` and waits for Finished: the id, 0 (and a failure) otherwise.
  TorrentId FetchFrom(TorrentNode& node, torrent::AddParams params, const std::string& save_dir,
                      const TorrentNode& peer) {
    params.save_dir = save_dir;
    params.paused = false;
    const TorrentId id = AddAndWait(node, params);
    if (id == 0) return 0;
    EXPECT_TRUE(node.session->ConnectPeer(id, peer.address, peer.port).ok());
    if (!RunUntil([&] { return node.Has<torrent::event::Finished>(id); })) {
      ADD_FAILURE() << "not finished";
      return 0;
    }
    return id;
  }

  // Seeds file.bin on 127.0.0.2 and downloads it on 127.0.0.1 from `params`;
  // checks the bytes and the accounting.
  void SeedAndDownload(const std::string& torrent, torrent::AddParams params) {
    auto seeder = StartNode("127.0.0.2");
    auto getter = StartNode("127.0.0.1");
    ASSERT_TRUE(seeder && getter);
    const TorrentId seeding = SeedAndWait(*seeder, {torrent, dir_.Path("seed/file.bin")});
    ASSERT_NE(seeding, 0u);
    const TorrentId id = FetchFrom(*getter, params, dir_.Path("get"), *seeder);
    ASSERT_NE(id, 0u);
    EXPECT_EQ(Sha256File(dir_.Path("get/file.bin")), sha_);

    const torrent::PeerLedger* ledger = getter->session->Ledger(id);
    ASSERT_NE(ledger, nullptr);
    ASSERT_EQ(ledger->peers().count("127.0.0.2"), 1u);
    const torrent::PeerBytes& from = ledger->peers().at("127.0.0.2");
    EXPECT_EQ(from.received, kSize);
    EXPECT_EQ(from.verified, kSize);
    EXPECT_TRUE(from.lan);
    EXPECT_EQ(ledger->Totals().lan_verified, kSize);
    EXPECT_EQ(ledger->Totals().internet_received, 0u);
    EXPECT_TRUE(getter->Events<torrent::event::PieceFailed>().empty());

    ASSERT_TRUE(StatusUntil(*getter, id, [](const torrent::TorrentStatus& s) {
      return s.state == torrent::TorrentState::kSeeding;
    }));
    const torrent::TorrentStatus& status = *getter->session->GetStatus(id);
    ASSERT_EQ(status.files.size(), 1u);
    EXPECT_EQ(status.files[0].path, "file.bin");
    EXPECT_EQ(status.files[0].size, kSize);
    EXPECT_EQ(status.name, "file.bin");
    EXPECT_TRUE(StatusUntil(*seeder, seeding, [](const torrent::TorrentStatus& s) {
      return s.all_time_upload >= kSize;
    })) << "the seeder's upload count";
  }

  std::string sha_;
};

TEST_F(TorrentDownloadTest, V1TorrentFromASeederIsCountedByPeer) {
  const std::string torrent = MakeTorrent(dir_.Path("seed/file.bin"), TorrentKind::kV1, 256 << 10);
  ASSERT_FALSE(torrent.empty());
  torrent::AddParams params;
  params.torrent = torrent;
  SeedAndDownload(torrent, params);
}

TEST_F(TorrentDownloadTest, HybridMagnetGetsItsMetadataFromThePeer) {
  const std::string torrent =
      MakeTorrent(dir_.Path("seed/file.bin"), TorrentKind::kHybrid, 256 << 10);
  ASSERT_FALSE(torrent.empty());
  torrent::AddParams params;
  params.magnet = MagnetOf(torrent);
  ASSERT_NE(params.magnet.find("urn:btmh:"), std::string::npos) << params.magnet;
  SeedAndDownload(torrent, params);
}

// The seeding cache's path (docs/p2p.md "Seeding cache"): a magnet's
// metadata, saved as a .torrent once finished, names the same torrent and
// seeds the downloaded copy to a third session.
TEST_F(TorrentDownloadTest, AFinishedMagnetSavesItsTorrentFileWhichSeedsTheCopy) {
  const std::string torrent =
      MakeTorrent(dir_.Path("seed/file.bin"), TorrentKind::kHybrid, 256 << 10);
  ASSERT_FALSE(torrent.empty());
  auto seeder = StartNode("127.0.0.2");
  auto getter = StartNode("127.0.0.1");
  auto third = StartNode("127.0.0.3");
  ASSERT_TRUE(seeder && getter && third);
  ASSERT_NE(SeedAndWait(*seeder, {torrent, dir_.Path("seed/file.bin")}), 0u);
  torrent::AddParams params;
  params.magnet = MagnetOf(torrent);
  const TorrentId id = FetchFrom(*getter, params, dir_.Path("get"), *seeder);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(getter->session->SaveTorrentFile(id).ok());
  ASSERT_TRUE(RunUntil([&] { return getter->Has<torrent::event::TorrentFileSaved>(id); }));
  const std::string saved = getter->Events<torrent::event::TorrentFileSaved>().front().data;
  EXPECT_EQ(MagnetOf(saved), MagnetOf(torrent)) << "the same info-hashes";
  EXPECT_EQ(getter->session->SaveTorrentFile(999).code(), code::kNotSet);

  // As PeerFetch does: the fetched torrent leaves, the copy is seeded.
  ASSERT_TRUE(getter->session->Remove(id, false).ok());
  std::filesystem::create_directories(dir_.Path("cache"));
  std::filesystem::copy_file(dir_.Path("get/file.bin"), dir_.Path("cache/copy.data"));
  ASSERT_NE(SeedAndWait(*getter, {saved, dir_.Path("cache/copy.data")}), 0u);
  std::filesystem::create_directories(dir_.Path("third"));
  torrent::AddParams from_copy;
  from_copy.torrent = saved;
  ASSERT_NE(FetchFrom(*third, from_copy, dir_.Path("third"), *getter), 0u);
  EXPECT_EQ(Sha256File(dir_.Path("third/file.bin")), sha_);
}

// max_upload_rate (docs/p2p.md "Seeding cache") sets the local peer class's
// upload limit: it holds a loopback peer back (a bound with a wide margin:
// 16 KiB/s for 3 s is ~48 KiB, unlimited loopback moves the whole 3 MiB),
// and lifting it lets the download finish.
TEST_F(TorrentDownloadTest, TheLocalPeerClassUploadLimitHoldsALoopbackPeerBack) {
  const std::string torrent = MakeTorrent(dir_.Path("seed/file.bin"), TorrentKind::kV1, 256 << 10);
  ASSERT_FALSE(torrent.empty());
  auto seeder = StartNode("127.0.0.2");
  auto getter = StartNode("127.0.0.1");
  ASSERT_TRUE(seeder && getter);
  seeder->session->SetLocalPeerLimits(torrent::RateLimits{16 << 10, 0});
  ASSERT_NE(SeedAndWait(*seeder, {torrent, dir_.Path("seed/file.bin")}), 0u);
  torrent::AddParams params;
  params.torrent = torrent;
  params.save_dir = dir_.Path("get");
  params.paused = false;
  const TorrentId id = AddAndWait(*getter, params);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(getter->session->ConnectPeer(id, "127.0.0.2", seeder->port).ok());
  RunUntil([] { return false; }, std::chrono::seconds(3));
  EXPECT_LT(getter->session->Ledger(id)->Totals().lan_received, 512u << 10);
  EXPECT_FALSE(getter->Has<torrent::event::Finished>(id));
  seeder->session->SetLocalPeerLimits(torrent::RateLimits{0, 0});
  ASSERT_TRUE(RunUntil([&] { return getter->Has<torrent::event::Finished>(id); }));
  EXPECT_EQ(Sha256File(dir_.Path("get/file.bin")), sha_);
}

// One torrent per info-hash in a session (the seeding cache and a job that
// fetches the same content): a fetch replaces a seed, a seed waits while a
// fetch runs, and a second fetch fails instead of sharing the first's handle.
TEST_F(TorrentDownloadTest, OneTorrentPerInfoHashAFetchReplacesASeed) {
  const std::string torrent = MakeTorrent(dir_.Path("seed/file.bin"), TorrentKind::kHybrid, 256 << 10);
  ASSERT_FALSE(torrent.empty());
  auto node = StartNode("127.0.0.1");
  ASSERT_TRUE(node);
  const TorrentId seed = SeedAndWait(*node, {torrent, dir_.Path("seed/file.bin")});
  ASSERT_NE(seed, 0u);
  torrent::AddParams params;
  params.magnet = MagnetOf(torrent);
  params.save_dir = dir_.Path("get");
  const TorrentId fetch = AddAndWait(*node, params);
  ASSERT_NE(fetch, 0u);
  EXPECT_TRUE(RunUntil([&] { return node->Has<torrent::event::Removed>(seed); }));
  EXPECT_EQ(node->session->Seed({torrent, dir_.Path("seed/file.bin")}).status().code(),
            code::kInvalidState);
  params.magnet.clear();
  params.torrent = torrent;
  auto second = node->session->Add(params);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(RunUntil([&] { return node->Has<torrent::event::AddFailed>(*second); }));
  EXPECT_NE(node->session->GetStatus(fetch), nullptr) << "the first fetch stays";
}

TEST_F(TorrentDownloadTest, BadInputIsRefusedAndAddsNothing) {
  auto node = StartNode("127.0.0.1");
  ASSERT_TRUE(node);
  torrent::Session& s = *node->session;
  torrent::AddParams bad;
  bad.torrent = "d4:infoi1ee";
  bad.save_dir = dir_.Path("get");
  EXPECT_EQ(s.Add(bad).status().code(), code::kInvalidArg);
  bad.torrent.clear();
  bad.magnet = "magnet:?dn=nothing";
  EXPECT_EQ(s.Add(bad).status().code(), code::kInvalidArg);
  bad.magnet.clear();
  bad.resume_data = "not bencoded";
  EXPECT_EQ(s.Add(bad).status().code(), code::kInvalidArg);

  torrent::AddParams no_dir;
  no_dir.torrent = MakeTorrent(dir_.Path("seed/file.bin"), TorrentKind::kV1, 256 << 10);
  EXPECT_EQ(s.Add(no_dir).status().code(), code::kInvalidArg);
  torrent::AddParams no_file = no_dir;
  no_file.save_dir = dir_.Path("get");
  no_file.file = "other.bin";
  EXPECT_EQ(s.Add(no_file).status().code(), code::kInvalidArg);
  EXPECT_EQ(s.Seed({no_dir.torrent, "relative/file.bin"}).status().code(), code::kInvalidArg);

  EXPECT_EQ(s.Pause(42).code(), code::kNotSet);
  EXPECT_EQ(s.Remove(42, false).code(), code::kNotSet);
  EXPECT_EQ(s.ConnectPeer(42, "127.0.0.1", 1).code(), code::kNotSet);
  EXPECT_EQ(s.GetStatus(42), nullptr);
  RunUntil([] { return false; }, std::chrono::seconds(1));
  EXPECT_TRUE(node->Events<torrent::event::Added>().empty());
  EXPECT_TRUE(node->Events<torrent::event::AddFailed>().empty());
}

TEST_F(TorrentDownloadTest, RemoveBeforeTheAddIsConfirmedRemovesIt) {
  auto node = StartNode("127.0.0.1");
  ASSERT_TRUE(node);
  torrent::AddParams params;
  params.torrent = MakeTorrent(dir_.Path("seed/file.bin"), TorrentKind::kV1, 256 << 10);
  params.save_dir = dir_.Path("get");
  auto id = node->session->Add(params);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(node->session->Remove(id.value(), false).ok());
  EXPECT_EQ(node->session->GetStatus(id.value()), nullptr);
  EXPECT_EQ(node->session->Pause(id.value()).code(), code::kNotSet);
  EXPECT_TRUE(RunUntil([&] { return node->Has<torrent::event::Removed>(id.value()); }));
}

TEST(TorrentModulePathTest, TheInstalledPathNamesTheModuleUnderLibdir) {
  const std::string path = torrent::InstalledModulePath();
  ASSERT_FALSE(path.empty());
  EXPECT_EQ(path.front(), '/');
  EXPECT_TRUE(path.ends_with("/ferry/libferry-torrent.so")) << path;
}

}  // namespace
}  // namespace ferry::test
