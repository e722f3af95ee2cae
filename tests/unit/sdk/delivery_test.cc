#include "sdk/delivery.h"

#include <gtest/gtest.h>

#include "ferry/types.h"

namespace ferry::sdk {
namespace {

TEST(SdkDelivery, TempNameIsBesideTheLocalName) {
  EXPECT_EQ(TempNameFor("/home/a/file.iso", "Ab12Cd"), "/home/a/file.iso.ferry-Ab12Cd");
}

TEST(SdkDelivery, OnlyFilledTemporariesAreInstalled) {
  EXPECT_TRUE(ShouldInstall(true, 100, 100));
  EXPECT_TRUE(ShouldInstall(false, 100, 100));   // delivered before the call failed
  EXPECT_FALSE(ShouldInstall(true, 0, 100));     // delivered by an earlier Complete
  EXPECT_FALSE(ShouldInstall(true, 50, 100));    // partly written
  EXPECT_FALSE(ShouldInstall(true, 0, kSizeUnknown));
  EXPECT_TRUE(ShouldInstall(true, 0, 0));        // an empty file
  EXPECT_FALSE(ShouldInstall(false, 0, 0));      // nothing says it was delivered
}

}  // namespace
}  // namespace ferry::sdk
