// The CLI's value parsers (src/cli/parsers.h): what a person types for
// --limit-rate, add --range and set's numbers.
#include "cli/parsers.h"

#include <gtest/gtest.h>

namespace ferry::cli {
namespace {

TEST(ParseRateTest, TheWaysCurlUsersWriteRates) {
  uint64_t v = 1;
  EXPECT_TRUE(ParseRate("500k", &v));
  EXPECT_EQ(v, 500u * 1024);
  EXPECT_TRUE(ParseRate("2M", &v));
  EXPECT_EQ(v, 2u << 20);
  EXPECT_TRUE(ParseRate("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseRate("1000", &v));
  EXPECT_EQ(v, 1000u);
  EXPECT_TRUE(ParseRate("0.5k", &v));
  EXPECT_EQ(v, 512u);
}

// Regression: strtod read "0x10" as 16 bytes/s, "1e3" as 1000, and took a
// leading sign or space.
TEST(ParseRateTest, HexExponentSignAndSpaceAreRejected) {
  uint64_t v = 7;
  for (const char* bad : {"0x10", "0X1A", "0x10k", "1e3", "1E3k", "+5", "-0", "-1", " 5", "5 ",
                          "abc", "", ".5", "5.", "k", "1..5", "1.5.5M", "infinity"})
    EXPECT_FALSE(ParseRate(bad, &v)) << "'" << bad << "'";
  EXPECT_EQ(v, 7u);
}

TEST(ParseCountTest, DecimalDigitsBelow2To64) {
  uint64_t v = 7;
  EXPECT_TRUE(ParseCount("18446744073709551615", &v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_TRUE(ParseCount("007", &v));
  EXPECT_EQ(v, 7u);
  v = 9;
  for (const char* bad : {"18446744073709551616", "-1", "+1", " 1", "1 ", "0x10", "", "1k"})
    EXPECT_FALSE(ParseCount(bad, &v)) << "'" << bad << "'";
  EXPECT_EQ(v, 9u);
}

// Regression: strtoull took "-1:10" as offset 2^64-1 and " 5:1" as 5.
TEST(ParseRangeTest, NegativeAndHexOffsetsAreRejected) {
  FileRange r;
  EXPECT_TRUE(ParseRange("100:50", &r));
  EXPECT_EQ(r, (FileRange{100, 50}));
  EXPECT_TRUE(ParseRange("0:eof", &r));
  EXPECT_EQ(r, (FileRange{0, kLengthToEof}));
  EXPECT_TRUE(ParseRange("7:EOF", &r));
  EXPECT_EQ(r, (FileRange{7, kLengthToEof}));
  FileRange kept{1, 2};
  r = kept;
  for (const char* bad : {"-1:10", "1:-10", "-1", "5", " 5:1", "5:1 ", "+5:1", "0x10:5", "5:0x10",
                          ":5", "5:", "5:eofx", "1:2:3", "99999999999999999999:1", "1e3:1"})
    EXPECT_FALSE(ParseRange(bad, &r)) << "'" << bad << "'";
  EXPECT_EQ(r, kept);
}

TEST(ParseUint32Test, DecimalOrHexWhenAllowed) {
  uint32_t v = 0;
  EXPECT_TRUE(ParseUint32("600", false, &v));
  EXPECT_EQ(v, 600u);
  EXPECT_TRUE(ParseUint32("010", false, &v));
  EXPECT_EQ(v, 10u) << "not octal";
  EXPECT_TRUE(ParseUint32("0x3", true, &v));
  EXPECT_EQ(v, 3u);
  EXPECT_TRUE(ParseUint32("4294967295", false, &v));
  EXPECT_EQ(v, UINT32_MAX);
  v = 5;
  EXPECT_FALSE(ParseUint32("0x3", false, &v));
  EXPECT_FALSE(ParseUint32("4294967296", false, &v));
  EXPECT_FALSE(ParseUint32("0x100000000", true, &v));
  EXPECT_FALSE(ParseUint32("-4294967295", false, &v));
  EXPECT_FALSE(ParseUint32("0x", true, &v));
  EXPECT_FALSE(ParseUint32("0xg", true, &v));
  EXPECT_FALSE(ParseUint32("", true, &v));
  EXPECT_EQ(v, 5u);
}

TEST(ParseDownloadModeTest, NamesNumbersAndDefault) {
  std::optional<DownloadMode> m;
  const std::pair<const char*, DownloadMode> kGood[] = {
      {"http-only", DownloadMode::kHttpOnly}, {"lan", DownloadMode::kLan},
      {"group", DownloadMode::kGroup},        {"internet", DownloadMode::kInternet},
      {"simple", DownloadMode::kSimple},      {"bypass", DownloadMode::kBypass},
      {"0", DownloadMode::kHttpOnly},         {"1", DownloadMode::kLan},
      {"2", DownloadMode::kGroup},            {"3", DownloadMode::kInternet},
      {"99", DownloadMode::kSimple},          {"100", DownloadMode::kBypass}};
  for (const auto& [text, mode] : kGood) {
    m.reset();
    EXPECT_TRUE(ParseDownloadMode(text, &m)) << text;
    EXPECT_EQ(m, mode) << text;
  }
  EXPECT_TRUE(ParseDownloadMode("default", &m));
  EXPECT_EQ(m, std::nullopt);
  m = DownloadMode::kGroup;
  for (const char* bad : {"", "4", "98", "101", "-1", "0x1", "LAN", "http", "http_only", " lan",
                          "lan ", "4294967296"})
    EXPECT_FALSE(ParseDownloadMode(bad, &m)) << bad;
  EXPECT_EQ(m, DownloadMode::kGroup) << "a refused text leaves *out alone";
}

}  // namespace
}  // namespace ferry::cli
