// WebSeedFeeder's pure parts: which URL holds a torrent file on a web seed
// (BEP 19), which byte ranges make up a run of pieces (pad bytes between
// files are zeros), and which run comes next.
#include <gtest/gtest.h>

#include "transfer/p2p/web_seed_feeder.h"

namespace ferry::transfer {
namespace {

torrent::TorrentStatus OneFile(uint64_t size, int piece_length) {
  torrent::TorrentStatus st;
  st.has_metadata = true;
  st.name = "a b.bin";
  st.piece_length = piece_length;
  st.total_size = size;
  st.files = {{0, "a b.bin", size, 0}};
  st.pieces.assign((size + piece_length - 1) / piece_length, false);
  return st;
}

// dir/x (100 bytes), pad to 128, dir/y (50 bytes), piece length 64: pieces
// 0-1 are x and pad, piece 2 is y's first 64 bytes... y is at 128..178.
torrent::TorrentStatus TwoFiles() {
  torrent::TorrentStatus st;
  st.has_metadata = true;
  st.name = "dir";
  st.piece_length = 64;
  st.total_size = 178;
  st.files = {{0, "dir/x", 100, 0}, {2, "dir/y y", 50, 128}};
  st.pieces.assign(3, false);
  return st;
}

TEST(WebSeedPlanTest, FileUrlsFollowBep19) {
  auto one = OneFile(10, 16);
  EXPECT_EQ(WebSeedFileUrl("http://h/f.bin", one, one.files[0]), "http://h/f.bin");
  EXPECT_EQ(WebSeedFileUrl("http://h/d/", one, one.files[0]), "http://h/d/a%20b.bin");
  auto two = TwoFiles();
  EXPECT_EQ(WebSeedFileUrl("http://h/d", two, two.files[0]), "http://h/d/dir/x");
  EXPECT_EQ(WebSeedFileUrl("http://h/d/", two, two.files[1]), "http://h/d/dir/y%20y");
}

TEST(WebSeedPlanTest, SegmentsOfARunMergeAndPadWithZeros) {
  auto two = TwoFiles();
  std::vector<PieceSegment> s = PieceSegments(two, "http://h/", 0, 2);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].url, "http://h/dir/x");
  EXPECT_EQ(s[0].offset, 0u);
  EXPECT_EQ(s[0].length, 100u);
  EXPECT_EQ(s[1].url, "");  // pad
  EXPECT_EQ(s[1].length, 28u);
  EXPECT_EQ(s[2].url, "http://h/dir/y%20y");
  EXPECT_EQ(s[2].offset, 0u);
  EXPECT_EQ(s[2].length, 50u);

  s = PieceSegments(two, "http://h/", 1, 1);  // bytes 64..128 of x, then pad
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].offset, 64u);
  EXPECT_EQ(s[0].length, 36u);
  EXPECT_EQ(s[1].length, 28u);

  auto one = OneFile(100, 16);
  s = PieceSegments(one, "http://h/f", 2, 6);  // the last piece is short
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].offset, 32u);
  EXPECT_EQ(s[0].length, 68u);
  EXPECT_TRUE(PieceSegments(one, "http://h/f", 3, 7).empty());  // out of range
  EXPECT_TRUE(PieceSegments(one, "http://h/f", 2, 1).empty());
}

TEST(WebSeedPlanTest, TheNextRunSkipsWhatIsHereBusyOrNotWanted) {
  auto one = OneFile(160, 16);  // 10 pieces
  one.pieces[0] = one.pieces[1] = true;
  EXPECT_EQ(NextRun(one, 0, 160, 1 << 20, {}), std::make_pair(2, 9));
  EXPECT_EQ(NextRun(one, 0, 160, 48, {}), std::make_pair(2, 4));  // 3 pieces fit
  EXPECT_EQ(NextRun(one, 0, 160, 1, {}), std::make_pair(2, 2));   // one at least
  EXPECT_EQ(NextRun(one, 0, 160, 1 << 20, {2, 3}), std::make_pair(4, 9));
  one.pieces[6] = true;
  EXPECT_EQ(NextRun(one, 0, 160, 1 << 20, {}), std::make_pair(2, 5));
  EXPECT_EQ(NextRun(one, 100, 120, 1 << 20, {}), std::make_pair(7, 7));  // the wanted file's bytes
  for (size_t i = 0; i < one.pieces.size(); ++i) one.pieces[i] = true;
  EXPECT_EQ(NextRun(one, 0, 160, 1 << 20, {}), std::nullopt);

  auto two = TwoFiles();  // only y wanted: bytes 128..178, piece 2
  EXPECT_EQ(NextRun(two, 128, 178, 1 << 20, {}), std::make_pair(2, 2));
}

}  // namespace
}  // namespace ferry::transfer
