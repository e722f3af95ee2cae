// core::ChooseFetch: which backend fetches a file, from its remote name.
#include "core/fetch_policy.h"

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

TEST(FetchPolicyTest, ChoosesTheBackendFromTheScheme) {
  struct Row {
    const char* url;
    FetchBackend want;
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
      {"https://example.com/a.torrent.gz", FetchBackend::kHttp},
      {"file:///srv/.torrent", FetchBackend::kFile},
      {"no scheme", FetchBackend::kUnsupported},
      {"", FetchBackend::kUnsupported},
  };
  for (const Row& r : rows) EXPECT_EQ(ChooseFetch(r.url), r.want) << r.url;
}

}  // namespace
}  // namespace ferry::core
