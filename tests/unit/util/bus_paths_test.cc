#include "util/bus_paths.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ferry {
namespace {

TEST(BusPathsTest, JobPathRoundTrips) {
  Guid id = Guid::Random();
  std::string path = JobPath(id);
  EXPECT_EQ(path, "/org/ferry/Ferry1/job/" + id.ToHex());
  Guid back;
  ASSERT_TRUE(JobIdFromPath(path, &back));
  EXPECT_EQ(back, id);
}

TEST(BusPathsTest, OtherPathsAreNotJobs) {
  Guid id = Guid::Random(), back;
  Guid untouched = back;
  const std::string hex = id.ToHex();
  const std::vector<std::string> others = {"/org/ferry/Ferry1",
                                           "/org/ferry/Ferry1/job/",
                                           "/org/ferry/Ferry1/job/xyz",
                                           "/org/ferry/Ferry1/job/" + hex + "00",
                                           "/org/ferry/Ferry1/job/" + hex.substr(1),
                                           "/org/ferry/Ferry1/download/" + hex,
                                           ""};
  for (const std::string& p : others) {
    EXPECT_FALSE(JobIdFromPath(p, &back)) << p;
    EXPECT_EQ(back, untouched) << p;
  }
}

}  // namespace
}  // namespace ferry
