// ferryd's directories (src/daemon/options): where the seeding cache goes.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "daemon/options.h"

namespace ferry::test {
namespace {

using daemon::Options;

TEST(OptionsTest, TheCacheFollowsAGivenStateDirUnlessCacheDirIsGiven) {
  ::setenv("XDG_CACHE_HOME", "/xdg/cache", 1);
  ::setenv("XDG_STATE_HOME", "/xdg/state", 1);
  Options o;
  ASSERT_TRUE(daemon::ParseOptions({"--user"}, &o).ok());
  ASSERT_TRUE(daemon::ResolveDirectories(&o).ok());
  EXPECT_EQ(o.state_dir, "/xdg/state/ferry");
  EXPECT_EQ(o.cache_dir, "/xdg/cache/ferry");

  Options given;
  ASSERT_TRUE(daemon::ParseOptions({"--user", "--state-dir", "/s"}, &given).ok());
  ASSERT_TRUE(daemon::ResolveDirectories(&given).ok());
  EXPECT_EQ(given.cache_dir, "/s/cache");

  Options both;
  ASSERT_TRUE(daemon::ParseOptions({"--system", "--state-dir=/s", "--cache-dir", "/c"}, &both).ok());
  ASSERT_TRUE(daemon::ResolveDirectories(&both).ok());
  EXPECT_EQ(both.cache_dir, "/c");

  Options system;
  ASSERT_TRUE(daemon::ParseOptions({"--system"}, &system).ok());
  ASSERT_TRUE(daemon::ResolveDirectories(&system).ok());
  EXPECT_EQ(system.state_dir, "/var/lib/ferry");
  EXPECT_EQ(system.cache_dir, "/var/cache/ferry");
  ::unsetenv("XDG_CACHE_HOME");
  ::unsetenv("XDG_STATE_HOME");
}

}  // namespace
}  // namespace ferry::test
