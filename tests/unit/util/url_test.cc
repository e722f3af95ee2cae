// URL checks and file-URL decoding (src/util/url); regression tests from what
// fuzz_url found (docs/fuzzing.md).
#include "util/url.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

TEST(UrlTest, FileUrlPathDecodes) {
  EXPECT_EQ(FileUrlPath("file:///a%20b"), "/a b");
  EXPECT_EQ(FileUrlPath("file:///a?x#y"), "/a");
  EXPECT_EQ(FileUrlPath("file://host/a"), "");
  EXPECT_EQ(FileUrlPath("http://host/a"), "");
}

// "%00" decoded into the path: open() then read the file before it
// ("/etc/hosts" for "file:///etc/hosts%00.jpg"), not the one the URL names.
TEST(UrlTest, FileUrlPathWithAnEscapedNulIsNotALocalFile) {
  EXPECT_EQ(FileUrlPath("file:///etc/hosts%00.jpg"), "");
  EXPECT_EQ(FileUrlPath("file:///t%00m"), "");
}

// ... and AddFile refuses such a URL up front, rather than the transfer failing.
TEST(UrlTest, FileUrlWithAnEscapedNulIsInvalid) {
  EXPECT_EQ(ValidateRemoteUrl("file:///etc/hosts%00.jpg").code(), code::kInvalidArg);
  EXPECT_TRUE(ValidateRemoteUrl("file:///etc/hosts%20a.jpg").ok());
}

TEST(UrlTest, RedactUrlRemovesUserInformation) {
  EXPECT_EQ(RedactUrl("https://user:secret@example.com/a"), "https://***@example.com/a");
  EXPECT_EQ(RedactUrl("http://a@b@c/x"), "http://***@c/x");
  EXPECT_EQ(RedactUrl("https://example.com/a@b"), "https://example.com/a@b");
}

}  // namespace
}  // namespace ferry
