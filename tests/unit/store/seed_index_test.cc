// The seeding cache's index in the job database (schema version 7).
#include <gtest/gtest.h>

#include "lib/sqlite/database.h"
#include "store/job_store_sqlite.h"
#include "store/schema.h"
#include "store/seed_index_sqlite.h"
#include "support/temp_dir.h"

namespace ferry::test {
namespace {

using std::chrono::system_clock;

core::SeedRecord Record(const std::string& v1, const std::string& v2, uint64_t size) {
  core::SeedRecord r;
  r.key = v1.empty() ? v2 : v1;
  r.entry.info_hash_v1 = v1;
  r.entry.info_hash_v2 = v2;
  r.entry.content = v1.empty() ? "btmh:1220" + v2 : "btih:" + v1;
  r.entry.name = "file \xC3\xA9.bin";
  r.entry.size_bytes = size;
  r.entry.created = system_clock::time_point(std::chrono::seconds(1800000000));
  r.entry.last_used = r.entry.created + std::chrono::hours(5);
  r.entry.bytes_uploaded = 1ull << 40;
  r.path = "/var/cache/ferry/" + r.key + ".data";
  r.torrent = std::string("d4:info\0e", 9);
  return r;
}

TEST(SeedIndexTest, AVersion5StoreIsUpgradedAndEntriesRoundTrip) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.Path("ferry.db");
  {
    auto db = sqlite::Database::Open(path, sqlite::open_flags::kReadWrite |
                                               sqlite::open_flags::kCreate);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("BEGIN").ok());
    ASSERT_TRUE(store::MigrateTo(**db, 0, 5).ok());
    ASSERT_TRUE((*db)->Exec("COMMIT").ok());
  }
  auto js = store::SqliteJobStore::Open(path);
  ASSERT_TRUE(js.ok()) << js.status().ToString();
  EXPECT_EQ(*(*js)->database().QueryInt64("PRAGMA user_version"), store::kSchemaVersion);
  auto index = store::SqliteSeedIndex::Open((*js)->database());
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  std::vector<core::SeedRecord> seeds;
  ASSERT_TRUE((*index)->LoadSeeds(&seeds).ok());
  EXPECT_TRUE(seeds.empty());

  core::SeedRecord v1 = Record(std::string(40, 'a'), std::string(64, 'b'), 7);
  core::SeedRecord v2 = Record("", std::string(64, 'c'), UINT64_MAX - 1);
  v2.entry.created += std::chrono::seconds(1);
  ASSERT_TRUE((*index)->PutSeed(v1).ok());
  ASSERT_TRUE((*index)->PutSeed(v2).ok());
  v1.entry.bytes_uploaded = 99;  // replaces by key
  ASSERT_TRUE((*index)->PutSeed(v1).ok());
  ASSERT_TRUE((*index)->LoadSeeds(&seeds).ok());
  ASSERT_EQ(seeds.size(), 2u);
  EXPECT_EQ(seeds[0], v1);
  EXPECT_EQ(seeds[1], v2);
  ASSERT_TRUE((*index)->RemoveSeed(v1.key).ok());
  ASSERT_TRUE((*index)->RemoveSeed("nothing").ok());
  ASSERT_TRUE((*index)->LoadSeeds(&seeds).ok());
  ASSERT_EQ(seeds.size(), 1u);
  EXPECT_EQ(seeds[0].key, v2.key);
}

}  // namespace
}  // namespace ferry::test
