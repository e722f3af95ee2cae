#include "util/torrent_source.h"

#include <gtest/gtest.h>

#include "util/url.h"

namespace ferry {
namespace {

const std::string kHex(40, 'a');

TEST(TorrentSourceParseTest, ClassifiesRemoteNames) {
  struct Case {
    std::string name;
    TorrentSourceKind kind;
    std::string location;
    std::optional<std::string> file;
  } cases[] = {
      {"magnet:?xt=urn:btih:" + kHex,
       TorrentSourceKind::kMagnet,
       "magnet:?xt=urn:btih:" + kHex,
       {}},
      {"magnet:?xt=urn:btih:" + kHex + "#file=d/a%20b.bin", TorrentSourceKind::kMagnet,
       "magnet:?xt=urn:btih:" + kHex, "d/a b.bin"},
      {"https://h/x.torrent", TorrentSourceKind::kTorrentUrl, "https://h/x.torrent", {}},
      {"http://h/X.TORRENT?k=1#file=a", TorrentSourceKind::kTorrentUrl, "http://h/X.TORRENT?k=1",
       "a"},
      {"file:///t/a%20b.torrent", TorrentSourceKind::kTorrentFile, "/t/a b.torrent", {}},
      {"https://h/x.bin", TorrentSourceKind::kNone, "", {}},
      {"https://h/x.torrent.bin", TorrentSourceKind::kNone, "", {}},
      {"file:///t/x.bin#file=a", TorrentSourceKind::kNone, "", {}},
      {"https://h/.torrent", TorrentSourceKind::kNone, "", {}},
  };
  for (const Case& c : cases) {
    TorrentSource s = ParseTorrentSource(c.name);
    EXPECT_EQ(s.kind, c.kind) << c.name;
    EXPECT_EQ(s.location, c.location) << c.name;
    EXPECT_EQ(s.file, c.file) << c.name;
  }
}

TEST(TorrentSourceParseTest, ValidatesMagnets) {
  const std::string v2 = "urn:btmh:1220" + std::string(64, 'b');
  for (const std::string& good :
       {"magnet:?xt=urn:btih:" + kHex, "magnet:?xt=urn:btih:" + std::string(32, 'A'),
        "magnet:?xt=" + v2, "magnet:?xt=urn:btih:" + kHex + "&xt=" + v2 + "&dn=x&tr=http://t/a",
        "magnet:?dn=x&xt.1=urn:btih:" + kHex, "magnet:?xt=urn:btih:" + kHex + "#file=d/a.bin"}) {
    EXPECT_TRUE(ValidateMagnet(good).ok()) << good;
    EXPECT_TRUE(ValidateRemoteUrl(good).ok()) << good;
  }
  for (const std::string& bad :
       {std::string("magnet:"), std::string("magnet:?"), std::string("magnet:?dn=x"),
        "magnet:xt=urn:btih:" + kHex, "magnet:?xt=urn:btih:" + kHex.substr(1),
        "magnet:?xt=urn:btih:" + std::string(40, 'g'), "magnet:?xt=urn:sha1:" + kHex,
        "magnet:?xt=urn:btmh:1220" + kHex, "magnet:?xt=urn:btih:" + kHex + "&xt=urn:ed2k:x",
        "magnet:?xt=urn:btih:" + kHex + " ", "magnet:?xt=urn:btih:" + kHex + "#file=",
        "magnet:?xt=urn:btih:" + kHex + "#file=a/../b", "magnet:?xt=urn:btih:" + kHex + "#file=./a",
        "magnet:?xt=urn:btih:" + kHex + "&dn=" + std::string(2200, 'x')}) {
    EXPECT_EQ(ValidateMagnet(bad).code(), code::kInvalidArg) << bad;
    EXPECT_EQ(ValidateRemoteUrl(bad).code(), code::kInvalidArg) << bad;
  }
  EXPECT_EQ(ValidateRemoteUrl("file:///t/x.torrent#file=..").code(), code::kInvalidArg);
  EXPECT_TRUE(ValidateRemoteUrl("file:///t/x.torrent#file=a").ok());
}

}  // namespace
TEST(TorrentSourceParseTest, ChoosingAFileRoundTripsThroughTheFragment) {
  for (const std::string path : {"pack/a.bin", "pack/with space/ü#%.bin", "x"}) {
    for (const std::string& base : {"magnet:?xt=urn:btih:" + kHex, std::string("https://h/t.torrent"),
                                   std::string("file:///t/x.torrent#file=old")}) {
      const std::string remote = WithChosenFile(base, path);
      TorrentSource src = ParseTorrentSource(remote);
      EXPECT_NE(src.kind, TorrentSourceKind::kNone) << remote;
      ASSERT_TRUE(src.file.has_value()) << remote;
      EXPECT_EQ(*src.file, path) << remote;
      EXPECT_EQ(remote.find(' '), std::string::npos) << remote;
    }
  }
}

TEST(TorrentSourceParseTest, SaveDirectoryIsTheLocalNameLessThePathInTheTorrent) {
  const std::string m = "magnet:?xt=urn:btih:" + std::string(40, 'a');
  EXPECT_EQ(TorrentSaveDirectory(WithChosenFile(m, "pack/a.bin"), "/dl/pack/a.bin"), "/dl/");
  EXPECT_EQ(TorrentSaveDirectory(WithChosenFile(m, "pack/a.bin"), "/dl/other.bin"), "");
  EXPECT_EQ(TorrentSaveDirectory(WithChosenFile(m, "a.bin"), "/dl/xa.bin"), "");
  EXPECT_EQ(TorrentSaveDirectory(m, "/dl/a.bin"), "");
  EXPECT_EQ(TorrentSaveDirectory("https://h/a.bin#file=a.bin", "/dl/a.bin"), "");
}

}  // namespace ferry
