#include "lib/torrent/staged_pieces.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace ferry::torrent {
namespace {

using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

using Blocks = std::map<int, std::vector<bool>>;

TEST(StagedPiecesTest, BlocksWhollyInDataOfPiecesNotHadAlready) {
  // Blocks of 10 bytes, pieces of 20, a file of 55 (3 pieces, the last one
  // of 2 blocks: 40-50 and 50-55).
  const Ranges data = {{0, 25}, {30, 55}};
  const std::vector<bool> have = {true, false, false};
  // Piece 0 is had; block 2 (20-30) ends past 25; 3 (30-40), 4, 5 are in.
  const Blocks want = {{1, {false, true}}, {2, {true, true}}};
  EXPECT_EQ(BlocksInRanges(data, 20, 10, 55, have), want);
}

TEST(StagedPiecesTest, RangesThatCoverNoWholeBlockGiveNone) {
  EXPECT_TRUE(BlocksInRanges({{5, 15}, {21, 29}}, 20, 10, 40, {}).empty());
  EXPECT_TRUE(BlocksInRanges({}, 20, 10, 40, {}).empty());
  EXPECT_TRUE(BlocksInRanges({{0, 40}}, 0, 10, 40, {}).empty()) << "no piece length";
  EXPECT_TRUE(BlocksInRanges({{0, 40}}, 25, 10, 40, {}).empty()) << "pieces not of whole blocks";
  const Blocks all = {{0, {true, true}}, {1, {true, true}}};
  EXPECT_EQ(BlocksInRanges({{0, 100}}, 20, 10, 40, {}), all)
      << "data beyond the file's size is no block";
}

// A real sparse file: what was written is data, the rest is a hole (on file
// systems with SEEK_HOLE; others report the whole file as data, which the
// module's hash check makes harmless).
TEST(StagedPiecesTest, DataRangesOfASparseFile) {
  test::TempDir dir("ferry-staged");
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.Path("sparse.bin");
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  const std::string block(1 << 20, 'x');
  ASSERT_EQ(::pwrite(fd, block.data(), block.size(), 4 << 20), static_cast<ssize_t>(block.size()));
  ASSERT_EQ(::ftruncate(fd, 8 << 20), 0);
  ::close(fd);
  const Ranges ranges = DataRanges(path);
  ASSERT_FALSE(ranges.empty());
  uint64_t covered = 0;
  for (const auto& [b, e] : ranges) {
    EXPECT_LT(b, e);
    if (b <= (4u << 20) && e >= (5u << 20)) covered = 1;
  }
  EXPECT_EQ(covered, 1u) << "the written MiB is data";
  if (ranges.size() == 1 && ranges[0].first == 0 && ranges[0].second == (8u << 20))
    GTEST_SKIP() << "this file system reports no holes";
  for (const auto& [b, e] : ranges) EXPECT_TRUE(e <= (4u << 20) || b >= (4u << 20) - 4096);
  EXPECT_TRUE(DataRanges(dir.Path("missing")).empty());
}

}  // namespace
}  // namespace ferry::torrent
