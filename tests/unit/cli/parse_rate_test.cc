// The CLI's rate parser (src/cli ParseRate); regression tests from what
// fuzz_cli found (docs/fuzzing.md).
#include <gtest/gtest.h>

#include "cli/parsers.h"

namespace ferry::cli {
namespace {

TEST(ParseRateTest, UnitsAndUnlimited) {
  uint64_t v = 1;
  EXPECT_TRUE(ParseRate("unlimited", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseRate("512K", &v));
  EXPECT_EQ(v, 512u * 1024);
  EXPECT_TRUE(ParseRate("1.5MiB", &v));
  EXPECT_EQ(v, 3u * 512 * 1024);
  EXPECT_FALSE(ParseRate("5 parsecs", &v));
}

TEST(ParseRateTest, NanInfinityAndHugeValuesAreRejected) {
  // Converting these to uint64_t was undefined behaviour (UBSan).
  uint64_t v = 7;
  EXPECT_FALSE(ParseRate("nan", &v));
  EXPECT_FALSE(ParseRate("inf", &v));
  EXPECT_FALSE(ParseRate("1e300", &v));
  EXPECT_FALSE(ParseRate("17179869184G", &v));  // 2^64 bytes/s
  EXPECT_EQ(v, 7u);
}

}  // namespace
}  // namespace ferry::cli
