// sys::LoadLibrary: every symbol or none, and a clear error naming the
// library or the symbol that is missing.
#include <gtest/gtest.h>

#include <cstring>

#include "sys/shared_library.h"

namespace ferry::sys {
namespace {

using StrlenFn = size_t (*)(const char*);

TEST(LoadLibraryTest, ResolvesEverySymbol) {
  StrlenFn strlen_fn = nullptr;
  int (*strcmp_fn)(const char*, const char*) = nullptr;
  const Symbol symbols[] = {{"strlen", reinterpret_cast<void**>(&strlen_fn)},
                            {"strcmp", reinterpret_cast<void**>(&strcmp_fn)}};
  Status s = LoadLibrary("libc.so.6", symbols);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_NE(strlen_fn, nullptr);
  ASSERT_NE(strcmp_fn, nullptr);
  EXPECT_EQ(strlen_fn("ferry"), 5u);
  EXPECT_EQ(strcmp_fn("a", "a"), 0);
}

TEST(LoadLibraryTest, MissingLibraryIsAnErrorNamingIt) {
  StrlenFn fn = nullptr;
  const Symbol symbols[] = {{"strlen", reinterpret_cast<void**>(&fn)}};
  Status s = LoadLibrary("libferry-no-such-library.so.7", symbols);
  EXPECT_EQ(s.code(), code::kUnexpected);
  EXPECT_NE(s.message().find("libferry-no-such-library.so.7"), std::string::npos) << s.message();
  EXPECT_EQ(fn, nullptr);
}

TEST(LoadLibraryTest, MissingSymbolFillsNoSlot) {
  StrlenFn strlen_fn = nullptr;
  StrlenFn missing = nullptr;
  const Symbol symbols[] = {{"strlen", reinterpret_cast<void**>(&strlen_fn)},
                            {"ferry_no_such_symbol", reinterpret_cast<void**>(&missing)}};
  Status s = LoadLibrary("libc.so.6", symbols);
  EXPECT_EQ(s.code(), code::kUnexpected);
  EXPECT_NE(s.message().find("ferry_no_such_symbol"), std::string::npos) << s.message();
  EXPECT_EQ(strlen_fn, nullptr);  // all or nothing
  EXPECT_EQ(missing, nullptr);
}

}  // namespace
}  // namespace ferry::sys
