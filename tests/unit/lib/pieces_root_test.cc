#include "lib/crypto/pieces_root.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "lib/crypto/sha256.h"
#include "support/temp_dir.h"
#include "support/torrent_tools.h"

namespace ferry::crypto {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr char kZeroRoot[] = "0000000000000000000000000000000000000000000000000000000000000000";

std::vector<std::byte> RandomBytes(uint64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(gen() & 0xff);
  return out;
}

// libtorrent's own pieces root of `data` (support/pieces_root.py).
std::string LibtorrentRoot(const test::TempDir& dir, const std::vector<std::byte>& data) {
  std::string path = dir.path() + "/content";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  std::string cmd = "/usr/bin/python3 " FERRY_SOURCE_DIR "/tests/support/pieces_root.py " + path;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  char line[128] = {};
  std::string out = fgets(line, sizeof line, p) != nullptr ? line : "";
  pclose(p);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(PiecesRootTest, EmptyFileHasTheZeroRoot) { EXPECT_EQ(PiecesRootHex({}), kZeroRoot); }

TEST(PiecesRootTest, OneBlockIsItsOwnSha256) {
  auto one = RandomBytes(1, 1);
  EXPECT_EQ(PiecesRootHex(one), Sha256Hex(one));
  auto block = RandomBytes(16 * kKiB, 2);
  EXPECT_EQ(PiecesRootHex(block), Sha256Hex(block));
}

TEST(PiecesRootTest, TwoBlocksAreTheirParent) {
  auto data = RandomBytes(16 * kKiB + 1, 3);
  Sha256 h;
  h.Update(std::span(data).first(16 * kKiB));
  auto left = h.Final();
  h.Update(std::span(data).subspan(16 * kKiB));
  auto right = h.Final();
  h.Update(left);
  h.Update(right);
  EXPECT_EQ(PiecesRootHex(data), h.FinalHex());
}

TEST(PiecesRootTest, ChunkingDoesNotMatter) {
  auto data = RandomBytes(5 * 16 * kKiB + 123, 4);
  std::string whole = PiecesRootHex(data);
  for (size_t chunk :
       {size_t{1}, size_t{7}, size_t{16 * kKiB}, size_t{16 * kKiB + 1}, size_t{64 * kKiB}}) {
    PiecesRoot r;
    for (size_t off = 0; off < data.size(); off += chunk)
      r.Update(std::span(data).subspan(off, std::min(chunk, data.size() - off)));
    EXPECT_EQ(r.size(), data.size());
    EXPECT_EQ(r.FinalHex(), whole) << "chunk " << chunk;
  }
  PiecesRoot reused;  // Final starts over
  reused.Update(data);
  (void)reused.Final();
  reused.Update(data);
  EXPECT_EQ(reused.FinalHex(), whole);
}

// The root must be libtorrent's, for sizes around the block and piece
// boundaries (libtorrent picks the piece length from the size: 16 KiB up
// to 4 MiB pieces here) and a multi-MiB file.
TEST(PiecesRootTest, EqualsLibtorrentsV2PiecesRoot) {
  if (!test::PythonLibtorrentAvailable()) GTEST_SKIP() << "python3-libtorrent is not installed";
  test::TempDir dir;
  const uint64_t sizes[] = {1,
                            100,
                            16 * kKiB - 1,
                            16 * kKiB,
                            16 * kKiB + 1,
                            32 * kKiB,
                            48 * kKiB,
                            64 * kKiB + 1,
                            256 * kKiB,
                            256 * kKiB + 1,
                            1024 * kKiB - 1,
                            3 * 1024 * kKiB + 5,
                            9 * 1024 * kKiB};
  uint32_t seed = 10;
  for (uint64_t n : sizes) {
    auto data = RandomBytes(n, seed++);
    EXPECT_EQ(PiecesRootHex(data), LibtorrentRoot(dir, data)) << n << " bytes";
  }
  EXPECT_EQ(LibtorrentRoot(dir, {}), "empty");  // libtorrent makes no torrent of it
}

}  // namespace
}  // namespace ferry::crypto
