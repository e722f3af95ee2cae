// Resume data round trip: a download stopped half-way is saved, the session
// is destroyed, and a new session resumes from the data without fetching the
// pieces it already verified, nor those its file holds beyond the data
// (StagedPieces: a kill -9 after the last checkpoint).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "torrent/torrent_maker.h"
#include "torrent/torrent_node.h"

namespace ferry::test {
namespace {

using torrent::TorrentId;

constexpr uint64_t kSize = 4 * kMiB + 777;
constexpr int kPiece = 64 << 10;

class ResumeTest : public TorrentTest {
 protected:
  // A random file of kSize seeded by a node on 127.0.0.2, as a torrent of
  // `kind`; its SHA-256 in sha_.
  void Seed(TorrentKind kind, uint64_t seed) {
    ASSERT_TRUE(dir_.ok());
    std::filesystem::create_directories(dir_.Path("seed"));
    std::filesystem::create_directories(dir_.Path("get"));
    sha_ = WriteRandomFile(dir_.Path("seed/file.bin"), kSize, seed);
    torrent_ = MakeTorrent(dir_.Path("seed/file.bin"), kind, kPiece);
    ASSERT_FALSE(torrent_.empty());
    seeder_ = StartNode("127.0.0.2");
    ASSERT_TRUE(seeder_);
    ASSERT_NE(SeedAndWait(*seeder_, {torrent_, dir_.Path("seed/file.bin")}), 0u);
  }

  // The seeded torrent added on `node`, fetched from the seeder at 512 KiB/s
  // until a quarter of its pieces are in; its id.
  TorrentId FetchToAQuarter(TorrentNode& node) {
    const int total_pieces = static_cast<int>((kSize + kPiece - 1) / kPiece);
    const TorrentId id = AddRunning(node, torrent_, dir_.Path("get"));
    EXPECT_NE(id, 0u);
    EXPECT_TRUE(node.session->SetTorrentLimits(id, {0, 512 << 10}).ok());
    EXPECT_TRUE(node.session->ConnectPeer(id, "127.0.0.2", seeder_->port).ok());
    EXPECT_TRUE(StatusUntil(node, id, [&](const torrent::TorrentStatus&) {
      return node.PiecesHad(id) >= total_pieces / 4;
    }));
    return id;
  }

  // A torrent added on `node` from `resume`, running; its id.
  TorrentId Resumed(TorrentNode& node, const std::string& resume) {
    torrent::AddParams params;
    params.resume_data = resume;
    params.paused = false;
    const TorrentId id = AddAndWait(node, params);
    EXPECT_NE(id, 0u);
    return id;
  }

  std::string sha_, torrent_;
  std::unique_ptr<TorrentNode> seeder_;
};

TEST_F(ResumeTest, ResumeDataKeepsVerifiedPieces) {
  ASSERT_NO_FATAL_FAILURE(Seed(TorrentKind::kV1, 0x72657375));
  const std::string& sha = sha_;
  TorrentNode* seeder = seeder_.get();

  // First session: slowed down, stopped once a quarter of the pieces are in.
  std::string resume;
  const int total_pieces = static_cast<int>((kSize + kPiece - 1) / kPiece);
  {
    auto first = StartNode("127.0.0.1");
    ASSERT_TRUE(first);
    TorrentId id = 0;
    ASSERT_NO_FATAL_FAILURE(id = FetchToAQuarter(*first));
    ASSERT_TRUE(first->session->Pause(id).ok());
    ASSERT_TRUE(first->session->SaveResumeData(id).ok());
    ASSERT_TRUE(RunUntil([&] { return first->Has<torrent::event::ResumeDataSaved>(id); }));
    resume = first->Events<torrent::event::ResumeDataSaved>().front().data;
    EXPECT_FALSE(first->Has<torrent::event::Finished>(id)) << "finished before it was stopped";
  }
  ASSERT_FALSE(resume.empty());

  // Second session: the pieces of the resume data are there before any peer.
  // Another address: the seeder may not have dropped the first session's
  // connection yet, and one address is one peer to it.
  auto second = StartNode("127.0.0.3");
  ASSERT_TRUE(second);
  const TorrentId id = Resumed(*second, resume);
  ASSERT_TRUE(StatusUntil(*second, id, [](const torrent::TorrentStatus& s) {
    return s.state == torrent::TorrentState::kDownloading && !s.pieces.empty();
  }));
  const int had = second->PiecesHad(id);
  const std::vector<bool> had_pieces = second->session->GetStatus(id)->pieces;
  uint64_t had_bytes = 0;
  for (int i = 0; i < total_pieces; ++i)
    if (had_pieces[static_cast<size_t>(i)])
      had_bytes += i + 1 < total_pieces ? kPiece : kSize - uint64_t{kPiece} * (total_pieces - 1);
  EXPECT_GE(had, total_pieces / 4);
  EXPECT_LT(had, total_pieces);
  EXPECT_EQ(second->session->GetStatus(id)->save_dir, dir_.Path("get"));

  ASSERT_TRUE(second->session->ConnectPeer(id, "127.0.0.2", seeder->port).ok());
  ASSERT_TRUE(RunUntil([&] { return second->Has<torrent::event::Finished>(id); }));
  EXPECT_EQ(Sha256File(dir_.Path("get/file.bin")), sha);
  // Pieces verified in the first session were not fetched again (partial
  // pieces may have kept some of their blocks too).
  const torrent::PeerLedger* ledger = second->session->Ledger(id);
  ASSERT_NE(ledger, nullptr);
  EXPECT_LE(ledger->Totals().lan_received, kSize - had_bytes);
  EXPECT_GT(ledger->Totals().lan_received, 0u);
  // The first session's rate limit did not come back with its resume data.
  EXPECT_EQ(DownloadLimitOf(resume), 512 << 10);
  ASSERT_TRUE(second->session->SaveResumeData(id).ok());
  ASSERT_TRUE(RunUntil([&] { return second->Has<torrent::event::ResumeDataSaved>(id); }));
  EXPECT_LE(DownloadLimitOf(second->Events<torrent::event::ResumeDataSaved>().front().data), 0);
}

// Resume data saved at a quarter, the session gone at three quarters (as a
// kill -9 after a checkpoint leaves it): a new session takes back from the
// file, before any peer, every piece held whole there, hashing each; a piece
// damaged on disk meanwhile fails that check and is fetched again, and the
// file comes out right.
TEST_F(ResumeTest, PiecesInTheFileBeyondTheResumeDataAreTakenBack) {
  ASSERT_NO_FATAL_FAILURE(Seed(TorrentKind::kHybrid, 0x6b696c6c));
  const std::string& sha = sha_;
  TorrentNode* seeder = seeder_.get();
  const int total_pieces = static_cast<int>((kSize + kPiece - 1) / kPiece);
  std::string resume;
  std::vector<bool> at_stop, after_save;
  {
    auto first = StartNode("127.0.0.1");
    ASSERT_TRUE(first);
    TorrentId id = 0;
    ASSERT_NO_FATAL_FAILURE(id = FetchToAQuarter(*first));
    ASSERT_TRUE(first->session->SaveResumeData(id).ok());
    ASSERT_TRUE(RunUntil([&] { return first->Has<torrent::event::ResumeDataSaved>(id); }));
    resume = first->Events<torrent::event::ResumeDataSaved>().front().data;
    // A status from after the data was made: none of the pieces it lacks are
    // in the data.
    ASSERT_TRUE(StatusUntil(*first, id, [](const torrent::TorrentStatus&) { return true; }));
    after_save = first->session->GetStatus(id)->pieces;
    ASSERT_TRUE(StatusUntil(*first, id, [&](const torrent::TorrentStatus&) {
      return first->PiecesHad(id) >= 3 * total_pieces / 4;
    }));
    ASSERT_TRUE(first->session->Pause(id).ok());
    ASSERT_TRUE(StatusUntil(*first, id, [](const torrent::TorrentStatus& s) { return s.paused; }));
    at_stop = first->session->GetStatus(id)->pieces;
    ASSERT_FALSE(first->Has<torrent::event::Finished>(id));
  }
  // A piece verified before the stop that the resume data does not name: one
  // byte of it goes bad on disk.
  int damaged = -1;
  for (int i = total_pieces - 1; i >= 0 && damaged < 0; --i)
    if (at_stop[static_cast<size_t>(i)] && !after_save[static_cast<size_t>(i)]) damaged = i;
  ASSERT_GE(damaged, 0);
  {
    std::fstream f(dir_.Path("get/file.bin"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(damaged) * kPiece + 100);
    const char c = static_cast<char>(f.get() ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(damaged) * kPiece + 100);
    f.put(c);
  }
  int had_at_stop = 0;
  for (bool b : at_stop) had_at_stop += b;

  auto second = StartNode("127.0.0.3");
  ASSERT_TRUE(second);
  const TorrentId id = Resumed(*second, resume);
  // No peer yet: whatever it has beyond the resume data came from the file.
  ASSERT_TRUE(StatusUntil(
      *second, id,
      [&](const torrent::TorrentStatus&) { return second->PiecesHad(id) >= had_at_stop - 1; }))
      << second->PiecesHad(id) << " of the " << had_at_stop << " pieces had at the stop";
  EXPECT_FALSE(second->session->GetStatus(id)->pieces[static_cast<size_t>(damaged)])
      << "the damaged piece failed its check";
  const int taken_back = second->PiecesHad(id);

  ASSERT_TRUE(second->session->ConnectPeer(id, "127.0.0.2", seeder->port).ok());
  ASSERT_TRUE(RunUntil([&] { return second->Has<torrent::event::Finished>(id); }));
  EXPECT_EQ(Sha256File(dir_.Path("get/file.bin")), sha);
  const torrent::PeerLedger* ledger = second->session->Ledger(id);
  ASSERT_NE(ledger, nullptr);
  EXPECT_LE(ledger->Totals().lan_received, kSize - uint64_t{kPiece} * (taken_back - 1))
      << "pieces taken back from the file were fetched again";
}

}  // namespace
}  // namespace ferry::test
