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

}  // namespace
}  // namespace ferry::daemon
