#include "util/content_id.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry {
namespace {

constexpr char kRoot[] = "1731959c0be1100379baae8d0bd638af21f3988e2ae805c023674f56dd4ba1ff";
constexpr char kZero[] = "0000000000000000000000000000000000000000000000000000000000000000";

TEST(ContentIdTest, Crc32KnownVector) {
  EXPECT_EQ(Crc32("123456789"), 0xcbf43926u);  // the CRC-32 check value
  EXPECT_EQ(Crc32(""), 0u);
}

TEST(ContentIdTest, FormatIsStable) {
  // The format is a contract (docs/content-id.md): this text must not change.
  std::string body = std::string("cid1-16385-") + kRoot;
  char check[9];
  std::snprintf(check, sizeof check, "%08x", Crc32(body));
  EXPECT_EQ(FormatContentId({16385, kRoot}), body + "-" + check);
}

TEST(ContentIdTest, FormattedIdsParseBack) {
  for (const ContentId& id : {ContentId{0, kZero}, ContentId{1, kRoot}, ContentId{16385, kRoot},
                              ContentId{UINT64_MAX - 1, kRoot}}) {
    auto parsed = ParseContentId(FormatContentId(id));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(parsed.value(), id);
  }
}

TEST(ContentIdTest, MalformedIdsAreInvalidArg) {
  std::string good = FormatContentId({16385, kRoot});
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string typo = good;
  typo[20] = typo[20] == 'a' ? 'b' : 'a';  // one root digit changed: the check catches it
  std::string swapped = good;
  std::swap(swapped[5], swapped[6]);  // "61385": a transposed size
  const std::string bad[] = {
      "",
      "cid1-",
      "cid2" + good.substr(4),
      upper,
      typo,
      swapped,
      " " + good,
      good + " ",
      good + "0",
      good.substr(0, good.size() - 1),
      "cid1-016385" + good.substr(10),
      "cid1-+16385" + good.substr(10),
      "cid1-18446744073709551615-" + std::string(kRoot) + "-00000000",
      "cid1-99999999999999999999-" + std::string(kRoot) + "-00000000",
      FormatContentId({0, kRoot}),  // size 0 with a non-zero root
      FormatContentId({5, kZero}),  // a zero root for bytes
  };
  for (const std::string& text : bad) {
    auto r = ParseContentId(text);
    EXPECT_FALSE(r.ok()) << text;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), code::kInvalidArg) << text;
    }
  }
}

}  // namespace
}  // namespace ferry
