// core::ChooseFetch: which backend fetches a file, from its remote and local names.
#include "core/fetch_policy.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/ports.h"
#include "util/content_id.h"

namespace ferry::core {
namespace {

TEST(FetchPolicyTest, ChoosesTheBackendFromTheScheme) {
  struct Row {
    const char* url;
    FetchBackend want;
    const char* local = "/dl/a";
  } rows[] = {
      {"http://example.com/a", FetchBackend::kHttp},
      {"https://example.com/a", FetchBackend::kHttp},
      {"HTTPS://example.com/a", FetchBackend::kHttp},
      {"file:///srv/a", FetchBackend::kFile},
      {"ftp://example.com/a", FetchBackend::kUnsupported},
      {"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", FetchBackend::kPeers},
      {"MAGNET:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567#file=a", FetchBackend::kPeers},
      {"https://example.com/a.torrent", FetchBackend::kPeers},
      {"http://example.com/a.Torrent?x=1#file=b", FetchBackend::kPeers},
      {"file:///srv/a.torrent", FetchBackend::kPeers},
      // A .torrent saved as a .torrent is the file itself (curl -O), any
      // other name (or a directory) takes its content; a chosen file or a
      // magnet is always content.
      {"https://example.com/a.torrent", FetchBackend::kHttp, "/dl/a.torrent"},
      {"https://example.com/a.torrent?x=1", FetchBackend::kHttp, "/dl/A.TORRENT"},
      {"file:///srv/a.torrent", FetchBackend::kFile, "/dl/b.torrent"},
      {"https://example.com/a.torrent", FetchBackend::kPeers, "/dl/"},
      {"https://example.com/a.torrent", FetchBackend::kPeers, "/dl/a.torrent.iso"},
      {"https://example.com/a.torrent", FetchBackend::kPeers, ""},
      {"https://example.com/a.torrent#file=x.torrent", FetchBackend::kPeers, "/dl/x.torrent"},
      {"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", FetchBackend::kPeers,
       "/dl/a.torrent"},
      {"https://example.com/a.torrent.gz", FetchBackend::kHttp},
      {"file:///srv/.torrent", FetchBackend::kFile},
      {"no scheme", FetchBackend::kUnsupported},
      {"", FetchBackend::kUnsupported},
  };
  for (const Row& r : rows)
    EXPECT_EQ(ChooseFetch(r.url, r.local), r.want) << r.url << " " << r.local;
}

}  // namespace
}  // namespace ferry::core

// The cache-server decisions (policy.md §4, docs/cache-server.md).
namespace ferry::core {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(FetchPolicyTest, CacheUrlReplacesTheHostAndNamesTheOrigin) {
  struct Row {
    const char* url;
    const char* host;
    std::optional<std::string> want;
  } rows[] = {
      {"http://example.com/a/b.bin", "cache:8080",
       "http://cache:8080/a/b.bin?cacheHostOrigin=example.com"},
      {"http://example.com:81/a?x=1&y=2", "10.0.0.5",
       "http://10.0.0.5/a?x=1&y=2&cacheHostOrigin=example.com:81"},
      {"HTTPS://user:pw@Example.com/a#frag", "cache",
       "HTTPS://cache/a?cacheHostOrigin=Example.com"},
      {"http://example.com", "cache", "http://cache/?cacheHostOrigin=example.com"},
      {"http://example.com?q", "cache", "http://cache/?q&cacheHostOrigin=example.com"},
      {"http://[::1]:8080/f", "[fd00::1]:80", "http://[fd00::1]:80/f?cacheHostOrigin=[::1]:8080"},
      {"file:///srv/a", "cache", std::nullopt},
      {"magnet:?xt=urn:btih:00", "cache", std::nullopt},
      {"http:///nohost", "cache", std::nullopt},
      {"http://example.com/a", "", std::nullopt},
  };
  for (const Row& r : rows) EXPECT_EQ(CacheUrl(r.url, r.host), r.want) << r.url;
}

TEST(FetchPolicyTest, CredentialsKeepAFileAwayFromTheCaches) {
  EXPECT_FALSE(CarriesCredentials("", "http://h/a"));
  EXPECT_FALSE(CarriesCredentials("X-Trace: 1\r\nAccept: */*", "http://h/a"));
  EXPECT_TRUE(CarriesCredentials("X-Trace: 1\r\nauthorization: Bearer t", "http://h/a"));
  EXPECT_TRUE(CarriesCredentials("Proxy-Authorization: Basic x", "http://h/a"));
  EXPECT_TRUE(CarriesCredentials("Cookie: s=1\n", "http://h/a"));
  EXPECT_TRUE(CarriesCredentials(" Authorization : x", "http://h/a"));
  EXPECT_FALSE(CarriesCredentials("X-Authorization-Hint: none", "http://h/a"));
  EXPECT_TRUE(CarriesCredentials("", "http://u:p@h/a"));

  CacheConfig c;
  EXPECT_FALSE(CacheEligible(c, "http://h/a", ""));  // no hosts
  c.hosts = {"cache"};
  EXPECT_TRUE(CacheEligible(c, "http://h/a", ""));
  EXPECT_TRUE(CacheEligible(c, "https://h/a", ""));
  EXPECT_FALSE(CacheEligible(c, "file:///a", ""));
  EXPECT_FALSE(CacheEligible(c, "http://h/a", "Authorization: Bearer t"));
  c.allow_authorization = true;
  EXPECT_TRUE(CacheEligible(c, "http://h/a", "Authorization: Bearer t"));
}

TEST(FetchPolicyTest, AFailingHostIsAvoidedForFifteenMinutes) {
  CacheHostBook book;
  sys::WallTime t0{std::chrono::hours(1000)};
  EXPECT_FALSE(book.Avoided("a", t0));
  book.MarkFailed("a", t0);
  EXPECT_TRUE(book.Avoided("a", t0));
  EXPECT_TRUE(book.Avoided("a", t0 + minutes(15) - seconds(1)));
  EXPECT_FALSE(book.Avoided("a", t0 + minutes(15)));
  EXPECT_FALSE(book.Avoided("b", t0));
}

TEST(FetchPolicyTest, EachHostOnceThenTheOrigin) {
  CacheConfig c;
  c.hosts = {"a", "b"};
  CacheHostBook book;
  CacheTrail trail;
  sys::WallTime now{std::chrono::hours(1000)};
  SourceChoice s = NextSource(c, true, book, &trail, now);
  ASSERT_EQ(s.kind, SourceKind::kCache);
  EXPECT_EQ(s.host, 0u);
  // A host that answers stays the source of the file's later requests.
  EXPECT_EQ(NextSource(c, true, book, &trail, now).host, 0u);
  CacheFailed(c, /*host_fault=*/true, &book, &trail, now);
  EXPECT_TRUE(book.Avoided("a", now));
  s = NextSource(c, true, book, &trail, now);
  ASSERT_EQ(s.kind, SourceKind::kCache);
  EXPECT_EQ(s.host, 1u);
  CacheFailed(c, /*host_fault=*/false, &book, &trail, now);  // a 4xx: not avoided
  EXPECT_FALSE(book.Avoided("b", now));
  EXPECT_EQ(NextSource(c, true, book, &trail, now).kind, SourceKind::kOrigin);
  EXPECT_TRUE(trail.origin);
  EXPECT_EQ(NextSource(c, true, book, &trail, now).kind, SourceKind::kOrigin);

  // The next file skips the avoided host, until its 15 minutes are over.
  CacheTrail next;
  s = NextSource(c, true, book, &next, now + minutes(1));
  EXPECT_EQ(s.host, 1u);
  CacheTrail later;
  s = NextSource(c, true, book, &later, now + minutes(15));
  EXPECT_EQ(s.host, 0u);

  CacheTrail none;
  EXPECT_EQ(NextSource(c, false, book, &none, now).kind, SourceKind::kOrigin);
}

TEST(FetchPolicyTest, TheFallbackWindowKeepsTryingTheCaches) {
  CacheConfig c;
  c.hosts = {"a"};
  c.fallback = seconds(3);
  CacheHostBook book;
  CacheTrail trail;
  sys::WallTime t0{std::chrono::hours(1000)};
  ASSERT_EQ(NextSource(c, true, book, &trail, t0).kind, SourceKind::kCache);
  CacheFailed(c, true, &book, &trail, t0);
  SourceChoice s = NextSource(c, true, book, &trail, t0);
  ASSERT_EQ(s.kind, SourceKind::kWait);
  EXPECT_EQ(s.wait_until, t0 + kCacheRoundPause);
  // Inside the window the avoided host is tried again.
  s = NextSource(c, true, book, &trail, t0 + seconds(1));
  ASSERT_EQ(s.kind, SourceKind::kCache);
  CacheFailed(c, true, &book, &trail, t0 + seconds(1));
  s = NextSource(c, true, book, &trail, t0 + std::chrono::milliseconds(2500));
  ASSERT_EQ(s.kind, SourceKind::kWait);
  EXPECT_EQ(s.wait_until, t0 + seconds(3));  // never past the window
  EXPECT_EQ(NextSource(c, true, book, &trail, t0 + seconds(3)).kind, SourceKind::kOrigin);

  // A host avoided before the file started is not tried (no window yet).
  CacheTrail next;
  EXPECT_EQ(NextSource(c, true, book, &next, t0 + seconds(4)).kind, SourceKind::kOrigin);
}

// core::PeerFirst: which HTTP files are fetched from peers first.
TEST(FetchPolicyTest, OnlyFilesWithAContentIdOfPeerableSizeArePeeredFirst) {
  const std::string root(64, 'a');
  auto file = [&](uint64_t size) {
    FileRecord f;
    f.remote_url = "https://example.com/a.iso";
    f.content_id = FormatContentId({size, root});
    return f;
  };
  PeeringConfig c;  // LAN, 50 MiB
  EXPECT_TRUE(PeerFirst(c, file(50ull << 20)));
  EXPECT_FALSE(PeerFirst(c, file((50ull << 20) - 1))) << "under min_file_size_to_peer";
  FileRecord no_id = file(1ull << 30);
  no_id.content_id.clear();
  EXPECT_FALSE(PeerFirst(c, no_id)) << "no trusted metadata: HTTP only";
  FileRecord ranged = file(1ull << 30);
  ranged.ranges.push_back({0, 100});
  EXPECT_FALSE(PeerFirst(c, ranged));
  FileRecord local = file(1ull << 30);
  local.remote_url = "file:///srv/a.iso";
  EXPECT_FALSE(PeerFirst(c, local)) << "only HTTP(S) files have an origin behind peers";
  FileRecord bad = file(1ull << 30);
  bad.content_id = "cid1-bogus";
  EXPECT_FALSE(PeerFirst(c, bad));
  for (DownloadMode m : {DownloadMode::kHttpOnly, DownloadMode::kSimple, DownloadMode::kBypass}) {
    c.mode = m;
    EXPECT_FALSE(PeerFirst(c, file(1ull << 30))) << static_cast<int>(m);
  }
  for (DownloadMode m : {DownloadMode::kLan, DownloadMode::kGroup, DownloadMode::kInternet}) {
    c.mode = m;
    EXPECT_TRUE(PeerFirst(c, file(1ull << 30))) << static_cast<int>(m);
  }
  c.min_file_size = 0;
  EXPECT_TRUE(PeerFirst(c, file(1)));
}

// core::EffectiveMode: a job's own mode wins over ferryd's, any of the six.
TEST(FetchPolicyTest, TheEffectiveModeIsTheJobsElseFerryds) {
  PeeringConfig c;
  EXPECT_EQ(EffectiveMode(c, std::nullopt), DownloadMode::kLan);
  c.mode = DownloadMode::kGroup;
  EXPECT_EQ(EffectiveMode(c, std::nullopt), DownloadMode::kGroup);
  EXPECT_EQ(EffectiveMode(c, DownloadMode::kHttpOnly), DownloadMode::kHttpOnly);
  EXPECT_EQ(EffectiveMode(c, DownloadMode::kInternet), DownloadMode::kInternet);
  c.mode = DownloadMode::kHttpOnly;
  EXPECT_EQ(EffectiveMode(c, DownloadMode::kLan), DownloadMode::kLan);
}

TEST(FetchPolicyTest, TheDerivedTorrentsPieceLengthFollowsTheSize) {
  EXPECT_EQ(ContentPieceLength(1), 64u << 10);
  EXPECT_EQ(ContentPieceLength(64ull << 20), 64u << 10);
  EXPECT_EQ(ContentPieceLength((64ull << 20) + 1), 128u << 10);
  EXPECT_EQ(ContentPieceLength(256ull << 20), 256u << 10);
  EXPECT_EQ(ContentPieceLength(4ull << 30), 4u << 20);
  EXPECT_EQ(ContentPieceLength(100ull << 30), 4u << 20);
  EXPECT_EQ(ContentTorrentName(std::string(64, 'a')), "ferry-" + std::string(64, 'a'));
}

}  // namespace
}  // namespace ferry::core
