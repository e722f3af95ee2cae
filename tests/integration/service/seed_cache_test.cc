// The seeding cache (issue 12 §4, docs/p2p.md "Seeding cache") through a real
// ferryd and real libtorrent: a torrent ferryd fetched is kept in its cache
// (its own copy) and served to another client (support/lt_fetch.py, a plain
// libtorrent, connecting to ferryd's listen address) after the original
// seeder is gone; the cache survives kill -9 and SIGTERM restarts and is
// seeded again; a small absolute_max_cache_size keeps the most recently used
// entry only and refuses a file larger than itself; ferry cache [--json] and
// ferry cache clear.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/torrent_service_test.h"

namespace ferry::test {
namespace {

constexpr auto kFetchTimeout = std::chrono::seconds(90);

class SeedCacheTest : public TorrentServiceTest {
 protected:
  std::vector<CacheEntry> Cache() {
    std::vector<CacheEntry> entries;
    Status s = manager_->ListCache(&entries);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return entries;
  }
  // Waits until the cache lists `n` entries.
  bool CacheHas(size_t n) {
    return Eventually([&] { return Cache().size() == n; }, std::chrono::seconds(30));
  }
  // lt_fetch.py on 127.0.0.3 fetches `torrent` from ferryd alone (the seeder
  // is stopped first) and checks the bytes.
  void FetchFromFerryd(const Torrent& torrent, const std::string& sha) {
    if (seeder_.running()) seeder_.Kill();
    const std::string out = env_.work().Path("leecher-" + std::to_string(++leeches_));
    std::string report;
    Status s = FetchWithLibtorrent("", "127.0.0.3", torrent, out,
                                   {"127.0.0.1:" + std::to_string(port_)}, kFetchTimeout, &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(Sha256File(out + "/" + torrent.name), sha) << report;
  }
  // Waits until the only entry counts `n` bytes uploaded (status every 5 s);
  // a failure says what the cache counted.
  ::testing::AssertionResult UploadedAtLeast(uint64_t n) {
    auto counted = [&] {
      auto entries = Cache();
      return entries.size() == 1 && entries[0].bytes_uploaded >= n;
    };
    if (Eventually(counted, std::chrono::seconds(30))) return ::testing::AssertionSuccess();
    auto entries = Cache();
    auto failure = ::testing::AssertionFailure() << entries.size() << " cache entries";
    for (const CacheEntry& e : entries)
      failure << "; " << e.name << " uploaded " << e.bytes_uploaded << " of " << n;
    return failure;
  }
  // The cache's copy of content `key` ("<key>.<n>.data"); "" when none.
  std::string CachePath(const std::string& key) const {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(env_.state_dir() + "/cache", ec))
      if (e.path().filename().string().rfind(key + ".", 0) == 0) return e.path().string();
    return "";
  }
  int leeches_ = 0;
};

TEST_F(SeedCacheTest, AFetchedTorrentIsServedFromTheCacheToAnotherClient) {
  StartSeeder();
  DownloadAndCheck(torrent_.Magnet());
  ASSERT_TRUE(CacheHas(1));
  CacheEntry e = Cache()[0];
  EXPECT_EQ(e.content, "btih:" + torrent_.v1_hash);
  EXPECT_EQ(e.info_hash_v1, torrent_.v1_hash);
  EXPECT_EQ(e.name, "content.bin");
  EXPECT_EQ(e.size_bytes, kSize);
  EXPECT_EQ(e.bytes_uploaded, 0u);
  // The cache's own copy, not the delivered file.
  struct stat cached{}, delivered{};
  ASSERT_EQ(::stat(CachePath(torrent_.v1_hash).c_str(), &cached), 0);
  ASSERT_EQ(::stat(env_.work().Path("out.bin").c_str(), &delivered), 0);
  EXPECT_NE(cached.st_ino, delivered.st_ino);
  EXPECT_EQ(Sha256File(CachePath(torrent_.v1_hash)), sha_);

  FetchFromFerryd(torrent_, sha_);
  EXPECT_TRUE(UploadedAtLeast(kSize)) << "ferryd's upload count";
  ServiceStatistics st;
  ASSERT_TRUE(manager_->GetStatistics(&st).ok());
  EXPECT_EQ(st.cache_entries, 1u);
  EXPECT_EQ(st.cache_size_bytes, kSize);
}

// One torrent per info-hash in a session: a job fetching content the cache
// seeds takes it over, and the cache seeds it again once the job is done.
TEST_F(SeedCacheTest, AJobFetchingCachedContentTakesOverAndTheCacheSeedsAgain) {
  StartSeeder();
  DownloadAndCheck(torrent_.Magnet());
  ASSERT_TRUE(CacheHas(1));
  DownloadAndCheck("file://" + torrent_path_);
  ASSERT_EQ(Cache().size(), 1u);
  FetchFromFerryd(torrent_, sha_);
  EXPECT_TRUE(UploadedAtLeast(kSize));
}

TEST_F(SeedCacheTest, TheCacheSurvivesRestartsAndIsSeededAgain) {
  StartSeeder();
  DownloadAndCheck("file://" + torrent_path_);
  ASSERT_TRUE(CacheHas(1));
  seeder_.Kill();
  RestartService(/*kill9=*/true);
  ASSERT_EQ(Cache().size(), 1u);
  FetchFromFerryd(torrent_, sha_);
  ASSERT_TRUE(UploadedAtLeast(kSize));
  RestartService(/*kill9=*/false);
  std::vector<CacheEntry> after = Cache();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_GE(after[0].bytes_uploaded, kSize) << "the upload count is kept";
  FetchFromFerryd(torrent_, sha_);
}

TEST_F(SeedCacheTest, ASmallCacheKeepsTheMostRecentlyUsedAndRefusesLargerFiles) {
  constexpr uint64_t kSmall = 2 * kMiB + 7;
  const std::string small_sha = AddDocFile("small.bin", kSmall, 0x736d616c);
  Torrent small;
  const std::string small_path = docroot_.Path("small.bin.torrent");
  ASSERT_TRUE(MakeTorrent(TorrentKind::kHybrid, docroot_.Path("small.bin"), "", small_path, &small).ok());
  Status s;
  manager_.reset();
  ASSERT_TRUE(env_.ferryd().Terminate().ok());
  const std::string bounded = Config({{"absolute_max_cache_size", kSize + kMiB}});
  ASSERT_TRUE((s = env_.RestartFerryd(&bounded)).ok()) << s.ToString();
  Connect();

  StartSeeder();
  DownloadAndCheck(torrent_.Magnet());
  ASSERT_TRUE(CacheHas(1));
  seeder_.Kill();
  StartSeeder(0, small_path);
  DownloadAndCheck(small.Magnet(), kSmall, small_sha);
  // Both do not fit: the least recently used (the first) goes.
  ASSERT_TRUE(Eventually([&] {
    auto entries = Cache();
    return entries.size() == 1 && entries[0].size_bytes == kSmall;
  }, std::chrono::seconds(30)));
  EXPECT_EQ(Cache()[0].info_hash_v2, small.v2_hash);
  EXPECT_EQ(CachePath(torrent_.v1_hash), "");
  FetchFromFerryd(small, small_sha);

  // A bound smaller than the entry empties the cache at start; a file larger
  // than the bound is not cached.
  manager_.reset();
  ASSERT_TRUE(env_.ferryd().Terminate().ok());
  const std::string tiny = Config({{"absolute_max_cache_size", kMiB}});
  ASSERT_TRUE((s = env_.RestartFerryd(&tiny)).ok()) << s.ToString();
  Connect();
  EXPECT_TRUE(Cache().empty());
  StartSeeder();
  DownloadAndCheck(torrent_.Magnet());
  // Refused at Finished, before TRANSFERRED: nothing is in flight.
  EXPECT_TRUE(Cache().empty());
  EXPECT_EQ(env_.ferryd().Log().find("seeding cache: keeping"), std::string::npos);
}

TEST_F(SeedCacheTest, CliListsAndClearsTheCache) {
  if (!CliAvailable()) GTEST_SKIP() << "the ferry CLI was not built";
  CommandResult r = RunCli(env_.address(), {"cache"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("empty"), std::string::npos) << r.out;
  StartSeeder();
  DownloadAndCheck(torrent_.Magnet());
  ASSERT_TRUE(CacheHas(1));
  r = RunCli(env_.address(), {"cache", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  ASSERT_EQ(j["entries"].size(), 1u) << r.out;
  EXPECT_EQ(j["entries"][0]["content"], "btih:" + torrent_.v1_hash);
  EXPECT_EQ(j["entries"][0]["size_bytes"], kSize);
  EXPECT_EQ(j["entries"][0]["name"], "content.bin");
  r = RunCli(env_.address(), {"cache"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find(torrent_.v1_hash), std::string::npos) << r.out;
  // Columns line up under the header whatever the content's length.
  std::string header = r.out.substr(0, r.out.find('\n'));
  std::string entry = r.out.substr(header.size() + 1);
  EXPECT_EQ(header.find("NAME"), entry.find("content.bin")) << r.out;
  CommandResult listed = RunCli(env_.address(), {"cache", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.Describe();
  nlohmann::json lj = nlohmann::json::parse(listed.out, nullptr, false);
  ASSERT_TRUE(lj.is_object()) << listed.out;
  ASSERT_EQ(lj["entries"].size(), 1u) << listed.out;
  EXPECT_EQ(lj["entries"][0]["content"], j["entries"][0]["content"]);
  r = RunCli(env_.address(), {"cache", "clear"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Cache().empty());
  EXPECT_TRUE(Eventually([&] { return CachePath(torrent_.v1_hash).empty(); }));
}

}  // namespace
}  // namespace ferry::test
