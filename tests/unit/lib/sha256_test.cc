#include "lib/crypto/sha256.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ferry::crypto {
namespace {

constexpr char kEmpty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(std::string_view("")), kEmpty);
  EXPECT_EQ(Sha256Hex(std::string_view("abc")), kAbc);
  EXPECT_EQ(Sha256Hex(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 h;
  EXPECT_EQ(h.FinalHex(), kEmpty);
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  std::string million(1000000, 'a');
  Sha256 h;
  for (size_t i = 0; i < million.size(); i += 4099)
    h.Update(std::string_view(million).substr(i, 4099));
  EXPECT_EQ(h.FinalHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, FinalHexStartsOver) {
  Sha256 h;
  h.Update(std::string_view("a"));
  h.Update(std::string_view("bc"));
  EXPECT_EQ(h.FinalHex(), kAbc);
  h.Update(std::string_view("abc"));
  EXPECT_EQ(h.FinalHex(), kAbc);
}

TEST(Sha256Test, ByteSpanAndMove) {
  std::vector<std::byte> data = {std::byte{'a'}, std::byte{'b'}, std::byte{'c'}};
  EXPECT_EQ(Sha256Hex(std::span<const std::byte>(data)), kAbc);
  Sha256 a;
  a.Update(std::span<const std::byte>(data));
  Sha256 b = std::move(a);
  EXPECT_EQ(b.FinalHex(), kAbc);
}

}  // namespace
}  // namespace ferry::crypto
