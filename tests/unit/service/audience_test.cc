// Audiences: who receives a job's signals (service/audience.h). Members join
// per job, leave with their connection, go with the job, and lose a job that
// changes hands unless kept.
#include "service/audience.h"

#include <gtest/gtest.h>

namespace ferry::service {
namespace {

Guid Id(uint8_t n) {
  Guid g;
  g.bytes[0] = n;
  return g;
}

std::vector<std::string> Names(const Audiences::Members& m) {
  std::vector<std::string> out;
  for (const auto& [name, uid] : m) out.push_back(name);
  return out;
}

TEST(Audiences, MembersJoinPerJobOnly) {
  Audiences a;
  a.Join(Id(1), ":1.5", 1000);
  a.Join(Id(1), ":1.5", 1000);  // idempotent
  a.Join(Id(1), ":1.6", 0);
  a.Join(Id(2), ":1.7", 1001);
  EXPECT_EQ(Names(a.Of(Id(1))), (std::vector<std::string>{":1.5", ":1.6"}));
  EXPECT_EQ(Names(a.Of(Id(2))), std::vector<std::string>{":1.7"});
  EXPECT_TRUE(a.Of(Id(3)).empty());
  EXPECT_EQ(a.Of(Id(1)).at(":1.5"), 1000u);
}

TEST(Audiences, AnUnnamedCallerIsNobodyToAddress) {
  Audiences a;
  a.Join(Id(1), "", 1000);
  EXPECT_TRUE(a.Of(Id(1)).empty());
  EXPECT_EQ(a.jobs(), 0u);
}

TEST(Audiences, AConnectionThatLeavesTheBusLeavesEveryAudience) {
  Audiences a;
  a.Join(Id(1), ":1.5", 1000);
  a.Join(Id(2), ":1.5", 1000);
  a.Join(Id(2), ":1.6", 1000);
  a.Leave(":1.5");
  EXPECT_TRUE(a.Of(Id(1)).empty());
  EXPECT_EQ(Names(a.Of(Id(2))), std::vector<std::string>{":1.6"});
  EXPECT_EQ(a.jobs(), 1u);
  a.Leave(":1.5");  // twice: nothing
  a.Leave(":1.6");
  EXPECT_EQ(a.jobs(), 0u);
}

TEST(Audiences, AGoneJobHasNoAudienceAndItsMembersForgetIt) {
  Audiences a;
  a.Join(Id(1), ":1.5", 1000);
  a.Join(Id(2), ":1.5", 1000);
  a.Drop(Id(1));
  EXPECT_TRUE(a.Of(Id(1)).empty());
  a.Leave(":1.5");
  EXPECT_EQ(a.jobs(), 0u);
  a.Join(Id(1), ":1.8", 1000);  // a later call joins again
  EXPECT_EQ(Names(a.Of(Id(1))), std::vector<std::string>{":1.8"});
}

TEST(Audiences, KeepDropsTheMembersItRefuses) {
  Audiences a;
  a.Join(Id(1), ":1.5", 1000);  // the old owner
  a.Join(Id(1), ":1.6", 0);     // the administrator who takes it
  a.Keep(Id(1), [](const std::string&, uint32_t uid) { return uid == 0; });
  EXPECT_EQ(Names(a.Of(Id(1))), std::vector<std::string>{":1.6"});
  a.Leave(":1.6");
  EXPECT_EQ(a.jobs(), 0u);
  a.Leave(":1.5");  // already gone from the job: nothing left over
  EXPECT_EQ(a.jobs(), 0u);
}

}  // namespace
}  // namespace ferry::service
