// Which backend fetches a file, and which source its requests go to: pure
// policy functions, so that a new transport (peers: magnet: links and
// .torrent files, issue 12 §3) is one more case here and one more Fetch
// implementation, not a change to the engine.
//
// Cache servers (policy.md §4, docs/cache-server.md): an http(s) file is
// first requested from the configured cache hosts in order (the URL
// rewritten by CacheUrl), then from the origin. Attempt (core/file_attempt.h)
// keeps one CacheTrail per file and asks NextSource before each request and
// CacheFailed after a cache's failure; the engine keeps the CacheHostBook of
// failing hosts, on its own clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/types.h"
#include "sys/clock.h"

namespace ferry::core {

struct FileRecord;

enum class FetchBackend {
  kHttp,         // http://, https://: Attempt on the HTTP ByteSource
  kFile,         // file://: Attempt on the file ByteSource
  kPeers,        // magnet:, http(s)/file URLs of a .torrent: EngineDeps::peers
  kUnsupported,  // any other scheme: Attempt on whichever ByteSource claims it, if any
};

// Decides from the file's remote name (the URL's scheme, case-insensitive,
// and a path ending in ".torrent") and its local name (a .torrent saved as a
// .torrent is the file itself: util/torrent_source.h
// ParseTorrentSourceFor). `local_name` "" (callers that only see a URL: the
// cache-server rewrite) takes every .torrent URL for a torrent. Pure.
FetchBackend ChooseFetch(std::string_view remote_url, std::string_view local_name);

// Peering for HTTP downloads (do-download.md §4, docs/peering.md): ferryd.json's
// download_mode, group_id, trackers, min_file_size_to_peer,
// delay_background_http, delay_foreground_http.
struct PeeringConfig {
  DownloadMode mode = DownloadMode::kLan;
  std::string group_id;               // Group mode: changes the derived torrent
  std::vector<std::string> trackers;  // Group mode: announce URLs
  uint64_t min_file_size = 50ull << 20;
  // How long a file waits for peers before its origin is asked: at the
  // start, and again whenever peers stop sending.
  std::chrono::seconds delay_background{10};
  std::chrono::seconds delay_foreground{2};
};

// The download mode a job's files start in: the job's own (an
// administrator's override, JobRecord::download_mode), else ferryd's
// `config.mode`. Pure.
DownloadMode EffectiveMode(const PeeringConfig& config, std::optional<DownloadMode> job_mode);

// Whether a file of an http(s) URL is fetched from peers first (the peer
// backend, with its origin behind): a peering mode (LAN, Group, Internet) in
// `config` (the caller passes the file's effective mode there), a content id
// (trusted metadata; p2p.md §2) of at least min_file_size bytes, no ranges.
// Pure.
bool PeerFirst(const PeeringConfig& config, const FileRecord& file);

// The cache-server settings (ferryd.json: cache_hosts,
// cache_host_connect_timeout, cache_host_fallback,
// cache_host_allow_authorization).
struct CacheConfig {
  std::vector<std::string> hosts;  // host[:port], tried in this order
  std::chrono::seconds connect_timeout{3};
  // 0: each host is tried once per file, then the origin. Otherwise the
  // caches are tried again (rounds kCacheRoundPause apart) until this long
  // after a file's first cache failure, then the origin.
  std::chrono::seconds fallback{0};
  // Files of jobs that carry credentials may go through the caches.
  bool allow_authorization = false;
};

// How long a failing cache host is avoided.
constexpr std::chrono::minutes kCacheHostAvoidance{15};
// The pause between two rounds over the caches inside the fallback window.
constexpr std::chrono::seconds kCacheRoundPause{1};

// `url` with its host[:port] replaced by `cache_host`, scheme, path and
// query kept, and "cacheHostOrigin=<host[:port]>" appended to the query
// (userinfo and fragment dropped). nullopt when `url` is not http(s) or has
// no host.
std::optional<std::string> CacheUrl(std::string_view url, std::string_view cache_host);

// Whether a job's requests carry credentials that a cache could see: a
// custom header Authorization, Proxy-Authorization or Cookie (names case-
// insensitive; `custom_headers` is CRLF- or LF-separated "Name: value"
// lines), or userinfo in `url`.
bool CarriesCredentials(std::string_view custom_headers, std::string_view url);

// Whether a file may be requested from the caches at all: an http(s) URL,
// at least one host, and no credentials unless the administrator allows them.
bool CacheEligible(const CacheConfig& config, std::string_view url,
                   std::string_view custom_headers);

// The cache hosts that failed, each avoided until kCacheHostAvoidance after
// its last failure. Engine thread only.
class CacheHostBook {
 public:
  void MarkFailed(const std::string& host, sys::WallTime now);
  bool Avoided(const std::string& host, sys::WallTime now) const;

 private:
  std::map<std::string, sys::WallTime> avoid_until_;
};

// One file's way through the caches (kept by its Attempt).
struct CacheTrail {
  std::optional<size_t> current;  // the host requests go to; nullopt: none chosen yet
  size_t next = 0;                // the next host of the round to consider
  sys::WallTime first_failure{};  // epoch: no cache failed this file yet
  bool origin = false;            // settled on the origin
};

enum class SourceKind { kOrigin, kCache, kWait };
struct SourceChoice {
  SourceKind kind = SourceKind::kOrigin;
  size_t host = 0;             // kCache: index in CacheConfig::hosts
  sys::WallTime wait_until{};  // kWait: ask again then
};

// The source of a file's next request. Not eligible (CacheEligible), or
// settled on the origin: the origin. A host already chosen is kept until it
// fails. Otherwise the next host of the round that is not avoided — inside
// the fallback window avoided hosts are tried too; at the end of a round,
// kWait for kCacheRoundPause inside the window (the round starts over),
// else the origin (and the trail settles there).
SourceChoice NextSource(const CacheConfig& config, bool eligible, const CacheHostBook& book,
                        CacheTrail* trail, sys::WallTime now);

// The chosen host failed. `host_fault` (no connection, a timeout, a 5xx or
// another transient answer) marks it in `book`; any failure moves the trail
// to the next host.
void CacheFailed(const CacheConfig& config, bool host_fault, CacheHostBook* book, CacheTrail* trail,
                 sys::WallTime now);

}  // namespace ferry::core
