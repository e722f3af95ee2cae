// ferryd's configuration parser (src/daemon/settings); regression tests from
// what fuzz_settings found (docs/fuzzing.md).
#include "daemon/settings.h"

#include <gtest/gtest.h>

namespace ferry::daemon {
namespace {

TEST(SettingsTest, ParsesKnownKeys) {
  Settings s;
  ASSERT_TRUE(ParseSettings(R"({"max_jobs_per_user": 7, "log_level": "debug"})", &s).ok());
  EXPECT_EQ(s.engine.max_jobs_per_user, 7u);
  EXPECT_EQ(s.log_level, "debug");
}

TEST(SettingsTest, RejectedDocumentChangesNothing) {
  // Keys before the bad one were applied, and a range error still stored 0.
  Settings s;
  Status st = ParseSettings(R"({"max_files_per_job": 5, "time_slice_seconds": 0})", &s);
  EXPECT_EQ(st.code(), code::kInvalidArg);
  EXPECT_EQ(s.engine.max_files_per_job, Settings{}.engine.max_files_per_job);
  EXPECT_EQ(s.engine.time_slice, Settings{}.engine.time_slice);
}

TEST(SettingsTest, ParsesTheSeedingCacheKeys) {
  Settings s;
  EXPECT_EQ(s.peers.cache.max_age, std::chrono::seconds(259200));
  EXPECT_EQ(s.peers.cache.max_size_percent, 20u);
  EXPECT_EQ(s.peers.cache.absolute_max_size, 0u);
  EXPECT_EQ(s.peers.max_upload_rate, 0u);
  ASSERT_TRUE(ParseSettings(R"({"max_cache_age": 60, "max_cache_size_percent": 5,
                                "absolute_max_cache_size": 1048576, "max_upload_rate": 1000})",
                            &s)
                  .ok());
  EXPECT_EQ(s.peers.cache.max_age, std::chrono::seconds(60));
  EXPECT_EQ(s.peers.cache.max_size_percent, 5u);
  EXPECT_EQ(s.peers.cache.absolute_max_size, 1048576u);
  EXPECT_EQ(s.peers.max_upload_rate, 1000u);
  EXPECT_EQ(ParseSettings(R"({"max_cache_size_percent": 101})", &s).code(), code::kInvalidArg);
  EXPECT_EQ(ParseSettings(R"({"max_upload_rate": -1})", &s).code(), code::kInvalidArg);
  EXPECT_EQ(ParseSettings(R"({"max_upload_rate": 4294967296})", &s).code(), code::kInvalidArg);
}

TEST(SettingsTest, UtpIsOffUnlessPeerUtpTurnsItOn) {
  Settings s;
  EXPECT_FALSE(s.peers.utp);
  ASSERT_TRUE(ParseSettings(R"({"peer_utp": true})", &s).ok());
  EXPECT_TRUE(s.peers.utp);
  Settings bad;
  EXPECT_EQ(ParseSettings(R"({"peer_utp": 1})", &bad).code(), code::kInvalidArg);
  EXPECT_FALSE(bad.peers.utp);
}

}  // namespace
}  // namespace ferry::daemon
