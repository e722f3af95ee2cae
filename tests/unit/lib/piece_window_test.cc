#include "lib/torrent/piece_window.h"

#include <gtest/gtest.h>

namespace ferry::torrent {
namespace {

TEST(PieceWindowTest, StartsAtTheFirstMissingPieceAndSlidesWithThePrefix) {
  PieceWindow w({true, true, false, false, false, false, false, false}, 3);
  EXPECT_EQ(w.prefix(), 2);
  EXPECT_EQ(w.end(), 5);
  EXPECT_EQ(w.pieces(), 8);
  EXPECT_TRUE(w.InWindow(4));
  EXPECT_FALSE(w.InWindow(5));
  // A piece inside the window but not at its front: nothing slides.
  EXPECT_TRUE(w.Passed(3).empty());
  EXPECT_EQ(w.prefix(), 2);
  // The front: the prefix runs over 2 and 3, two pieces join.
  EXPECT_EQ(w.Passed(2), (std::vector<int>{5, 6}));
  EXPECT_EQ(w.prefix(), 4);
  EXPECT_EQ(w.end(), 7);
}

TEST(PieceWindowTest, PiecesVerifiedAheadOfTheWindowAreNotRaisedWhenItReachesThem) {
  PieceWindow w(std::vector<bool>(8, false), 2);
  EXPECT_TRUE(w.Passed(3).empty());  // ahead of [0, 2)
  EXPECT_TRUE(w.Passed(1).empty());
  EXPECT_EQ(w.Passed(0), (std::vector<int>{2}));  // [2, 4): 3 is verified
  EXPECT_EQ(w.Passed(2), (std::vector<int>{4, 5}));  // prefix 4, window [4, 6)
  EXPECT_EQ(w.prefix(), 4);
}

TEST(PieceWindowTest, EndsAtTheLastPieceAndIgnoresBadOrRepeatedReports) {
  PieceWindow w(std::vector<bool>(3, false), 5);
  EXPECT_EQ(w.end(), 3);
  EXPECT_TRUE(w.Passed(-1).empty());
  EXPECT_TRUE(w.Passed(3).empty());
  EXPECT_TRUE(w.Passed(0).empty());
  EXPECT_TRUE(w.Passed(0).empty());
  EXPECT_EQ(w.prefix(), 1);
  w.Passed(2);
  w.Passed(1);
  EXPECT_EQ(w.prefix(), 3);
  EXPECT_EQ(w.end(), 3);
  EXPECT_FALSE(w.InWindow(2));
}

TEST(PieceWindowTest, AllVerifiedOrEmptyHasAnEmptyWindow) {
  PieceWindow all(std::vector<bool>(4, true), 2);
  EXPECT_EQ(all.prefix(), 4);
  EXPECT_EQ(all.end(), 4);
  PieceWindow none(std::vector<bool>{}, 0);
  EXPECT_EQ(none.prefix(), 0);
  EXPECT_EQ(none.end(), 0);
  EXPECT_TRUE(none.Passed(0).empty());
}

}  // namespace
}  // namespace ferry::torrent
