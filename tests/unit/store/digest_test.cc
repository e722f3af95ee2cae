// store's DigestFactories: the pieces-root digest the engine verifies
// content ids with gives the root that ContentIdOfFile (the SDK, `ferry
// hash`) puts in the file's id, whatever the chunking of the bytes.
#include "store/digest.h"

#include <gtest/gtest.h>

#include "ferry/content_id.h"
#include "support/temp_dir.h"
#include "util/content_id.h"

namespace ferry::test {
namespace {

constexpr uint64_t kBlock = 16 * 1024;

std::string RootInChunks(std::string_view data, size_t chunk) {
  auto digest = store::MakePiecesRootDigestFactory()();
  for (size_t off = 0; off < data.size(); off += chunk) {
    std::string_view part = data.substr(off, chunk);
    digest->Update(std::as_bytes(std::span(part.data(), part.size())));
  }
  return digest->FinalHex();
}

TEST(DigestTest, PiecesRootDigestEqualsContentIdOfFile) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, kBlock - 1, kBlock, kBlock + 1, 3 * kBlock + 7,
                        64 * kBlock + 5}) {
    SCOPED_TRACE(size);
    std::string data = RandomBytes(size, size + 1);
    std::string path = dir.Path("f" + std::to_string(size));
    ASSERT_TRUE(WriteFile(path, data));
    std::string text;
    ASSERT_TRUE(ContentIdOfFile(path, &text).ok());
    auto id = ParseContentId(text);
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(id->size, size);
    for (size_t chunk : {size_t{1000}, size_t{kBlock}, size_t{1} << 20})
      EXPECT_EQ(RootInChunks(data, chunk), id->root) << "chunks of " << chunk;
  }
}

TEST(DigestTest, EachFactoryCallIsIndependent) {
  auto factory = store::MakePiecesRootDigestFactory();
  auto a = factory();
  auto b = factory();
  std::string x = "x";
  a->Update(std::as_bytes(std::span(x.data(), x.size())));
  EXPECT_EQ(b->FinalHex(), std::string(64, '0')) << "the empty file's root";
  EXPECT_NE(a->FinalHex(), std::string(64, '0'));
}

}  // namespace
}  // namespace ferry::test
