// The "ferry_origin" extension of content torrents (session.h OriginReport,
// OriginView; docs/peering.md "Who asks the origin"): real libtorrent
// sessions on loopback addresses tell each other who fetches the content from
// the origin and how far; a host in upload mode with no piece stays connected
// (it is what a host fetching from the origin looks like); ranks order the
// hosts; a torrent that is not a content torrent has no report.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <vector>

#include "ferry/content_id.h"
#include "torrent/torrent_maker.h"
#include "torrent/torrent_node.h"
#include "util/content_id.h"

namespace ferry::test {
namespace {

using torrent::TorrentId;

constexpr uint64_t kSize = kMiB + 99;

class OriginReportTest : public TorrentTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    ASSERT_FALSE(WriteRandomFile(dir_.Path("file.bin"), kSize, 0x6f726967).empty());
    std::string text;
    ASSERT_TRUE(ContentIdOfFile(dir_.Path("file.bin"), &text).ok());
    auto id = ParseContentId(text);
    ASSERT_TRUE(id.ok());
    spec_.size = id->size;
    spec_.root = id->root;
  }

  // Node `i` on 127.0.0.(i+1) with the id's torrent running (nobody has a
  // piece), written to its own directory.
  void StartNodes(int n) {
    for (int i = 0; i < n; ++i) {
      nodes_.push_back(StartNode("127.0.0." + std::to_string(i + 1)));
      ASSERT_TRUE(nodes_.back());
      std::string dir = dir_.Path("n" + std::to_string(i));
      std::filesystem::create_directories(dir);
      torrent::AddParams p;
      p.content = spec_;
      p.save_dir = dir;
      p.store_as = dir + "/out.bin";
      p.paused = false;
      ids_.push_back(AddAndWait(*nodes_.back(), p));
      ASSERT_NE(ids_.back(), 0u);
    }
  }
  void Connect(int from, int to) {
    ASSERT_TRUE(nodes_[from]
                    ->session->ConnectPeer(ids_[from], "127.0.0." + std::to_string(to + 1),
                                           nodes_[to]->port)
                    .ok());
  }
  torrent::OriginView View(int i) { return nodes_[i]->session->GetOriginView(ids_[i]); }

  torrent::ContentSpec spec_;
  std::vector<std::unique_ptr<TorrentNode>> nodes_;
  std::vector<TorrentId> ids_;
};

TEST_F(OriginReportTest, PeersSeeWhoFetchesFromTheOriginAndHowFar) {
  StartNodes(3);
  // Node 0 fetches from the origin: its torrent is in upload mode.
  ASSERT_TRUE(nodes_[0]->session->SetUploadOnly(ids_[0], true).ok());
  ASSERT_TRUE(nodes_[0]->session->SetOriginReport(ids_[0], {true, 1000}).ok());
  Connect(1, 0);
  Connect(2, 0);
  Connect(2, 1);
  ASSERT_TRUE(RunUntil([&] {
    return View(1).fetching == 1 && View(1).fetched >= 1000 && View(2).fetching == 1 &&
           View(0).ferry_peers == 2 && View(1).ferry_peers == 2 && View(2).ferry_peers == 2;
  })) << "node 1 sees " << View(1).ferry_peers << " peers, " << View(1).fetching << " fetching";
  // Ranks order the three: 0, 1 and 2 once each.
  std::vector<int> ranks = {View(0).rank, View(1).rank, View(2).rank};
  std::sort(ranks.begin(), ranks.end());
  EXPECT_EQ(ranks, (std::vector<int>{0, 1, 2}));

  ASSERT_TRUE(nodes_[0]->session->SetOriginReport(ids_[0], {true, 500000}).ok());
  ASSERT_TRUE(RunUntil([&] { return View(1).fetched >= 500000 && View(2).fetched >= 500000; }));
  ASSERT_TRUE(nodes_[0]->session->SetOriginReport(ids_[0], {false, kSize}).ok());
  ASSERT_TRUE(RunUntil([&] { return View(1).fetching == 0 && View(1).fetched >= kSize; }));
  // The node in upload mode with nothing to offer is still connected.
  EXPECT_EQ(View(1).ferry_peers, 2);
  EXPECT_EQ(View(0).ferry_peers, 2);
  EXPECT_EQ(View(1).fetched, kSize) << "fetched sums what each peer last said";
}

TEST_F(OriginReportTest, WhatAPeerSaidStaysCountedAfterItLeaves) {
  StartNodes(2);
  ASSERT_TRUE(nodes_[0]->session->SetOriginReport(ids_[0], {true, 4096}).ok());
  Connect(1, 0);
  ASSERT_TRUE(RunUntil([&] { return View(1).fetched >= 4096; }));
  ASSERT_TRUE(nodes_[0]->session->Remove(ids_[0], false).ok());
  ASSERT_TRUE(RunUntil([&] { return View(1).ferry_peers == 0; }));
  EXPECT_EQ(View(1).fetched, 4096u) << "the count never goes down";
  EXPECT_EQ(View(1).fetching, 0);
}

TEST_F(OriginReportTest, OnlyContentTorrentsReport) {
  StartNodes(1);
  torrent::Session& s = *nodes_[0]->session;
  EXPECT_EQ(s.SetOriginReport(ids_[0] + 100, {true, 1}).code(), code::kNotSet);
  std::string made = MakeTorrent(dir_.Path("file.bin"), TorrentKind::kV1, 64 << 10);
  ASSERT_FALSE(made.empty());
  std::filesystem::create_directories(dir_.Path("v1"));
  const TorrentId v1 = AddRunning(*nodes_[0], made, dir_.Path("v1"));
  ASSERT_NE(v1, 0u);
  EXPECT_EQ(s.SetOriginReport(v1, {true, 1}).code(), code::kInvalidArg);
  EXPECT_EQ(s.GetOriginView(v1).ferry_peers, 0);
}

}  // namespace
}  // namespace ferry::test
