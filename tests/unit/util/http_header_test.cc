// Regression tests for the HTTP header parsers (src/util/http_header) from
// what fuzz_http_header found (docs/fuzzing.md).
#include "util/http_header.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ferry {
namespace {

using std::chrono::seconds;

// 2026-01-01T00:00:00Z.
const auto kNow = std::chrono::system_clock::time_point(seconds(1767225600));

TEST(HttpHeaderTest, RetryAfterDatePast2262ClampsToAYear) {
  // As system_clock nanoseconds this date overflowed int64 (UBSan), and the
  // wrapped value read as "retry now".
  EXPECT_EQ(ParseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", kNow), seconds(365 * 86400));
}

TEST(HttpHeaderTest, RetryAfterDateForms) {
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 2026 00:02:00 GMT", kNow), seconds(120));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kNow), seconds(0));
  EXPECT_EQ(ParseRetryAfter("Sat, 01 Jan 2028 00:00:00 GMT", kNow), seconds(365 * 86400));
  EXPECT_EQ(ParseRetryAfter("120", kNow), seconds(120));
  EXPECT_EQ(ParseRetryAfter("99999999999", kNow), seconds(365 * 86400));
  EXPECT_EQ(ParseRetryAfter("soon", kNow), std::nullopt);
}

}  // namespace
}  // namespace ferry
