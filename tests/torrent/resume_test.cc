// Resume data round trip: a download stopped half-way is saved, the session
// is destroyed, and a new session resumes from the data without fetching the
// pieces it already verified.
#include <gtest/gtest.h>

#include <filesystem>

#include "torrent/torrent_maker.h"
#include "torrent/torrent_node.h"

namespace ferry::test {
namespace {

using torrent::TorrentId;

constexpr uint64_t kSize = 4 * kMiB + 777;
constexpr int kPiece = 64 << 10;

TEST_F(TorrentTest, ResumeDataKeepsVerifiedPieces) {
  ASSERT_TRUE(dir_.ok());
  std::filesystem::create_directories(dir_.Path("seed"));
  std::filesystem::create_directories(dir_.Path("get"));
  const std::string sha = WriteRandomFile(dir_.Path("seed/file.bin"), kSize, 0x72657375);
  const std::string torrent = MakeTorrent(dir_.Path("seed/file.bin"), TorrentKind::kV1, kPiece);
  ASSERT_FALSE(torrent.empty());
  auto seeder = StartNode("127.0.0.2");
  ASSERT_TRUE(seeder);
  ASSERT_NE(SeedAndWait(*seeder, {torrent, dir_.Path("seed/file.bin")}), 0u);

  // First session: slowed down, stopped once a quarter of the pieces are in.
  std::string resume;
  const int total_pieces = static_cast<int>((kSize + kPiece - 1) / kPiece);
  {
    auto first = StartNode("127.0.0.1");
    ASSERT_TRUE(first);
    const TorrentId id = AddRunning(*first, torrent, dir_.Path("get"));
    ASSERT_NE(id, 0u);
    ASSERT_TRUE(first->session->SetTorrentLimits(id, {0, 512 << 10}).ok());
    ASSERT_TRUE(first->session->ConnectPeer(id, "127.0.0.2", seeder->port).ok());
    ASSERT_TRUE(StatusUntil(*first, id, [&](const torrent::TorrentStatus&) {
      return first->PiecesHad(id) >= total_pieces / 4;
    }));
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
  torrent::AddParams params;
  params.resume_data = resume;
  params.paused = false;
  const TorrentId id = AddAndWait(*second, params);
  ASSERT_NE(id, 0u);
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

}  // namespace
}  // namespace ferry::test
