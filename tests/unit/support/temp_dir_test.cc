#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>


namespace ferry::test {
namespace {

TEST(TempDirTest, CreatesAndRemovesRecursively) {
  std::string path;
  {
    TempDir dir("ferry-self");
    ASSERT_TRUE(dir.ok());
    path = dir.path();
    EXPECT_TRUE(std::filesystem::is_directory(path));
    EXPECT_NE(path.find("ferry-self-"), std::string::npos);
    std::filesystem::create_directories(dir.Path("a/b"));
    ASSERT_TRUE(WriteFile(dir.Path("a/b/f"), "hello"));
    EXPECT_EQ(ReadFile(dir.Path("a/b/f")), "hello");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDirTest, Sha256HexIsTheProjectsSha256) {
  // The algorithm itself is tested in tests/unit/lib/sha256_test.cc.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TempDirTest, RandomFilesAreDeterministicAndMatchSha256sum) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const uint64_t size = 3 * 1024 * 1024 + 13;  // crosses the 1 MiB buffer and 8-byte words
  std::string sha = WriteRandomFile(dir.Path("r"), size, 42);
  ASSERT_EQ(sha.size(), 64u);
  EXPECT_EQ(Sha256File(dir.Path("r")), sha);
  EXPECT_EQ(WriteRandomFile(dir.Path("r2"), size, 42), sha);
  EXPECT_NE(WriteRandomFile(dir.Path("r3"), size, 43), sha);
  std::string bytes = RandomBytes(size, 42);
  EXPECT_EQ(bytes.size(), size);
  EXPECT_EQ(Sha256Hex(bytes), sha);
  EXPECT_EQ(RandomBytes(100, 42), bytes.substr(0, 100));
  EXPECT_EQ(ReadFile(dir.Path("r")), bytes);

  // Against the system's sha256sum, when present.
  std::string cmd = "sha256sum " + dir.Path("r") + " > " + dir.Path("sum") + " 2>/dev/null";
  if (std::system(cmd.c_str()) == 0) {
    EXPECT_EQ(ReadFile(dir.Path("sum")).value_or("").substr(0, 64), sha);
  }
  EXPECT_EQ(Sha256File(dir.Path("missing")), "");
  EXPECT_FALSE(ReadFile(dir.Path("missing")).has_value());
}

}  // namespace
}  // namespace ferry::test
