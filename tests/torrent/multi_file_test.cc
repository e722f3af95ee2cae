// A hybrid torrent of two files (v2 aligns each file to pieces with pad
// files): pad bytes are not counted, and one chosen file is fetched alone.
#include <gtest/gtest.h>

#include <filesystem>

#include "torrent/torrent_maker.h"
#include "torrent/torrent_node.h"

namespace ferry::test {
namespace {

using torrent::TorrentId;

constexpr uint64_t kSizeA = 1 * kMiB + 100;
constexpr uint64_t kSizeB = 700 * 1024 + 3;

class TorrentMultiFileTest : public TorrentTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    std::filesystem::create_directories(dir_.Path("seed/pack"));
    std::filesystem::create_directories(dir_.Path("get"));
    sha_a_ = WriteRandomFile(dir_.Path("seed/pack/a.bin"), kSizeA, 0x61);
    sha_b_ = WriteRandomFile(dir_.Path("seed/pack/b.bin"), kSizeB, 0x62);
    torrent_ = MakeTorrent(dir_.Path("seed/pack"), TorrentKind::kHybrid, 256 << 10);
    ASSERT_FALSE(torrent_.empty());
    seeder_ = StartNode("127.0.0.2");
    ASSERT_TRUE(seeder_);
    seeding_ = AddRunning(*seeder_, torrent_, dir_.Path("seed"));
    ASSERT_NE(seeding_, 0u);
    ASSERT_TRUE(StatusUntil(*seeder_, seeding_, [](const torrent::TorrentStatus& s) {
      return s.state == torrent::TorrentState::kSeeding;
    }));
  }

  // Downloads with `params` from the seeder until finished; the ledger.
  const torrent::PeerLedger* Download(TorrentNode& getter, torrent::AddParams params) {
    params.save_dir = dir_.Path("get");
    params.paused = false;
    const TorrentId id = AddAndWait(getter, params);
    if (id == 0) return nullptr;
    EXPECT_TRUE(getter.session->ConnectPeer(id, "127.0.0.2", seeder_->port).ok());
    EXPECT_TRUE(RunUntil([&] { return getter.Has<torrent::event::Finished>(id); }));
    id_ = id;
    return getter.session->Ledger(id);
  }

  std::string sha_a_, sha_b_, torrent_;
  std::unique_ptr<TorrentNode> seeder_;
  TorrentId seeding_ = 0, id_ = 0;
};

TEST_F(TorrentMultiFileTest, PadBytesAreNotCounted) {
  auto getter = StartNode("127.0.0.1");
  ASSERT_TRUE(getter);
  torrent::AddParams params;
  params.torrent = torrent_;
  const torrent::PeerLedger* ledger = Download(*getter, params);
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(Sha256File(dir_.Path("get/pack/a.bin")), sha_a_);
  EXPECT_EQ(Sha256File(dir_.Path("get/pack/b.bin")), sha_b_);
  EXPECT_EQ(ledger->Totals().lan_verified, kSizeA + kSizeB);
  const auto& files = getter->session->GetStatus(id_)->files;
  ASSERT_EQ(files.size(), 2u);  // the pad file is not listed
  EXPECT_EQ(files[0].path, "pack/a.bin");
  EXPECT_EQ(files[0].size, kSizeA);
  EXPECT_EQ(files[1].path, "pack/b.bin");
  EXPECT_EQ(files[1].size, kSizeB);
}

TEST_F(TorrentMultiFileTest, AChosenFileOfAMagnetIsFetchedAlone) {
  auto getter = StartNode("127.0.0.1");
  ASSERT_TRUE(getter);
  torrent::AddParams params;
  params.magnet = MagnetOf(torrent_);
  params.file = "b.bin";
  const torrent::PeerLedger* ledger = Download(*getter, params);
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(Sha256File(dir_.Path("get/pack/b.bin")), sha_b_);
  // b.bin starts on a piece boundary: none of a.bin's pieces was wanted.
  EXPECT_EQ(ledger->Totals().lan_verified, kSizeB);
  EXPECT_TRUE(StatusUntil(*getter, id_, [](const torrent::TorrentStatus& s) {
    return s.state == torrent::TorrentState::kFinished;
  }));
  EXPECT_FALSE(std::filesystem::exists(dir_.Path("get/pack/a.bin")));
}

TEST_F(TorrentMultiFileTest, AChosenFileOfATorrentIsFetchedAlone) {
  auto getter = StartNode("127.0.0.1");
  ASSERT_TRUE(getter);
  torrent::AddParams params;
  params.torrent = torrent_;
  params.file = "pack/a.bin";
  const torrent::PeerLedger* ledger = Download(*getter, params);
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(Sha256File(dir_.Path("get/pack/a.bin")), sha_a_);
  EXPECT_EQ(ledger->Totals().lan_verified, kSizeA);
}

}  // namespace
}  // namespace ferry::test
