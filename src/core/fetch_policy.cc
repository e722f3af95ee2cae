#include "core/fetch_policy.h"

#include "util/torrent_source.h"
#include "util/url.h"

namespace ferry::core {

FetchBackend ChooseFetch(std::string_view remote_url) {
  if (ParseTorrentSource(remote_url).kind != TorrentSourceKind::kNone) return FetchBackend::kPeers;
  std::string scheme = UrlScheme(remote_url);
  if (scheme == "http" || scheme == "https") return FetchBackend::kHttp;
  if (scheme == "file") return FetchBackend::kFile;
  return FetchBackend::kUnsupported;
}

}  // namespace ferry::core
