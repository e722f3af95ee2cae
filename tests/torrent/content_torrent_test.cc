// The torrent of a content id (lib/torrent ContentSpec; docs/content-id.md,
// "The torrent of an id"): the same id gives the same torrent everywhere, a
// group gives another; a file seeded under it (no piece layers: libtorrent
// checks it once) reaches a session that knows nothing but the id; a peer
// serving other bytes under the same id is banned and nothing of it is kept.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "ferry/content_id.h"
#include "torrent/torrent_maker.h"
#include "torrent/torrent_node.h"
#include "util/content_id.h"

namespace ferry::test {
namespace {

using torrent::TorrentId;

constexpr uint64_t kSize = 2 * kMiB + 4321;  // 64 KiB pieces (ContentPieceLength)

class ContentTorrentTest : public TorrentTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    for (const char* d : {"good", "bad", "get"}) std::filesystem::create_directories(dir_.Path(d));
    sha_ = WriteRandomFile(dir_.Path("good/file.bin"), kSize, 0x63696431);
    ASSERT_FALSE(sha_.empty());
    std::string text;
    ASSERT_TRUE(ContentIdOfFile(dir_.Path("good/file.bin"), &text).ok());
    auto id = ParseContentId(text);
    ASSERT_TRUE(id.ok());
    spec_.size = id->size;
    spec_.root = id->root;
  }

  // `node` seeds `path` under the id's torrent and checks it (no piece layers).
  TorrentId SeedChecked(TorrentNode& node, const std::string& path) {
    auto derived = node.session->ContentTorrent(spec_);
    EXPECT_TRUE(derived.ok());
    if (!derived.ok()) return 0;
    const TorrentId id = SeedAndWait(node, {derived->torrent, path});
    if (id == 0) return 0;
    EXPECT_TRUE(StatusUntil(node, id, [](const torrent::TorrentStatus& s) {
      return s.state == torrent::TorrentState::kSeeding;
    })) << "the checked file did not become a seed";
    return id;
  }

  // Adds the id's torrent on `node`, running, written to get/out.bin.
  TorrentId FetchById(TorrentNode& node) {
    torrent::AddParams p;
    p.content = spec_;
    p.save_dir = dir_.Path("get");
    p.store_as = dir_.Path("get/out.bin");
    p.paused = false;
    return AddAndWait(node, p);
  }

  std::string sha_;
  torrent::ContentSpec spec_;
};

// The SDK's ContentInfoHash (what `ferry hash --info-hash` prints for a
// tracker's whitelist) bencodes the info dictionary by hand: it must be the
// module's torrent, byte for byte, for every piece length and with groups.
TEST_F(ContentTorrentTest, TheSdksInfoHashIsTheModulesForEverySizeAndGroup) {
  auto node = StartNode("127.0.0.1");
  ASSERT_TRUE(node);
  for (uint64_t size : {uint64_t{1}, uint64_t{16384}, kSize, uint64_t{300} << 20,
                        uint64_t{5} << 30}) {
    for (const char* group : {"", "lab", "a group with spaces \xc3\xa9"}) {
      torrent::ContentSpec spec = spec_;
      spec.size = size;
      spec.group = group;
      auto derived = node->session->ContentTorrent(spec);
      ASSERT_TRUE(derived.ok());
      std::string hash;
      ASSERT_TRUE(ContentInfoHash(FormatContentId({size, spec.root}), group, &hash).ok());
      EXPECT_EQ(hash, derived->info_hash) << size << " bytes, group '" << group << "'";
    }
  }
  std::string hash;
  EXPECT_EQ(ContentInfoHash("cid1-0-" + std::string(64, '0') + "-00000000", "", &hash).code(),
            code::kInvalidArg);
  EXPECT_EQ(ContentInfoHash("not an id", "", &hash).code(), code::kInvalidArg);
}

TEST_F(ContentTorrentTest, TheSameIdGivesTheSameTorrentAndAGroupAnother) {
  auto node = StartNode("127.0.0.1");
  ASSERT_TRUE(node);
  torrent::Session& s = *node->session;
  auto a = s.ContentTorrent(spec_);
  auto b = s.ContentTorrent(spec_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->torrent, b->torrent);
  ASSERT_EQ(a->info_hash.size(), 64u);
  EXPECT_EQ(a->torrent.find("ferry group"), std::string::npos);

  torrent::ContentSpec with_trackers = spec_;
  with_trackers.trackers = {"http://10.0.0.1:6969/announce"};
  auto t = s.ContentTorrent(with_trackers);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->info_hash, a->info_hash) << "trackers are outside the info dictionary";
  EXPECT_NE(t->torrent.find("announce"), std::string::npos);

  torrent::ContentSpec g1 = spec_, g2 = spec_;
  g1.group = "lab";
  g2.group = "office";
  auto h1 = s.ContentTorrent(g1);
  auto h2 = s.ContentTorrent(g2);
  ASSERT_TRUE(h1.ok() && h2.ok());
  EXPECT_NE(h1->info_hash, a->info_hash);
  EXPECT_NE(h1->info_hash, h2->info_hash);
  EXPECT_EQ(h1->torrent.find("lab"), std::string::npos) << "the group id itself is not sent";

  torrent::ContentSpec bad = spec_;
  bad.size = 0;
  EXPECT_EQ(s.ContentTorrent(bad).status().code(), code::kInvalidArg);
  bad = spec_;
  bad.root[5] = 'G';
  EXPECT_EQ(s.ContentTorrent(bad).status().code(), code::kInvalidArg);
  bad.root = spec_.root.substr(1);
  EXPECT_EQ(s.ContentTorrent(bad).status().code(), code::kInvalidArg);
}

TEST_F(ContentTorrentTest, AFileSeededUnderItsIdReachesASessionThatKnowsOnlyTheId) {
  auto seeder = StartNode("127.0.0.2");
  auto getter = StartNode("127.0.0.1");
  ASSERT_TRUE(seeder && getter);
  ASSERT_NE(SeedChecked(*seeder, dir_.Path("good/file.bin")), 0u);
  const TorrentId id = FetchById(*getter);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(getter->session->ConnectPeer(id, "127.0.0.2", seeder->port).ok());
  ASSERT_TRUE(RunUntil([&] { return getter->Has<torrent::event::Finished>(id); }));
  EXPECT_EQ(Sha256File(dir_.Path("get/out.bin")), sha_);
  EXPECT_EQ(getter->session->Ledger(id)->peers().at("127.0.0.2").verified, kSize);
  EXPECT_TRUE(getter->Events<torrent::event::PieceFailed>().empty());
}

TEST_F(ContentTorrentTest, APeerServingOtherBytesUnderTheIdIsBannedAndNothingOfItIsKept) {
  std::filesystem::copy_file(dir_.Path("good/file.bin"), dir_.Path("bad/file.bin"));
  auto bad = StartNode("127.0.0.3");
  ASSERT_TRUE(bad);
  ASSERT_NE(SeedChecked(*bad, dir_.Path("bad/file.bin")), 0u);
  // From now on it serves other bytes.
  ASSERT_TRUE(CorruptEveryPiece(dir_.Path("bad/file.bin"), kSize, 64 << 10));

  auto getter = StartNode("127.0.0.1");
  ASSERT_TRUE(getter);
  const TorrentId id = FetchById(*getter);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(getter->session->ConnectPeer(id, "127.0.0.3", bad->port).ok());
  ASSERT_TRUE(RunUntil([&] { return getter->Banned("127.0.0.3"); }))
      << "the peer serving other bytes was not banned";

  auto good = StartNode("127.0.0.2");
  ASSERT_TRUE(good);
  ASSERT_NE(SeedChecked(*good, dir_.Path("good/file.bin")), 0u);
  ASSERT_TRUE(getter->session->ConnectPeer(id, "127.0.0.2", good->port).ok());
  ASSERT_TRUE(RunUntil([&] { return getter->Has<torrent::event::Finished>(id); }));
  EXPECT_EQ(Sha256File(dir_.Path("get/out.bin")), sha_);
  const torrent::PeerLedger& ledger = *getter->session->Ledger(id);
  EXPECT_EQ(ledger.peers().at("127.0.0.3").verified, 0u);
  EXPECT_TRUE(ledger.peers().at("127.0.0.3").banned);
  EXPECT_EQ(ledger.peers().at("127.0.0.2").verified, kSize);
}

}  // namespace
}  // namespace ferry::test
